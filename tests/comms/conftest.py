"""A P1 to talk about, people to tell, loopback receivers for their messages and Slack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.channels.conftest import Receiver, Reply, SmtpServer, receiver, smtp_server  # noqa: F401
from tests.delivery.conftest import add_method, delivery_settings, sender  # noqa: F401
from tests.escalation.conftest import INCIDENTS, make_policy
from tests.oncall.conftest import people  # noqa: F401
from warroom.config import Settings, load_settings

SLACK_CHANNEL = "C0COMMS01"
Json = dict[str, Any]


@pytest.fixture
def slack_api() -> Iterator[Receiver]:
    """A loopback stand-in for Slack's Web API that accepts every post."""
    server = Receiver()
    server.default = Reply(200, '{"ok": true, "channel": "C0COMMS01", "ts": "1.2"}')
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def settings(
    database_url: str,
    slack_api: Receiver,
    smtp_server: SmtpServer,  # noqa: F811
) -> Settings:
    """Settings whose Slack API, SMTP server and webhooks are all on 127.0.0.1."""
    return load_settings(
        database_url=database_url,
        public_url="https://warroom.example.com",
        egress_allow="127.0.0.1",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security="none",
        delivery_timeout=1.0,
        slack_bot_token="xoxb-comms",
        slack_api_url=slack_api.url + "/",
        comms_slack_channel=SLACK_CHANNEL,
    )


def declare(client: TestClient, headers: dict[str, str], **fields: Any) -> str:
    """Declare an incident (a P1 on service web by default) and return its ref."""
    body = {"title": "Checkout is down", "severity": "P1", "service": "web", **fields}
    response = client.post(INCIDENTS, json=body, headers=headers)
    assert response.status_code == 201, response.json()
    return str(response.json()["ref"])


@pytest.fixture
def incident(client: TestClient, admin: dict[str, str], people: None) -> str:  # noqa: F811
    """A P1 on web with alice as comms lead and bob as commander; nobody paged."""
    ref = declare(client, admin, impact="Card payments fail for every customer")
    for role, user in (("communications_lead", "alice"), ("incident_commander", "bob")):
        answer = client.post(
            f"{INCIDENTS}/{ref}/roles", json={"role": role, "user": user}, headers=admin
        )
        assert answer.status_code == 200, answer.json()
    return ref


@pytest.fixture
def paging(client: TestClient, admin: dict[str, str], people: None) -> None:  # noqa: F811
    """Service web pages carol at once by policy carol-first."""
    make_policy(client, admin, "carol-first", ("0s", ["carol"]))
    answer = client.post(
        "/api/v1/services", json={"name": "web", "escalation_policy": "carol-first"}, headers=admin
    )
    assert answer.status_code == 201, answer.json()


Post = Callable[..., Any]


@pytest.fixture
def post(client: TestClient, admin: dict[str, str]) -> Post:
    """POST an update to an incident; returns the response."""

    def send(ref: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
        return client.post(f"{INCIDENTS}/{ref}/updates", json=body, headers=headers or admin)

    return send


def timeline(client: TestClient, headers: dict[str, str], ref: str, kind: str) -> list[Json]:
    """The data of an incident's timeline entries of one kind, oldest first."""
    entries = client.get(f"{INCIDENTS}/{ref}/timeline", headers=headers).json()["items"]
    return [e["data"] for e in entries if e["kind"] == kind]
