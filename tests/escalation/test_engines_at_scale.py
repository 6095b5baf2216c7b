"""Two and three engines on one PostgreSQL over 1,000 incidents do every step exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine as Database
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.cli.engine import build_engine
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.engine.loop import Engine
from warroom.escalation import policies, runner, stakeholders
from warroom.escalation.models import IncidentEscalation, IncidentSlaBreach, IncidentStakeholders
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident, TimelineEntry
from warroom.notifications.models import Notification
from warroom.severity import DEFAULT_LEVELS, DEFAULT_SCHEME, SeverityScheme
from warroom.users.models import User

INCIDENTS = 1000
NEEDS_POSTGRES = "several engines need PostgreSQL's SKIP LOCKED; SQLite has one writer"
# P1 acknowledge target moved to 30 min, so the SLA breach comes after both steps (15 min).
SCHEME = SeverityScheme(
    [DEFAULT_LEVELS[0].model_copy(update={"ack_sla": timedelta(minutes=30)}), *DEFAULT_LEVELS[1:]]
)


def set_up(session: Session, change: Change, second_step: str) -> int:
    """Policy ``two`` (alice at 0s, bob at ``second_step``) and P1 → carol at 1 min; the rule id."""
    steps = [
        policies.StepSpec("0s", [{"user": "alice"}]),
        policies.StepSpec(second_step, [{"user": "bob"}]),
    ]
    policies.create_policy(session, change=change, name="two", steps=steps)
    rule = stakeholders.RuleSpec("P1", "1m", [{"user": "carol"}])
    (stored,) = stakeholders.replace_matrix(
        session, change=change, scheme=DEFAULT_SCHEME, rules=[rule]
    )
    session.commit()
    return stored.id


def declare_many(session: Session, change: Change) -> list[str]:
    """Declare the P1s with policy ``two`` in one transaction; their refs."""
    refs = []
    for number in range(INCIDENTS):
        incident = incidents.declare(
            session, change=change, scheme=DEFAULT_SCHEME, title=f"Outage {number}", severity="P1"
        )
        runner.start(session, change=change, incident=incident, policy_name="two")
        refs.append(incident.ref)
    session.commit()
    return refs


def outbox_keys(database: Database) -> list[str]:
    """Every outbox row's idempotency key."""
    with database.connect() as connection:
        return list(connection.scalars(select(Notification.idempotency_key)))


def without_reminders(database: Database, rounds: int) -> list[str]:
    """The outbox keys but update reminders, after checking those: ``rounds`` per person paged."""
    keys = outbox_keys(database)
    reminders = Counter(key.rsplit(":", 1)[0] for key in keys if ":update_due:" in key)
    # At most one reminder round per incident and interval (the key counts the rounds). An
    # incident whose cadence ran before any engine had paged anyone had nobody to remind.
    assert len(reminders) > INCIDENTS * rounds * 0.9
    assert {int(key.rsplit("-", 1)[1]) for key in reminders} <= set(range(1, rounds + 1))
    # To those paged by then (the key has the handle, so nobody gets a round twice).
    assert set(reminders.values()) <= {1, 2}
    return [key for key in keys if ":update_due:" not in key]


def outbox_count(database: Database) -> int:
    """How many outbox rows there are."""
    with database.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Notification)) or 0)


def expected_keys(refs: Sequence[str], rule_id: int, *, sla: bool) -> list[str]:
    """Per incident: alice paged at step 1, bob at step 2, carol informed (and the ack breach)."""
    keys = []
    for ref in refs:
        keys += [f"{ref}:page:1:1:alice", f"{ref}:page:1:2:bob", f"{ref}:inform:{rule_id}:carol"]
        if sla:
            keys += [f"{ref}:sla_breach:ack:alice", f"{ref}:sla_breach:ack:bob"]
    return sorted(keys)


def assert_final_state(database: Database, refs: Sequence[str], *, breaches: int) -> None:
    """Every escalation exhausted after both steps, carol informed once, each breach marked once."""
    with database.connect() as connection:
        escalations = Counter(
            connection.execute(
                select(
                    IncidentEscalation.state,
                    IncidentEscalation.step_index,
                    IncidentEscalation.round,
                )
            ).all()
        )
        paged = Counter(
            connection.scalars(
                select(TimelineEntry.incident_id).where(TimelineEntry.kind == "paged")
            )
        )
        informed = Counter(
            tuple(informed)
            for informed in connection.scalars(select(IncidentStakeholders.informed))
        )
        carol = connection.scalar(select(User.id).where(User.handle == "carol"))
        marked = Counter(connection.scalars(select(IncidentSlaBreach.incident_id)))
        stored_refs = sorted(connection.scalars(select(Incident.ref)))
    assert stored_refs == sorted(refs)
    assert escalations == {("exhausted", 1, 1): len(refs)}
    assert Counter(paged.values()) == {2: len(refs)}  # a timeline entry per step, once each
    assert informed == {(carol,): len(refs)}
    assert Counter(marked.values()) == ({1: breaches} if breaches else {})


