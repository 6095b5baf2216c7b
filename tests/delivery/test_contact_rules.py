"""Test notifications per contact method, secret rotation on the wire, delayed contact methods."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.channels.conftest import Reply
from tests.escalation.conftest import INCIDENTS
from warroom.config import Settings
from warroom.web.app import create_app

from .conftest import SECRET, notifications

NEW_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
USERS = "/api/v1/users"


@pytest.fixture
def client(delivery_settings: Settings, clock, engine) -> Iterator[TestClient]:
    """The API with the delivery settings (loopback allowed, real SMTP)."""
    with TestClient(create_app(delivery_settings, clock=clock, engine=engine)) as test_client:
        yield test_client


def _test(client, headers, handle: str, method_id: int):
    return client.post(f"{USERS}/{handle}/contact-methods/{method_id}/test", headers=headers)


def test_a_test_notification_reaches_a_loopback_receiver(client, admin, add_method, receiver):
    method = add_method("alice", "webhook", f"{receiver.url}/hook", secret=SECRET)
    answer = _test(client, admin, "alice", method)
    assert answer.status_code == 200
    assert answer.json() == {
        "ok": True,
        "retryable": False,
        "detail": "HTTP 200",
        "channel": "webhook",
    }
    (request,) = receiver.requests
    Webhook(SECRET).verify(request.body, request.headers)
    assert b"Test notification from warroom" in request.body
    assert request.headers["webhook-id"].startswith(f"test:alice:{method}:")


def test_a_test_email_is_really_sent(client, admin, add_method, smtp_server):
    method = add_method("alice", "email", "alice@example.com")
    answer = _test(client, admin, "alice", method).json()
    assert (answer["ok"], answer["channel"]) == (True, "email")
    (envelope,) = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]


def test_a_failed_or_refused_test_is_reported_not_raised(
    client, admin, add_method, receiver, delivery_settings
):
    method = add_method("alice", "webhook", f"{receiver.url}/hook")
    receiver.script(Reply(status=500, body="boom"))
    failed = _test(client, admin, "alice", method)
    assert failed.status_code == 200
    assert failed.json() == {
        "ok": False,
        "retryable": True,
        "detail": "HTTP 500: boom",
        "channel": "webhook",
    }
    private = add_method("alice", "webhook", "http://10.0.0.1/hook")
    refused = _test(client, admin, "alice", private).json()
    assert refused["ok"] is False
    assert refused["retryable"] is False
    assert refused["detail"] == "refused: 10.0.0.1 is a private address"
    assert len(receiver.requests) == 1


def test_who_may_test_a_contact_method(client, admin, add_method, receiver, issue_token):
    bobs = add_method("bob", "webhook", f"{receiver.url}/bob")
    alices = add_method("alice", "webhook", f"{receiver.url}/alice")
    alice = issue_token("responder", user="alice")
    assert _test(client, alice, "bob", bobs).status_code == 403
    assert _test(client, issue_token("viewer"), "alice", alices).status_code == 403
    assert _test(client, alice, "alice", alices).json()["ok"] is True
    assert _test(client, alice, "alice", bobs).status_code == 404
    assert _test(client, admin, "alice", 999).status_code == 404
    assert [r.path for r in receiver.requests] == ["/alice"]


def test_two_secrets_during_rotation_both_verify(
    client, admin, paged, add_method, sender, receiver
):
    method = add_method("alice", "webhook", f"{receiver.url}/page", secret=SECRET)
    url = f"{USERS}/alice/contact-methods/{method}"
    rotating = client.patch(url, json={"secret": f"{SECRET} {NEW_SECRET}"}, headers=admin)
    assert rotating.status_code == 200
    paged()
    sender.tick()
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split()) == 2
    Webhook(SECRET).verify(request.body, request.headers)
    Webhook(NEW_SECRET).verify(request.body, request.headers)
    assert client.patch(url, json={"secret": NEW_SECRET}, headers=admin).status_code == 200
    assert _test(client, admin, "alice", method).json()["ok"] is True
    finished = receiver.requests[1]
    Webhook(NEW_SECRET).verify(finished.body, finished.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(finished.body, finished.headers)


def _delay(client, admin, method: int, minutes: int) -> None:
    url = f"{USERS}/alice/contact-methods/{method}"
    answer = client.patch(url, json={"delay_minutes": minutes}, headers=admin)
    assert answer.status_code == 200
    assert answer.json()["delay_minutes"] == minutes


def _timeline(client, admin, ref: str) -> list[dict]:
    return client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin).json()["items"]


def test_a_delayed_method_is_a_reminder_while_unacknowledged(
    client, admin, paged, add_method, sender, receiver, clock
):
    add_method("alice", "webhook", f"{receiver.url}/now")
    later = add_method("alice", "webhook", f"{receiver.url}/later")
    _delay(client, admin, later, 10)
    ref = paged()
    sender.tick()
    assert [r.path for r in receiver.requests] == ["/now"]
    clock.advance(timedelta(minutes=9))
    sender.tick()
    assert len(receiver.requests) == 1
    clock.advance(timedelta(minutes=1))
    sender.tick()
    assert [r.path for r in receiver.requests] == ["/now", "/later"]
    assert receiver.requests[1].headers["webhook-id"] == f"{ref}:page:1:1:alice:after10m:{later}"
    assert [n["status"] for n in notifications(client, admin, ref)] == ["sent", "sent"]


def test_a_delayed_method_is_skipped_once_acknowledged(
    client, admin, paged, add_method, sender, receiver, clock
):
    add_method("alice", "webhook", f"{receiver.url}/now")
    later = add_method("alice", "webhook", f"{receiver.url}/later")
    _delay(client, admin, later, 5)
    ref = paged()
    sender.tick()
    acked = client.post(f"{INCIDENTS}/{ref}/status", json={"status": "acknowledged"}, headers=admin)
    assert acked.status_code == 200, acked.json()
    clock.advance(timedelta(minutes=6))
    sender.tick()
    # The acknowledgement notice goes to alice's immediate method only, like any message.
    assert [r.path for r in receiver.requests] == ["/now", "/now"]
    assert [(n["kind"], n["status"]) for n in notifications(client, admin, ref)] == [
        ("page", "sent"),
        ("page", "skipped"),
        ("acknowledged", "sent"),
    ]
    (skipped,) = [e for e in _timeline(client, admin, ref) if e["kind"] == "notification_skipped"]
    assert skipped["data"]["reason"] == "the incident is acknowledged"
    assert skipped["data"]["contact_method_id"] == later


def test_the_immediate_chain_ignores_delayed_methods_and_a_reminder_does_not_fall_over(
    client, admin, paged, add_method, sender, receiver, clock
):
    later = add_method("alice", "webhook", f"{receiver.url}/later")
    add_method("alice", "webhook", f"{receiver.url}/first")
    add_method("alice", "webhook", f"{receiver.url}/second")
    _delay(client, admin, later, 1)
    receiver.script(Reply(status=400), Reply(status=200), Reply(status=400))
    ref = paged()
    sender.tick()
    assert [r.path for r in receiver.requests] == ["/first", "/second"]
    clock.advance(timedelta(minutes=1))
    sender.tick()
    sender.tick()
    assert [r.path for r in receiver.requests] == ["/first", "/second", "/later"]
    assert [n["status"] for n in notifications(client, admin, ref)] == ["sent", "failed"]
    kinds = [e["kind"] for e in _timeline(client, admin, ref)]
    assert kinds.count("notification_failed") == 2
    assert kinds.count("notification_undeliverable") == 1
