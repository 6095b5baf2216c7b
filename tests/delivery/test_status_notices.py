"""Those paged hear when the incident is acknowledged or resolved, and by whom; the doer doesn't."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.orm import Session

from tests.escalation.conftest import INCIDENTS
from warroom.engine.monitoring import MonitoringModule
from warroom.incidents.service import get


def _messages(receiver) -> list[tuple[str, str]]:
    return [
        (json.loads(r.body)["type"], json.loads(r.body)["text"].splitlines()[0])
        for r in receiver.requests
    ]


def _move(client, headers, ref: str, status: str) -> None:
    answer = client.post(f"{INCIDENTS}/{ref}/status", json={"status": status}, headers=headers)
    assert answer.status_code == 200, answer.json()


def test_acknowledge_and_resolve_are_announced_to_those_paged(
    client, admin, issue_token, paged, add_method, sender, receiver
):
    add_method("alice", "webhook", f"{receiver.url}/alice")
    ref = paged()
    sender.tick()
    bob = issue_token("responder", user="bob")

    _move(client, bob, ref, "acknowledged")
    sender.tick()
    _move(client, bob, ref, "resolved")
    sender.tick()
    sender.tick()

    assert _messages(receiver) == [
        ("page", _messages(receiver)[0][1]),
        ("acknowledged", f"{ref} was acknowledged by Bob and is being worked on."),
        ("resolved", f"{ref} is resolved; Bob resolved it."),
    ]
    keys = [r.headers["webhook-id"] for r in receiver.requests[1:]]
    assert keys[0].startswith(f"{ref}:acknowledged:")
    assert keys[1].startswith(f"{ref}:resolved:")


def test_the_person_who_acted_is_not_told_what_they_did(
    client, issue_token, paged, add_method, sender, receiver
):
    add_method("alice", "webhook", f"{receiver.url}/alice")
    ref = paged()
    sender.tick()
    alice = issue_token("responder", user="alice")

    _move(client, alice, ref, "acknowledged")
    _move(client, alice, ref, "resolved")
    sender.tick()

    assert [kind for kind, _ in _messages(receiver)] == ["page"]


def test_nobody_paged_means_no_notice(client, admin, people, add_method, sender, receiver):
    add_method("alice", "webhook", f"{receiver.url}/alice")
    answer = client.post(INCIDENTS, json={"title": "Quiet", "severity": "P3"}, headers=admin)
    ref = answer.json()["ref"]

    _move(client, admin, ref, "acknowledged")
    _move(client, admin, ref, "resolved")
    sender.tick()

    assert receiver.requests == []


def test_a_quiet_period_resolve_is_announced_as_warroom(
    client, admin, paged, add_method, sender, receiver, session: Session, clock
):
    add_method("alice", "webhook", f"{receiver.url}/alice")
    ref = paged()
    sender.tick()
    incident = get(session, ref)
    incident.status = "monitoring"
    incident.quiet_until = clock.now()
    session.commit()
    clock.advance(timedelta(seconds=1))

    sender.tick()

    assert _messages(receiver)[-1] == ("resolved", f"{ref} is resolved; warroom resolved it.")
    assert MonitoringModule().run(session, clock.now()) == 0


def test_a_second_acknowledgement_in_the_same_second_is_not_an_error(
    client, admin, issue_token, paged, add_method, sender, receiver
):
    add_method("alice", "webhook", f"{receiver.url}/alice")
    ref = paged()
    sender.tick()
    bob = issue_token("responder", user="bob")
    _move(client, bob, ref, "acknowledged")
    again = client.post(f"{INCIDENTS}/{ref}/reassign", json={"user": "alice"}, headers=admin)
    assert again.status_code == 200, again.json()

    _move(client, bob, ref, "acknowledged")
    sender.tick()

    kinds = [kind for kind, _ in _messages(receiver)]
    assert kinds.count("acknowledged") == 1
