"""Pages really leave: signed webhooks, email, backoff, fall-over, refusals, the delivery log."""

from __future__ import annotations

from datetime import timedelta

from standardwebhooks.webhooks import Webhook

from tests.channels.conftest import Reply
from tests.escalation.conftest import INCIDENTS

from .conftest import SECRET, notifications


def _timeline_kinds(client, admin, ref) -> list[str]:
    items = client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin).json()["items"]
    return [e["kind"] for e in items]


def test_a_page_arrives_signed_once_and_is_logged(
    client, admin, paged, add_method, sender, receiver
):
    add_method("alice", "webhook", f"{receiver.url}/page", secret=SECRET)
    ref = paged()
    sender.tick()
    (request,) = receiver.requests
    Webhook(SECRET).verify(request.body, request.headers)
    assert request.headers["webhook-id"] == f"{ref}:page:1:1:alice"
    (logged,) = notifications(client, admin, ref)
    assert (logged["status"], logged["channel"], logged["attempts"]) == ("sent", "webhook", 1)
    assert "notification_sent" in _timeline_kinds(client, admin, ref)
    sender.tick()
    assert len(receiver.requests) == 1


def test_a_500_is_retried_with_backoff_and_the_same_webhook_id(
    client, admin, paged, add_method, sender, receiver, clock
):
    add_method("alice", "webhook", f"{receiver.url}/page", secret=SECRET)
    receiver.script(Reply(status=500, body="boom"))
    ref = paged()
    sender.tick()
    (logged,) = notifications(client, admin, ref)
    assert (logged["status"], logged["attempts"], logged["last_error"]) == (
        "retry",
        1,
        "HTTP 500: boom",
    )
    sender.tick()
    assert len(receiver.requests) == 1  # not due yet: backoff
    clock.advance(timedelta(seconds=60))
    sender.tick()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert notifications(client, admin, ref)[0]["status"] == "sent"


def test_retry_after_is_honoured(client, admin, paged, add_method, sender, receiver, clock):
    add_method("alice", "webhook", f"{receiver.url}/page")
    receiver.script(Reply(status=429, headers={"Retry-After": "300"}))
    ref = paged()
    sender.tick()
    clock.advance(timedelta(seconds=290))
    sender.tick()
    assert len(receiver.requests) == 1
    clock.advance(timedelta(seconds=15))
    sender.tick()
    assert len(receiver.requests) == 2
    assert notifications(client, admin, ref)[0]["status"] == "sent"


def test_a_400_falls_over_to_the_next_method_and_the_timeline_says_so(
    client, admin, paged, add_method, sender, receiver, smtp_server
):
    add_method("alice", "webhook", f"{receiver.url}/page")
    add_method("alice", "email", "alice@example.com")
    receiver.script(Reply(status=400, body="bad"))
    ref = paged()
    sender.tick()
    assert len(receiver.requests) == 1
    (logged,) = notifications(client, admin, ref)
    assert (logged["status"], logged["channel"]) == ("sent", "email")
    (envelope,) = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert ref in envelope.content.decode()
    kinds = _timeline_kinds(client, admin, ref)
    assert kinds.index("notification_failed") < kinds.index("notification_sent")


def test_a_private_address_is_refused_at_send_time_and_falls_over(
    client, admin, paged, add_method, sender, receiver, session
):
    add_method("alice", "webhook", "http://10.0.0.1/page")
    add_method("alice", "webhook", f"{receiver.url}/page")
    ref = paged()
    sender.tick()
    assert len(receiver.requests) == 1
    failed = [
        e["data"]
        for e in client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin).json()["items"]
        if e["kind"] == "notification_failed"
    ]
    assert "10.0.0.1 is a private address" in failed[0]["error"]


def test_nobody_to_reach_is_recorded_not_dropped_silently(client, admin, paged, sender):
    ref = paged()
    sender.tick()
    (logged,) = notifications(client, admin, ref)
    assert logged["status"] == "failed"
    assert logged["last_error"] == "alice has no contact methods"
    assert "notification_undeliverable" in _timeline_kinds(client, admin, ref)


def test_every_method_failing_ends_failed_after_the_attempt_cap(
    client, admin, paged, add_method, sender, receiver, clock
):
    add_method("alice", "webhook", f"{receiver.url}/page")
    receiver.default = Reply(status=503, body="down")
    ref = paged()
    for _ in range(8):
        sender.tick()
        clock.advance(timedelta(minutes=11))
    page = [r for r in receiver.requests if r.headers["webhook-id"] == f"{ref}:page:1:1:alice"]
    assert len(page) == 5
    logged = notifications(client, admin, ref)
    pages = [n for n in logged if n["kind"] != "update_due"]  # the cadence reminds, too
    assert [n["kind"] for n in pages] == ["page", "sla_breach"]  # the ack target passed, too
    assert pages[0]["status"] == "failed"
    assert "every contact method of alice failed" in pages[0]["last_error"]
