"""Apprise channel: its json:// plugin against a loopback receiver."""

from __future__ import annotations

import json

import apprise

from tests.channels.conftest import Receiver, Reply, make_message, make_settings
from warroom.channels.apprise import AppriseChannel, egress_targets
from warroom.channels.base import Destination
from warroom.channels.egress_types import EgressRefused


def _to(receiver: Receiver) -> Destination:
    port = receiver.url.rsplit(":", 1)[1]
    return Destination(type="apprise", address=f"json://127.0.0.1:{port}/notify")


def test_json_url_delivers_title_and_body(receiver: Receiver) -> None:
    result = AppriseChannel(make_settings()).send(make_message(), _to(receiver))

    assert result.ok, result
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.path == "/notify"
    posted = json.loads(request.body)
    assert posted["title"] == "[SEV1] Checkout is down"
    assert posted["message"] == "Checkout returns 500 for every request."


def test_receiver_500_is_retryable(receiver: Receiver) -> None:
    receiver.script(Reply(500, "boom"))

    result = AppriseChannel(make_settings()).send(make_message(), _to(receiver))

    assert not result.ok
    assert result.retryable
    assert result.detail == "apprise reported failure"


def test_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.script(Reply(302, "", {"Location": receiver.url + "/elsewhere"}))

    result = AppriseChannel(make_settings()).send(make_message(), _to(receiver))

    assert not result.ok
    assert [r.path for r in receiver.requests] == ["/notify"]


def test_timeout_is_retryable(receiver: Receiver) -> None:
    receiver.script(Reply(200, "late", delay=2.0))

    result = AppriseChannel(make_settings(delivery_timeout=0.5)).send(make_message(), _to(receiver))

    assert not result.ok
    assert result.retryable


def test_garbage_url_is_final() -> None:
    garbage = Destination(type="apprise", address="definitely not a url")

    result = AppriseChannel(make_settings()).send(make_message(), garbage)

    assert not result.ok
    assert not result.retryable
    assert result.detail == "not an Apprise URL apprise understands"


def test_guard_sees_the_url_and_refuses(receiver: Receiver) -> None:
    seen: list[str] = []

    def guard(url: str) -> None:
        seen.append(url)
        raise EgressRefused("loopback address")

    to = _to(receiver)
    result = AppriseChannel(make_settings(), guard=guard).send(make_message(), to)

    assert result.detail == "refused: loopback address"
    assert not result.retryable
    assert seen == [to.address]
    assert receiver.requests == []


def test_fixed_service_urls_guard_the_service_not_the_id() -> None:
    url = "discord://1234567890/abcdefTOKEN"
    plugin = apprise.Apprise.instantiate(url)

    assert egress_targets(plugin, url) == ["https://discord.com/api/webhooks"]
