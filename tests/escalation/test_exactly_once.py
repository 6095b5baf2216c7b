"""Several engines on one database page every step exactly once; a failed tick loses nothing."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine as Database
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.escalation.conftest import Outbox
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.db import make_session_factory
from warroom.engine.escalation import EscalationModule
from warroom.engine.loop import Engine
from warroom.escalation import policies, runner
from warroom.escalation.models import IncidentEscalation
from warroom.incidents import service as incidents
from warroom.incidents.models import TimelineEntry
from warroom.notifications import service as outbox_service
from warroom.notifications.models import Notification
from warroom.severity import DEFAULT_LEVELS, SeverityScheme

TWO_STEPS = [
    policies.StepSpec("0s", [{"user": "alice"}]),
    policies.StepSpec("5m", [{"user": "bob"}]),
]


def declare_many(session: Session, change: Change, count: int) -> None:
    scheme = SeverityScheme(DEFAULT_LEVELS)
    policies.create_policy(session, change=change, name="two", steps=TWO_STEPS)
    for number in range(count):
        incident = incidents.declare(
            session, change=change, scheme=scheme, title=f"Incident {number}", severity="P2"
        )
        runner.start(session, change=change, incident=incident, policy_name="two")
    session.commit()


def engines(database: Database, clock: FakeClock, count: int, batch: int) -> list[Engine]:
    return [
        Engine(make_session_factory(database), clock, [EscalationModule(batch)], interval=1.0)
        for _ in range(count)
    ]


def still_due(database: Database, clock: FakeClock) -> int:
    with database.connect() as connection:
        return connection.scalar(
            select(func.count())
            .select_from(IncidentEscalation)
            .where(IncidentEscalation.state == "active", IncidentEscalation.next_at <= clock.now())
        )


def test_three_engines_page_every_step_exactly_once(
    engine: Database, session: Session, change: Change, clock: FakeClock, people: None
):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: several engines need PostgreSQL's SKIP LOCKED")
    declare_many(session, change, 200)
    clock.advance(minutes=10)  # both steps of every escalation are due
    handled: Counter[int] = Counter()
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def work(number: int, ticker: Engine) -> None:
        try:
            start.wait()
            while True:
                count = ticker.tick()["escalation"]
                handled[number] += count
                if count == 0 and still_due(engine, clock) == 0:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(n, e))
        for n, e in enumerate(engines(engine, clock, 3, 25))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(handled.values()) == 400
    with engine.connect() as connection:
        keys = connection.scalars(select(Notification.idempotency_key)).all()
        paged = connection.scalars(
            select(TimelineEntry.incident_id).where(TimelineEntry.kind == "paged")
        ).all()
        states = connection.execute(
            select(IncidentEscalation.state, func.count()).group_by(IncidentEscalation.state)
        ).all()
    assert len(keys) == 400
    assert len(set(keys)) == 400
    assert Counter(Counter(paged).values()) == {2: 200}  # every escalation paged both steps once
    assert states == [("exhausted", 200)]


def test_a_tick_that_fails_mid_batch_loses_nothing(
    engine: Database,
    session: Session,
    change: Change,
    clock: FakeClock,
    people: None,
    monkeypatch: pytest.MonkeyPatch,
):
    declare_many(session, change, 3)
    first, second = engines(engine, clock, 2, 200)
    real_enqueue = outbox_service.enqueue_pages
    calls = []

    def dies_on_the_second_incident(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the engine died")
        return real_enqueue(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_service, "enqueue_pages", dies_on_the_second_incident)
    with pytest.raises(RuntimeError, match="died"):
        first.tick()
    monkeypatch.setattr(outbox_service, "enqueue_pages", real_enqueue)
    box = Outbox(engine)
    box.expect_none()
    with engine.connect() as connection:
        rows = connection.execute(
            select(IncidentEscalation.state, IncidentEscalation.step_index)
        ).all()
    assert rows == [("active", 0)] * 3
    assert second.tick() == {"escalation": 3}
    assert [p[1:] for p in box.new()] == [("alice", 1, 1)] * 3


def test_claimed_rows_are_skipped_by_other_engines_until_released(
    engine: Database,
    session: Session,
    change: Change,
    clock: FakeClock,
    people: None,
    monkeypatch: pytest.MonkeyPatch,
):
    if engine.dialect.name != "postgresql":
        pytest.skip("row claims (FOR UPDATE SKIP LOCKED) exist on PostgreSQL only")
    declare_many(session, change, 5)
    holder, other = engines(engine, clock, 2, 200)
    real_enqueue = outbox_service.enqueue_pages
    claimed, release = threading.Event(), threading.Event()

    def pauses_then_dies(*args: object, **kwargs: object) -> object:
        claimed.set()
        release.wait(timeout=30)
        raise RuntimeError("the engine died holding its claims")

    monkeypatch.setattr(outbox_service, "enqueue_pages", pauses_then_dies)
    failures: list[BaseException] = []

    def hold() -> None:
        try:
            holder.tick()
        except RuntimeError as exc:
            failures.append(exc)

    thread = threading.Thread(target=hold)
    thread.start()
    assert claimed.wait(timeout=30)
    monkeypatch.setattr(outbox_service, "enqueue_pages", real_enqueue)
    assert other.tick() == {"escalation": 0}  # every due row is claimed by the stuck engine
    release.set()
    thread.join(timeout=30)
    assert len(failures) == 1
    assert other.tick() == {"escalation": 5}
    box = Outbox(engine)
    assert [p[1:] for p in box.new()] == [("alice", 1, 1)] * 5
