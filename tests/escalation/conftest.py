"""People, a schedule, an engine on the fake clock, and an outbox that fails on surprises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine as Database
from sqlalchemy import select

from tests.oncall.conftest import MakeSchedule, layer, make_schedule, people  # noqa: F401
from warroom.cli.engine import build_engine
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.db import make_session_factory
from warroom.engine.escalation import EscalationModule
from warroom.engine.loop import Engine
from warroom.notifications.models import Notification
from warroom.users.models import User

POLICIES = "/api/v1/escalation-policies"
SERVICES = "/api/v1/services"
INCIDENTS = "/api/v1/incidents"

Page = tuple[str, str, int, int]  # incident ref, user, step, round


class Outbox:
    """Every page written so far; a test must expect each one, or it fails at teardown."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.seen = 0

    def _rows(self) -> list[Page]:
        with self.database.connect() as connection:
            rows = connection.execute(
                select(Notification.idempotency_key, User.handle, Notification.step)
                .join(User, User.id == Notification.user_id)
                .where(Notification.kind == "page")
                .order_by(Notification.id)
            ).all()
        pages = []
        for key, handle, step in rows:
            ref, _, round_number, key_step, key_user = key.split(":")
            assert (int(key_step), key_user) == (step, handle), key
            pages.append((ref, handle, step, int(round_number)))
        return pages

    def new(self) -> list[Page]:
        """Pages written since the last call."""
        rows = self._rows()
        fresh, self.seen = rows[self.seen :], len(rows)
        return fresh

    def expect(self, *users: str) -> list[Page]:
        """Exactly these users were paged since the last check (in any order)."""
        fresh = self.new()
        assert sorted(p[1] for p in fresh) == sorted(users), fresh
        return fresh

    def expect_none(self) -> None:
        """Nobody was paged since the last check."""
        assert self.new() == []


@pytest.fixture
def outbox(engine: Database) -> Iterator[Outbox]:
    """The outbox; unexpected pages left at the end fail the test."""
    box = Outbox(engine)
    yield box
    assert box.new() == [], "pages the test did not expect"


@pytest.fixture
def ticker(engine: Database, clock: FakeClock) -> Engine:
    """An engine with the escalation module on the fake clock; call ``tick()``."""
    return Engine(make_session_factory(engine), clock, [EscalationModule()], interval=1.0)


Message = tuple[str, str, str]  # kind, incident ref, user


class Messages:
    """Every outbox row but update reminders; a test must expect each, or it fails at teardown."""

    # Reminders to post a status update run on their own clock; tests/comms expects each one.
    IGNORED = ("update_due",)

    def __init__(self, database: Database) -> None:
        self.database = database
        self.seen = 0

    def new(self) -> list[Message]:
        """Messages written since the last call, as (kind, ref, user)."""
        with self.database.connect() as connection:
            rows = connection.execute(
                select(Notification.kind, Notification.idempotency_key, User.handle)
                .join(User, User.id == Notification.user_id)
                .where(Notification.kind.not_in(self.IGNORED))
                .order_by(Notification.id)
            ).all()
        fresh, self.seen = rows[self.seen :], len(rows)
        return [(kind, key.split(":")[0], handle) for kind, key, handle in fresh]

    def expect(self, kind: str, *users: str) -> None:
        """Exactly these users got a message of ``kind`` since the last check, and nothing else."""
        fresh = self.new()
        assert sorted((k, u) for k, _, u in fresh) == sorted((kind, u) for u in users), fresh

    def expect_none(self) -> None:
        """Nothing was written since the last check."""
        assert self.new() == []


@pytest.fixture
def messages(engine: Database) -> Iterator[Messages]:
    """The outbox across kinds; unexpected messages left at the end fail the test."""
    box = Messages(engine)
    yield box
    assert box.new() == [], "messages the test did not expect"


@pytest.fixture
def full_engine(engine: Database, clock: FakeClock, settings: Settings) -> Engine:
    """The engine ``warroom engine`` runs (every module) on the fake clock."""
    return build_engine(engine, clock, settings, wait_for_sends=True)


@pytest.fixture
def primary(make_schedule: MakeSchedule) -> str:  # noqa: F811
    """Schedule ``primary``: a weekly alice/bob rotation; alice has the week of 2025-11-01."""
    make_schedule("primary", "UTC", [layer("weekly", "weekly", "2025-10-27T09:00", "alice", "bob")])
    return "primary"


def make_policy(
    client: TestClient,
    headers: dict[str, str],
    name: str,
    *steps: tuple[str, list[Any]],
    repeat: int = 0,
) -> dict[str, Any]:
    """Create a policy from (after, targets) pairs; a bare handle means ``{"user": handle}``."""
    body = {
        "name": name,
        "repeat": repeat,
        "steps": [
            {"after": after, "targets": [{"user": t} if isinstance(t, str) else t for t in targets]}
            for after, targets in steps
        ],
    }
    response = client.post(POLICIES, json=body, headers=headers)
    assert response.status_code == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def declare(client: TestClient, headers: dict[str, str], **fields: Any) -> str:
    """Declare a P1 and return its ref."""
    body = {"title": "Checkout is down", "severity": "P1", **fields}
    response = client.post(INCIDENTS, json=body, headers=headers)
    assert response.status_code == 201, response.json()
    return response.json()["ref"]  # type: ignore[no-any-return]


def kinds(client: TestClient, headers: dict[str, str], ref: str) -> list[str]:
    """The incident's timeline entry kinds that concern escalation, in order."""
    entries = client.get(f"{INCIDENTS}/{ref}/timeline", headers=headers).json()["items"]
    wanted = ("escalat", "paged")
    return [e["kind"] for e in entries if e["kind"].startswith(wanted)]


def timeline(
    client: TestClient, headers: dict[str, str], ref: str, kind: str
) -> list[dict[str, Any]]:
    """The data of the incident's timeline entries of one kind."""
    entries = client.get(f"{INCIDENTS}/{ref}/timeline", headers=headers).json()["items"]
    return [e["data"] for e in entries if e["kind"] == kind]
