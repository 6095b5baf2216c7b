"""Slack's Acknowledge and Resolve buttons act on the incident, signed, as the linked user."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.escalation.conftest import declare
from tests.oncall.conftest import people  # noqa: F401
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.notifications.models import Broadcast
from warroom.users.contacts import add_contact_method
from warroom.users.service import get_user

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
URL = "/slack/interactions"
RESPONSE_URL = "https://hooks.slack.com/actions/T0001/1234/abcd"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app knows the Slack signing secret."""
    return settings.model_copy(update={"slack_signing_secret": SECRET})


@pytest.fixture
def alice_on_slack(session: Session, change, people: None) -> None:  # noqa: F811
    """alice's Slack member id is U0ALICE01."""
    alice = get_user(session, "alice")
    add_contact_method(session, change=change, user=alice, type="slack", address="U0ALICE01")
    session.commit()


def _payload(action: str, ref: str, user: str = "U0ALICE01", **extra: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "alice"},
        "response_url": RESPONSE_URL,
        "actions": [
            {"action_id": action, "value": ref, "type": "button", "action_ts": "1700000000.1"}
        ],
        **extra,
    }


def _press(client, clock: FakeClock, payload: Any, *, secret: str = SECRET, age: int = 0):
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(clock.now().timestamp()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }
    return client.post(URL, content=body, headers=headers)


def _incident(client, admin, ref: str) -> dict[str, Any]:
    return client.get(f"/api/v1/incidents/{ref}", headers=admin).json()  # type: ignore[no-any-return]


def _replies(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.scalars(select(Broadcast).where(Broadcast.kind == "slack_reply"))
    return [(r.address, r.message["text"]) for r in rows]


def test_acknowledge_button_acknowledges_as_the_linked_user_and_replies(
    client, admin, clock, session, alice_on_slack
):
    ref = declare(client, admin)

    answer = _press(client, clock, _payload("incident.acknowledge", ref))

    assert answer.status_code == 200
    assert _incident(client, admin, ref)["status"] == "acknowledged"
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    assert timeline[-1]["kind"] == "status_changed"
    assert timeline[-1]["actor"] == "user:alice"
    assert _replies(session) == [(RESPONSE_URL, f"{ref} acknowledged by Alice.")]


def test_resolve_button_resolves(client, admin, clock, session, alice_on_slack):
    ref = declare(client, admin)

    assert _press(client, clock, _payload("incident.resolve", ref)).status_code == 200

    assert _incident(client, admin, ref)["status"] == "resolved"
    assert _replies(session) == [(RESPONSE_URL, f"{ref} resolved by Alice.")]


def test_a_second_press_changes_nothing_and_says_so(client, admin, clock, session, alice_on_slack):
    ref = declare(client, admin)
    _press(client, clock, _payload("incident.acknowledge", ref))
    before = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    clock.advance(timedelta(seconds=5))
    later = _payload("incident.acknowledge", ref)
    later["actions"][0]["action_ts"] = "1700000005.1"

    assert _press(client, clock, later).status_code == 200

    after = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    assert after == before
    assert _replies(session)[-1] == (RESPONSE_URL, f"{ref} is already acknowledged.")


def test_an_unlinked_slack_user_is_told_how_to_link_and_nothing_changes(
    client, admin, clock, session, alice_on_slack
):
    ref = declare(client, admin)

    answer = _press(client, clock, _payload("incident.acknowledge", ref, user="U0MALLORY"))

    assert answer.status_code == 200
    assert _incident(client, admin, ref)["status"] == "triggered"
    [(_, text)] = _replies(session)
    assert "not linked" in text
    assert "--address U0MALLORY" in text


def test_an_unknown_incident_is_answered_not_failed(client, clock, session, alice_on_slack):
    answer = _press(client, clock, _payload("incident.resolve", "incident-2020-01-01-001"))

    assert answer.status_code == 200
    assert _replies(session) == [(RESPONSE_URL, "There is no incident incident-2020-01-01-001.")]


@pytest.mark.parametrize(
    ("secret", "age"), [("wrong-secret", 0), (SECRET, 301)], ids=["bad-signature", "too-old"]
)
def test_unsigned_or_stale_requests_are_refused_without_side_effects(
    client, admin, clock, session, alice_on_slack, secret, age
):
    ref = declare(client, admin)

    answer = _press(client, clock, _payload("incident.acknowledge", ref), secret=secret, age=age)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert _incident(client, admin, ref)["status"] == "triggered"
    assert _replies(session) == []


def test_without_a_signing_secret_the_endpoint_refuses(client, clock, settings, engine):
    from fastapi.testclient import TestClient

    from warroom.web.app import create_app

    unconfigured = settings.model_copy(update={"slack_signing_secret": ""})
    with TestClient(create_app(unconfigured, clock=clock, engine=engine)) as other:
        answer = _press(other, clock, _payload("incident.acknowledge", "x"))
    assert answer.status_code == 401
    assert "WARROOM_SLACK_SIGNING_SECRET" in answer.json()["detail"]


def test_a_signed_body_that_is_not_an_interaction_is_a_422(client, clock):
    body = "payload=%7Bnot-json"
    timestamp = str(int(clock.now().timestamp()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    answer = client.post(
        URL,
        content=body,
        headers={"x-slack-request-timestamp": timestamp, "x-slack-signature": signature},
    )
    assert answer.status_code == 422
    assert "payload" in answer.json()["detail"]


def test_other_interactions_and_foreign_response_urls_are_ignored(
    client, admin, clock, session, alice_on_slack
):
    ref = declare(client, admin)
    assert (
        _press(client, clock, {"type": "view_submission", "user": {"id": "U0ALICE01"}}).status_code
        == 200
    )
    opened = _payload("incident.open", ref)
    assert _press(client, clock, opened).status_code == 200
    elsewhere = _payload("incident.acknowledge", ref, response_url="https://evil.example/steal")

    assert _press(client, clock, elsewhere).status_code == 200

    assert _incident(client, admin, ref)["status"] == "acknowledged"
    assert _replies(session) == []
