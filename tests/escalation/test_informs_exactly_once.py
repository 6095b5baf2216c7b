"""Several engines on one PostgreSQL inform each stakeholder and mark each SLA breach once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine as Database
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.clock import FakeClock
from warroom.db import make_session_factory
from warroom.engine.loop import Engine
from warroom.engine.sla import SlaModule
from warroom.engine.stakeholders import StakeholdersModule
from warroom.escalation import stakeholders
from warroom.escalation.models import IncidentSlaBreach
from warroom.incidents import service as incidents
from warroom.notifications.models import Notification
from warroom.severity import DEFAULT_SCHEME

INCIDENTS = 60


def test_three_engines_inform_and_breach_exactly_once(
    engine: Database, session: Session, change: Change, clock: FakeClock, people: None
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several engines need PostgreSQL's SKIP LOCKED")
    rules = [
        stakeholders.RuleSpec("P2", "1m", [{"user": "alice"}]),
        stakeholders.RuleSpec("P2", "20m", [{"user": "bob"}, {"user": "alice"}]),
    ]
    stakeholders.replace_matrix(session, change=change, scheme=DEFAULT_SCHEME, rules=rules)
    for number in range(INCIDENTS):
        incidents.declare(
            session, change=change, scheme=DEFAULT_SCHEME, title=f"Incident {number}", severity="P2"
        )
    session.commit()
    clock.advance(minutes=31)  # every rule and the 30 min ack target are due at once
    loops = [
        Engine(
            make_session_factory(engine), clock, [StakeholdersModule(7), SlaModule(batch_size=7)]
        )
        for _ in range(3)
    ]
    failures: list[Exception] = []

    def work(loop: Engine) -> None:
        idle = 0
        while idle < 3:
            try:
                idle = idle + 1 if not any(loop.tick().values()) else 0
            except Exception as exc:
                failures.append(exc)

    threads = [threading.Thread(target=work, args=(loop,)) for loop in loops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with engine.connect() as connection:
        sent = Counter(
            (incident, user, kind)
            for incident, user, kind in connection.execute(
                select(Notification.incident_id, Notification.user_id, Notification.kind)
            )
        )
        breaches = Counter(connection.scalars(select(IncidentSlaBreach.incident_id)))
    assert len(sent) == 2 * INCIDENTS
    assert set(sent.values()) == {1}
    assert {kind for _, _, kind in sent} == {"inform"}
    assert len(breaches) == INCIDENTS
    assert set(breaches.values()) == {1}
