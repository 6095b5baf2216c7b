"""Webhook channel against a loopback receiver, verified with the standardwebhooks library."""

from __future__ import annotations

import base64
import json
import os
import time

from standardwebhooks.webhooks import Webhook

from tests.channels.conftest import Receiver, Reply, make_message, make_settings
from warroom.channels.base import Destination
from warroom.channels.egress_types import EgressRefused
from warroom.channels.registry import channels
from warroom.channels.webhook import WebhookChannel, parse_retry_after, payload_schema


def _secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def _to(receiver: Receiver, secret: str | None = None) -> Destination:
    return Destination(type="webhook", address=receiver.url + "/hook", secret=secret)


def test_posts_the_documented_payload_signed(receiver: Receiver) -> None:
    secret = _secret()

    result = WebhookChannel(make_settings()).send(make_message(), _to(receiver, secret))

    assert result.ok, result
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hook"
    assert request.headers["user-agent"] == "warroom"
    assert request.headers["webhook-id"] == "delivery-1"
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload == {
        "version": "1",
        "type": "incident.triggered",
        "id": "delivery-1",
        "incident": {
            "ref": "INC-42",
            "severity": "critical",
            "title": "[SEV1] Checkout is down",
            "url": "https://warroom.example/incidents/INC-42",
        },
        "text": "Checkout returns 500 for every request.",
    }
    assert set(payload_schema()["required"]) == set(payload)


def test_custom_payload_is_sent_as_is(receiver: Receiver) -> None:
    message = make_message(payload={"version": "1", "custom": True})

    assert WebhookChannel(make_settings()).send(message, _to(receiver)).ok

    assert json.loads(receiver.requests[0].body) == {"version": "1", "custom": True}
    assert "webhook-signature" not in receiver.requests[0].headers


def test_rotation_sends_one_signature_per_secret(receiver: Receiver) -> None:
    old, new = _secret(), _secret()

    result = WebhookChannel(make_settings()).send(make_message(), _to(receiver, f"{old} {new}"))

    assert result.ok
    request = receiver.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(request.body, request.headers)


def test_webhook_id_is_stable_across_retries(receiver: Receiver) -> None:
    receiver.script(Reply(500, "boom"), Reply(200))
    channel = WebhookChannel(make_settings())

    first = channel.send(make_message(), _to(receiver, _secret()))
    second = channel.send(make_message(), _to(receiver, _secret()))

    assert not first.ok
    assert first.retryable
    assert second.ok
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {"delivery-1"}


def test_timestamp_comes_from_the_clock(receiver: Receiver) -> None:
    channel = WebhookChannel(make_settings(), clock=lambda: 1_700_000_000.7)

    channel.send(make_message(), _to(receiver))

    assert receiver.requests[0].headers["webhook-timestamp"] == "1700000000"


def test_429_is_retryable_after_retry_after(receiver: Receiver) -> None:
    receiver.script(Reply(429, "slow down", {"Retry-After": "30"}))

    result = WebhookChannel(make_settings()).send(make_message(), _to(receiver))

    assert not result.ok
    assert result.retryable
    assert result.retry_after == 30


def test_503_with_an_http_date() -> None:
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:40 GMT", 1_700_000_000.0) == 20.0
    assert parse_retry_after("soon", 0.0) is None


def test_404_is_final(receiver: Receiver) -> None:
    receiver.script(Reply(404, "no such hook"))

    result = WebhookChannel(make_settings()).send(make_message(), _to(receiver))

    assert not result.ok
    assert not result.retryable
    assert result.detail == "HTTP 404: no such hook"


def test_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.script(Reply(302, "", {"Location": receiver.url + "/elsewhere"}))

    result = WebhookChannel(make_settings()).send(make_message(), _to(receiver))

    assert not result.ok
    assert not result.retryable
    assert "redirects are not followed" in result.detail
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_timeout_is_retryable_and_prompt(receiver: Receiver) -> None:
    receiver.script(Reply(200, "late", delay=2.0))
    channel = WebhookChannel(make_settings(delivery_timeout=0.5))

    started = time.monotonic()
    result = channel.send(make_message(), _to(receiver))

    assert not result.ok
    assert result.retryable
    assert result.detail == "timed out"
    assert time.monotonic() - started < 1.0


def test_connection_refused_is_retryable() -> None:
    to = Destination(type="webhook", address="http://127.0.0.1:9/hook")

    result = WebhookChannel(make_settings()).send(make_message(), to)

    assert not result.ok
    assert result.retryable


def test_guard_refusal_is_final_and_sends_nothing(receiver: Receiver) -> None:
    seen: list[str] = []

    def guard(url: str) -> None:
        seen.append(url)
        raise EgressRefused("loopback address")

    result = WebhookChannel(make_settings(), guard=guard).send(make_message(), _to(receiver))

    assert result == type(result)(ok=False, retryable=False, detail="refused: loopback address")
    assert seen == [receiver.url + "/hook"]
    assert receiver.requests == []


def test_invalid_secret_is_final_without_leaking_it(receiver: Receiver) -> None:
    result = WebhookChannel(make_settings()).send(make_message(), _to(receiver, "whsec_!!!"))

    assert not result.ok
    assert not result.retryable
    assert "!!!" not in result.detail
    assert receiver.requests == []


def test_registry_has_one_channel_per_type() -> None:
    built = channels(make_settings())

    assert sorted(built) == ["apprise", "email", "slack", "webhook"]
    assert all(channel.type == name for name, channel in built.items())