def run_concurrently(loops: Sequence[Engine]) -> Counter[str]:
    """Tick every engine in its own thread until three ticks in a row handle nothing."""
    handled: Counter[str] = Counter()
    failures: list[BaseException] = []
    start = threading.Barrier(len(loops))
    lock = threading.Lock()

    def work(loop: Engine) -> None:
        try:
            start.wait(timeout=10)
            idle = 0
            while idle < 3:
                counts = loop.tick()
                with lock:
                    handled.update(counts)
                idle = 0 if any(counts.values()) else idle + 1
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(loop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    assert not any(thread.is_alive() for thread in threads), "an engine did not finish"
    assert failures == []
    return +handled  # without the modules that handled nothing


@pytest.mark.parametrize("count", [2, 3])
def test_engines_in_threads_do_every_step_exactly_once(
    engine: Database,
    session: Session,
    change: Change,
    clock: FakeClock,
    people: None,
    count: int,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(NEEDS_POSTGRES)
    rule_id = set_up(session, change, "15m")
    refs = declare_many(session, change)
    loops = [
        build_engine(engine, clock, Settings(severities=list(SCHEME.levels))) for _ in range(count)
    ]
    clock.advance(minutes=20)  # both steps and the 1 min inform are due; the 30 min ack SLA is not
    handled = run_concurrently(loops)
    # The 15 min internal update is overdue too: each incident's cadence is handled once.
    assert handled["escalation"] == 2 * INCIDENTS
    assert handled["stakeholders"] == INCIDENTS
    assert handled["cadence"] == INCIDENTS
    assert sorted(without_reminders(engine, 1)) == expected_keys(refs, rule_id, sla=False)
    clock.advance(minutes=11)  # the ack SLA has passed: those paged (alice, bob) are told once
    handled = run_concurrently(loops)
    assert handled == {"sla": INCIDENTS, "cadence": INCIDENTS}
    assert sorted(without_reminders(engine, 2)) == expected_keys(refs, rule_id, sla=True)
    assert_final_state(engine, refs, breaches=INCIDENTS)
    assert not any(
        build_engine(engine, clock, Settings(severities=list(SCHEME.levels))).tick().values()
    )


def start_engine(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """``python -m warroom engine --interval 0.1`` on the test database, output to ``log``."""
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": settings.database_url,
        "WARROOM_LOG_LEVEL": "warning",
    }
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "warroom", "engine", "--interval", "0.1"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``check()`` every 20 ms until it is true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not after {seconds}s")
        time.sleep(0.02)


def test_an_engine_killed_mid_run_loses_nothing_and_duplicates_nothing(
    engine: Database,
    session: Session,
    change: Change,
    settings: Settings,
    people: None,
    tmp_path: Path,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(NEEDS_POSTGRES)
    rule_id = set_up(session, change, "5m")
    logs = [tmp_path / f"engine-{n}.log" for n in range(3)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes += [start_engine(settings, log) for log in logs]
        wait_until(
            lambda: all(b"running" in log.read_bytes() for log in logs), 30, "engines started"
        )
        # Declared 10 min ago on the real clock: both steps (0s, 5m) and the 1 min inform are due
        # now, the 15 min ack SLA is not. One commit, so every engine sees all of it at once.
        past = FakeClock(datetime.now(UTC) - timedelta(minutes=10))
        refs = declare_many(session, Change(actor=change.actor, clock=past))
        expected = expected_keys(refs, rule_id, sla=False)
        wait_until(lambda: outbox_count(engine) > 0, 30, "first outbox rows")
        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait(timeout=10)
        assert outbox_count(engine) < len(expected), "the killed engine was not mid-run"
        wait_until(lambda: outbox_count(engine) >= len(expected), 60, "every outbox row")
        time.sleep(0.5)  # a few more cycles of the survivors: nothing more is written
        assert sorted(outbox_keys(engine)) == expected
        assert_final_state(engine, refs, breaches=0)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    assert processes[0].returncode == -signal.SIGKILL
    for process, log in zip(processes[1:], logs[1:], strict=True):
        output = log.read_text()
        assert process.returncode == 0, output
        assert "failed" not in output, output
        assert "Traceback" not in output, output
