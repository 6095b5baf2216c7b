"""Slack channel: incoming webhooks and a fake Web API on a loopback receiver."""

from __future__ import annotations

import json
from typing import Any

from tests.channels.conftest import Receiver, Reply, free_port, make_message, make_settings
from warroom.channels.base import Destination
from warroom.channels.egress_types import EgressRefused
from warroom.channels.slack import ACKNOWLEDGE_ACTION, RESOLVE_ACTION, SlackChannel


def _hook(receiver: Receiver) -> Destination:
    return Destination(type="slack", address=receiver.url + "/services/T1/B1/x")


def _api(receiver: Receiver, token: str = "xoxb-test") -> SlackChannel:
    return SlackChannel(make_settings(slack_bot_token=token, slack_api_url=receiver.url + "/"))


def _action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    actions = [b for b in blocks if b["type"] == "actions"]
    return [element["action_id"] for block in actions for element in block["elements"]]


def _json(body: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body)
    return data


def test_webhook_200_ok_posts_blocks_with_buttons(receiver: Receiver) -> None:
    result = SlackChannel(make_settings()).send(make_message(), _hook(receiver))

    assert result.ok, result
    posted = _json(receiver.requests[0].body)
    assert posted["text"] == "Checkout returns 500 for every request."
    assert posted["blocks"][0]["type"] == "header"
    assert _action_ids(posted["blocks"]) == [ACKNOWLEDGE_ACTION, RESOLVE_ACTION]
    buttons = posted["blocks"][-1]["elements"]
    assert [b["style"] for b in buttons] == ["primary", "danger"]
    assert {b["value"] for b in buttons} == {"INC-42"}


def test_given_blocks_are_used(receiver: Receiver) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "custom"}}]

    SlackChannel(make_settings()).send(make_message(blocks=blocks), _hook(receiver))

    assert _json(receiver.requests[0].body)["blocks"] == blocks


def test_webhook_400_invalid_payload_is_final(receiver: Receiver) -> None:
    receiver.script(Reply(400, "invalid_payload"))

    result = SlackChannel(make_settings()).send(make_message(), _hook(receiver))

    assert not result.ok
    assert not result.retryable
    assert result.detail == "HTTP 400: invalid_payload"


def test_webhook_429_is_retryable_after_retry_after(receiver: Receiver) -> None:
    receiver.script(Reply(429, "rate_limited", {"Retry-After": "7"}))

    result = SlackChannel(make_settings()).send(make_message(), _hook(receiver))

    assert not result.ok
    assert result.retryable
    assert result.retry_after == 7


def test_webhook_500_is_retryable(receiver: Receiver) -> None:
    receiver.script(Reply(500, "rollup_error"))

    result = SlackChannel(make_settings()).send(make_message(), _hook(receiver))

    assert not result.ok
    assert result.retryable


def test_webhook_guard_refusal(receiver: Receiver) -> None:
    def guard(url: str) -> None:
        raise EgressRefused("private address")

    result = SlackChannel(make_settings(), guard=guard).send(make_message(), _hook(receiver))

    assert result.detail == "refused: private address"
    assert not result.retryable
    assert receiver.requests == []


def test_web_api_posts_message_with_buttons_and_metadata(receiver: Receiver) -> None:
    receiver.default = Reply(200, '{"ok": true, "channel": "C1", "ts": "1.2"}')

    result = _api(receiver).send(make_message(), Destination(type="slack", address="#oncall"))

    assert result.ok, result
    (request,) = receiver.requests
    assert request.path == "/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-test"
    posted = _json(request.body)
    assert posted["channel"] == "#oncall"
    assert _action_ids(posted["blocks"]) == [ACKNOWLEDGE_ACTION, RESOLVE_ACTION]
    assert posted["metadata"]["event_payload"] == {
        "idempotency_key": "delivery-1",
        "incident": "INC-42",
    }


def test_web_api_to_a_member(receiver: Receiver) -> None:
    receiver.default = Reply(200, '{"ok": true}')

    result = _api(receiver).send(make_message(), Destination(type="slack", address="U012AB3CD"))

    assert result.ok
    assert _json(receiver.requests[0].body)["channel"] == "U012AB3CD"


def test_web_api_channel_not_found_is_final(receiver: Receiver) -> None:
    receiver.default = Reply(200, '{"ok": false, "error": "channel_not_found"}')

    result = _api(receiver).send(make_message(), Destination(type="slack", address="#gone"))

    assert not result.ok
    assert not result.retryable
    assert result.detail == "Slack API error: channel_not_found"
    assert len(receiver.requests) == 1


def test_web_api_ratelimited_is_retryable(receiver: Receiver) -> None:
    receiver.script(Reply(429, '{"ok": false, "error": "ratelimited"}', {"Retry-After": "3"}))

    result = _api(receiver).send(make_message(), Destination(type="slack", address="#oncall"))

    assert not result.ok
    assert result.retryable
    assert result.retry_after == 3
    assert len(receiver.requests) == 1


def test_web_api_server_error_is_retryable(receiver: Receiver) -> None:
    receiver.script(Reply(503, "<html>down</html>"))

    result = _api(receiver).send(make_message(), Destination(type="slack", address="#oncall"))

    assert not result.ok
    assert result.retryable


def test_web_api_not_configured() -> None:
    channel = SlackChannel(make_settings(slack_bot_token=""))

    result = channel.send(make_message(), Destination(type="slack", address="#oncall"))

    assert not result.ok
    assert not result.retryable
    assert result.detail == "Slack is not configured (WARROOM_SLACK_BOT_TOKEN)"


def test_unknown_address_is_final() -> None:
    result = SlackChannel(make_settings()).send(
        make_message(), Destination(type="slack", address="not a channel")
    )

    assert not result.ok
    assert not result.retryable


def test_web_api_unreachable_is_retryable() -> None:
    port = free_port()
    channel = SlackChannel(
        make_settings(slack_bot_token="xoxb-test", slack_api_url=f"http://127.0.0.1:{port}/")
    )

    result = channel.send(make_message(), Destination(type="slack", address="#oncall"))

    assert not result.ok
    assert result.retryable
    assert "xoxb" not in result.detail
