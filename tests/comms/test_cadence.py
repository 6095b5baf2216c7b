"""Cadence reminders on a fake clock: once per missed update, to the right person, exactly once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine as Database
from sqlalchemy import select

from tests.channels.conftest import Receiver
from tests.escalation.conftest import INCIDENTS
from warroom.clock import FakeClock
from warroom.db import make_session_factory
from warroom.engine.cadence import CadenceModule
from warroom.engine.loop import Engine
from warroom.notifications.models import Notification
from warroom.users.models import User

from .conftest import Post, declare, timeline

Reminder = tuple[str, str, str]  # user, audience, due


@pytest.fixture
def cadence(engine: Database, clock: FakeClock) -> Engine:
    """An engine with only the cadence module."""
    return Engine(make_session_factory(engine), clock, [CadenceModule()])


class Reminders:
    """update_due rows written so far; each must be expected or the test fails at teardown."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.seen = 0

    def new(self) -> list[Reminder]:
        """Reminders written since the last call, as (user, audience, due)."""
        with self.database.connect() as connection:
            rows = connection.execute(
                select(User.handle, Notification.data)
                .join(User, User.id == Notification.user_id)
                .where(Notification.kind == "update_due")
                .order_by(Notification.id)
            ).all()
        fresh, self.seen = rows[self.seen :], len(rows)
        return [(handle, data["audience"], data["due_at"]) for handle, data in fresh]


@pytest.fixture
def reminders(engine: Database):  # type: ignore[no-untyped-def]
    """The reminders outbox; unexpected reminders left at the end fail the test."""
    box = Reminders(engine)
    yield box
    assert box.new() == [], "reminders the test did not expect"


def _at(clock: FakeClock, minutes: float) -> None:
    """Set the fake clock to ``minutes`` after 09:00, when the fixtures declare."""
    start = clock.now().replace(hour=9, minute=0, second=0, microsecond=0)
    clock.set(start + timedelta(minutes=minutes))


def test_a_silent_p1_reminds_its_comms_lead_every_15_minutes(
    client: TestClient, admin, incident, cadence: Engine, clock, reminders
):
    cadence.tick()
    _at(clock, 14.9)
    cadence.tick()
    assert reminders.new() == []

    _at(clock, 15)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 09:15 UTC")]
    [missed] = timeline(client, admin, incident, "cadence_missed")
    assert missed == {
        "audience": "internal",
        "due_at": "2025-11-01T09:15:00+00:00",
        "overdue_since": "2025-11-01T09:15:00+00:00",
        "reminded": ["alice"],
    }

    _at(clock, 16)
    cadence.tick()
    cadence.tick()
    assert reminders.new() == []

    _at(clock, 30)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 09:30 UTC")]
    assert [e["due_at"] for e in timeline(client, admin, incident, "cadence_missed")] == [
        "2025-11-01T09:15:00+00:00",
        "2025-11-01T09:30:00+00:00",
    ]


def test_the_reminder_reaches_the_comms_lead_as_a_real_message(
    incident, add_method, sender: Engine, receiver: Receiver, clock, reminders
):
    add_method("alice", "webhook", f"{receiver.url}/alice")
    _at(clock, 15)
    sender.tick()

    [request] = receiver.requests
    payload = json.loads(request.body)
    assert payload["type"] == "update_due"
    assert payload["subject"] == f"[P1] Internal update due: {incident} Checkout is down"
    assert "it was due at 2025-11-01 09:15 UTC" in payload["text"]
    assert f"warroom incident update {incident} --internal" in payload["text"]
    assert "reminded again at 2025-11-01 09:30 UTC" in payload["text"]
    assert reminders.new() == [("alice", "internal", "2025-11-01 09:15 UTC")]


def test_a_long_sleep_gives_one_reminder_not_a_backlog(incident, cadence, clock, reminders):
    cadence.tick()
    _at(clock, 62)
    cadence.tick()
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 09:15 UTC")]

    _at(clock, 75)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 10:15 UTC")]


