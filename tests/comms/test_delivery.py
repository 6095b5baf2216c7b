"""Updates really leave: each internal recipient once, the Slack channel, the status page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channels.conftest import Receiver
from tests.escalation.conftest import INCIDENTS
from warroom.comms import service as comms
from warroom.incidents import service as incidents
from warroom.notifications.models import Broadcast
from warroom.statuspage import service as statuspage

from .conftest import SLACK_CHANNEL, declare


def _updates_received(receiver: Receiver) -> dict[str, list[dict[str, Any]]]:
    """Status update payloads per receiving user (webhook paths are /HANDLE)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for request in receiver.requests:
        payload = json.loads(request.body)
        if payload["type"] == "status_update":
            found.setdefault(request.path.strip("/"), []).append(payload)
    return found


def test_each_internal_recipient_gets_the_update_once(
    client, admin, people, paging, add_method, sender, receiver, clock, post
):
    for handle in ("alice", "bob", "carol", "dave"):
        add_method(handle, "webhook", f"{receiver.url}/{handle}")
    matrix = {"rules": [{"severity": "P1", "after": "1m", "notify": [{"user": "dave"}]}]}
    assert client.put("/api/v1/stakeholders", json=matrix, headers=admin).status_code == 200
    ref = declare(client, admin)
    client.post(f"{INCIDENTS}/{ref}/roles", json={"role": "comms", "user": "alice"}, headers=admin)
    for handle in ("alice", "bob"):
        subscribed = client.post(
            f"{INCIDENTS}/{ref}/subscribers", json={"user": handle}, headers=admin
        )
        assert subscribed.status_code == 201
    sender.tick()  # carol is paged
    clock.advance(timedelta(minutes=1))
    sender.tick()  # dave is informed
    assert _updates_received(receiver) == {}

    answer = post(ref, audience="internal", body="Rolled back; errors falling.")
    sender.tick()
    sender.tick()

    assert sorted(answer.json()["notified"]) == ["alice", "bob", "carol", "dave"]
    received = _updates_received(receiver)
    assert sorted(received) == ["alice", "bob", "carol", "dave"]
    assert all(len(payloads) == 1 for payloads in received.values()), received
    text = received["carol"][0]["text"]
    assert "Rolled back; errors falling." in text
    assert "from admin-token" in text
    assert "Next update: 2025-11-01 09:16 UTC" in text
    update_id = answer.json()["id"]
    assert received["dave"][0]["id"] == f"{ref}:status_update:update-{update_id}:dave"


def test_the_comms_slack_channel_gets_internal_updates_once(
    incident, post, sender, slack_api: Receiver
):
    answer = post(incident, audience="internal", body="Cache flushed, watching error rates.")
    sender.tick()
    sender.tick()

    assert answer.json()["slack_channel"] == SLACK_CHANNEL
    [request] = slack_api.requests
    assert request.path == "/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-comms"
    posted = json.loads(request.body)
    assert posted["channel"] == SLACK_CHANNEL
    assert "Cache flushed, watching error rates." in posted["text"]
    assert posted["metadata"]["event_payload"]["idempotency_key"] == (
        f"{incident}:update-{answer.json()['id']}:slack"
    )


def test_public_updates_go_to_the_status_page_not_to_responders(
    session: Session, engine, incident, post, sender, slack_api: Receiver, receiver, add_method
):
    add_method("alice", "webhook", f"{receiver.url}/alice")

    answer = post(incident, audience="public", body="We are looking into failed payments.")
    sender.tick()

    assert answer.status_code == 201, answer.json()
    assert answer.json()["notified"] == []
    assert _updates_received(receiver) == {}
    assert slack_api.requests == []
    public = statuspage.public_incident_for(session, incidents.get(session, incident))
    assert public is not None
    assert public.status == "investigating"
    assert [u.body for u in public.updates] == ["We are looking into failed payments."]


def test_without_a_slack_channel_nothing_is_broadcast(session: Session, change, settings, incident):
    quiet = settings.model_copy(update={"comms_slack_channel": ""})

    posted = comms.post_update(
        session,
        change=change,
        settings=quiet,
        incident=incidents.get(session, incident),
        audience="internal",
        body="No channel for this one.",
    )
    session.commit()

    assert posted.slack_channel is None
    assert session.scalars(select(Broadcast)).all() == []
