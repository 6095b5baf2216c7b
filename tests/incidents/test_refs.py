"""Incident refs: one sequence per UTC day, distinct and gap-free even under concurrent declares."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.db import make_session_factory, transaction
from warroom.errors import ValidationFailed
from warroom.incidents import service
from warroom.incidents.models import TimelineEntry
from warroom.severity import DEFAULT_SCHEME
from warroom.users.models import AuditEntry


def test_twenty_concurrent_declares_get_twenty_gap_free_refs(engine: Engine, change: Change):
    factory = make_session_factory(engine)
    start = threading.Barrier(20)

    def declare(n: int) -> str:
        start.wait()
        with transaction(factory) as session:
            incident = service.declare(
                session, change=change, scheme=DEFAULT_SCHEME, title=f"storm {n}", severity="P2"
            )
            return incident.ref

    with ThreadPoolExecutor(max_workers=20) as pool:
        refs = list(pool.map(declare, range(20)))
    assert sorted(refs) == [f"incident-2025-11-01-{n:03d}" for n in range(1, 21)]


def test_a_rolled_back_declare_leaves_no_gap(session: Session, change: Change):
    first = service.declare(session, change=change, scheme=DEFAULT_SCHEME, title="a", severity="P3")
    assert first.ref == "incident-2025-11-01-001"
    session.rollback()
    with pytest.raises(ValidationFailed):
        service.declare(session, change=change, scheme=DEFAULT_SCHEME, title="b", severity="P9")
    session.rollback()
    again = service.declare(session, change=change, scheme=DEFAULT_SCHEME, title="c", severity="P3")
    session.commit()
    assert again.ref == "incident-2025-11-01-001"


def test_sequence_grows_past_three_digits(session: Session, change: Change):
    refs = [
        service.declare(session, change=change, scheme=DEFAULT_SCHEME, title="x", severity="P4").ref
        for _ in range(1000)
    ]
    session.commit()
    assert refs[998:] == ["incident-2025-11-01-999", "incident-2025-11-01-1000"]


def test_timeline_and_audit_entries_cannot_be_changed_or_deleted(session: Session, change: Change):
    service.declare(session, change=change, scheme=DEFAULT_SCHEME, title="a", severity="P3")
    session.commit()
    for model in (TimelineEntry, AuditEntry):
        entry = session.scalars(select(model)).first()
        assert entry is not None
        entry.actor = "someone else"
        with pytest.raises(TypeError, match="append-only"):
            session.flush()
        session.rollback()
        session.delete(session.scalars(select(model)).first())
        with pytest.raises(TypeError, match="append-only"):
            session.flush()
        session.rollback()