def test_an_internal_update_restarts_the_schedule(incident, cadence, clock, reminders, post: Post):
    cadence.tick()
    _at(clock, 10)
    assert post(incident, audience="internal", body="Still digging.").status_code == 201
    _at(clock, 15)
    cadence.tick()
    assert reminders.new() == []

    _at(clock, 25)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 09:25 UTC")]


def test_an_update_after_a_miss_clears_the_overdue_state(
    client, admin, incident, cadence, clock, reminders, post: Post
):
    _at(clock, 15)
    cadence.tick()
    assert len(reminders.new()) == 1
    _at(clock, 20)
    post(incident, audience="internal", body="Update at last.")
    _at(clock, 35)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 09:35 UTC")]
    last = timeline(client, admin, incident, "cadence_missed")[-1]
    assert last["overdue_since"] == "2025-11-01T09:35:00+00:00"


def test_a_p4_never_reminds(client, admin, people, cadence, clock, reminders):
    ref = declare(client, admin, severity="P4", customer_facing=True)
    client.post(f"{INCIDENTS}/{ref}/roles", json={"role": "comms", "user": "alice"}, headers=admin)
    for minutes in (0, 15, 60, 24 * 60, 7 * 24 * 60):
        _at(clock, minutes)
        cadence.tick()
    assert reminders.new() == []
    assert timeline(client, admin, ref, "cadence_missed") == []


def test_resolving_stops_the_reminders(client, admin, incident, cadence, clock, reminders):
    _at(clock, 15)
    cadence.tick()
    assert len(reminders.new()) == 1
    _at(clock, 20)
    resolved = client.post(
        f"{INCIDENTS}/{incident}/status", json={"status": "resolved"}, headers=admin
    )
    assert resolved.status_code == 200
    for minutes in (30, 45, 120):
        _at(clock, minutes)
        cadence.tick()
    assert reminders.new() == []


def test_a_reopened_incident_starts_a_fresh_schedule(
    client, admin, incident, cadence, clock, reminders
):
    cadence.tick()
    client.post(f"{INCIDENTS}/{incident}/status", json={"status": "resolved"}, headers=admin)
    _at(clock, 60)
    client.post(f"{INCIDENTS}/{incident}/status", json={"status": "investigating"}, headers=admin)
    cadence.tick()
    assert reminders.new() == []
    _at(clock, 75)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 10:15 UTC")]


def test_public_cadence_is_for_customer_facing_incidents_only(
    client, admin, people, cadence, clock, reminders
):
    inside = declare(client, admin, title="Internal batch job late")
    outside = declare(client, admin, customer_facing=True)
    for ref in (inside, outside):
        client.post(
            f"{INCIDENTS}/{ref}/roles", json={"role": "comms", "user": "alice"}, headers=admin
        )
    cadence.tick()
    _at(clock, 30)
    cadence.tick()
    fresh = reminders.new()
    # Internal at 09:15 is one reminder each (the engine slept until 09:30); public first at 09:30.
    assert sorted(fresh) == sorted(
        [
            ("alice", "internal", "2025-11-01 09:15 UTC"),
            ("alice", "internal", "2025-11-01 09:15 UTC"),
            ("alice", "public", "2025-11-01 09:30 UTC"),
        ]
    )
    assert [m["audience"] for m in timeline(client, admin, inside, "cadence_missed")] == [
        "internal"
    ]
    assert sorted(m["audience"] for m in timeline(client, admin, outside, "cadence_missed")) == [
        "internal",
        "public",
    ]


def test_a_public_update_brings_public_cadence_to_any_incident(
    client, admin, incident, cadence, clock, reminders, post: Post
):
    cadence.tick()
    _at(clock, 5)
    assert post(incident, audience="internal", body="inside").status_code == 201
    assert post(incident, audience="public", body="We are investigating.").status_code == 201
    _at(clock, 20)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 09:20 UTC")]
    # P1 public updates after the first: every 60 minutes.
    _at(clock, 64)
    cadence.tick()
    assert ("alice", "public", "2025-11-01 10:05 UTC") not in reminders.new()
    _at(clock, 65)
    cadence.tick()
    assert ("alice", "public", "2025-11-01 10:05 UTC") in reminders.new()


def test_customer_facing_later_starts_public_cadence_then(
    client, admin, incident, cadence, clock, reminders, post: Post
):
    cadence.tick()
    _at(clock, 40)
    client.patch(f"{INCIDENTS}/{incident}", json={"customer_facing": True}, headers=admin)
    post(incident, audience="internal", body="quiet internal")
    cadence.tick()
    reminders.new()
    _at(clock, 69)
    cadence.tick()
    assert [r for r in reminders.new() if r[1] == "public"] == []
    _at(clock, 70)
    cadence.tick()
    assert [r for r in reminders.new() if r[1] == "public"] == [
        ("alice", "public", "2025-11-01 10:10 UTC")
    ]


def test_a_severity_change_rebases_the_schedule(client, admin, people, cadence, clock, reminders):
    ref = declare(client, admin, severity="P3")
    client.post(f"{INCIDENTS}/{ref}/roles", json={"role": "comms", "user": "alice"}, headers=admin)
    cadence.tick()
    _at(clock, 60)
    client.patch(f"{INCIDENTS}/{ref}", json={"severity": "P1"}, headers=admin)
    cadence.tick()
    _at(clock, 74)
    cadence.tick()
    assert reminders.new() == []
    _at(clock, 75)
    cadence.tick()
    assert reminders.new() == [("alice", "internal", "2025-11-01 10:15 UTC")]


def test_without_a_comms_lead_the_commander_then_the_paged_are_reminded(
    client, admin, people, paging, sender: Engine, clock, reminders
):
    ref = declare(client, admin)
    sender.tick()  # carol is paged
    _at(clock, 15)
    sender.tick()
    assert reminders.new() == [("carol", "internal", "2025-11-01 09:15 UTC")]
    client.post(f"{INCIDENTS}/{ref}/roles", json={"role": "ic", "user": "bob"}, headers=admin)
    _at(clock, 30)
    sender.tick()
    assert reminders.new() == [("bob", "internal", "2025-11-01 09:30 UTC")]


def test_with_nobody_to_remind_the_miss_is_still_recorded(
    client, admin, people, cadence, clock, reminders
):
    ref = declare(client, admin)
    _at(clock, 15)
    cadence.tick()
    assert reminders.new() == []
    [missed] = timeline(client, admin, ref, "cadence_missed")
    assert missed["reminded"] == []


def test_two_engines_remind_exactly_once(engine: Database, client, admin, people, clock, reminders):
    if engine.dialect.name != "postgresql":
        pytest.skip("several engines need PostgreSQL's SKIP LOCKED")
    refs = [declare(client, admin, customer_facing=True) for _ in range(20)]
    for ref in refs:
        client.post(
            f"{INCIDENTS}/{ref}/roles", json={"role": "comms", "user": "alice"}, headers=admin
        )
    loops = [
        Engine(make_session_factory(engine), clock, [CadenceModule(batch_size=3)]) for _ in range(3)
    ]
    failures: list[Exception] = []

    def work(loop: Engine) -> None:
        idle = 0
        while idle < 3:
            try:
                idle = idle + 1 if not any(loop.tick().values()) else 0
            except Exception as exc:
                failures.append(exc)

    for minutes in (0, 30):
        _at(clock, minutes)
        threads = [threading.Thread(target=work, args=(loop,)) for loop in loops]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == []
    counted = Counter(reminders.new())
    assert counted == {
        ("alice", "internal", "2025-11-01 09:15 UTC"): 20,
        ("alice", "public", "2025-11-01 09:30 UTC"): 20,
    }
