"""A fixed data set built through the real services on a fake clock, with the SLA engine ticking.

Range [2026-11-04 00:00Z, 2026-11-18 12:00Z), report at 2026-11-19 10:00Z. Default SLAs:
P1 ack 15m / resolve 4h, P2 30m / 8h, P3 2h / 24h, P4 24h / 7d.

    inc sev svc       detected (UTC)     acknowledged      resolved
    A   P1  checkout  Wed 11-04 10:00    +10m (600 s)      +3h (10800 s)
    B   P1  checkout  Thu 11-05 02:00    +20m (1200 s)     +5h (18000 s)
    C   P2  payments  Fri 11-06 09:00    +30m (1800 s)     +2h (7200 s)
    D   P3  payments  Sat 11-07 12:00    never             +1h (3600 s), straight from triggered
    E   P1  checkout  Mon 11-16 08:00    +5m (300 s)       open
    I   P3  checkout  Tue 11-17 09:00    +1h (3600 s)      +2h, reopened +3h, again +26h (93600 s)
    F   P2  (none)    Tue 11-17 15:00    never             open
    G   P4  search    Wed 11-18 06:00    +1h (3600 s)      open
    H   P4  search    Wed 11-18 11:00    never             open
    X   P1  checkout  Tue 11-03 23:59    +1m               open   (before the range)
    Y   P2  checkout  Wed 11-18 12:00    never             open   (at `to`: outside)

Pages (created_at; alice UTC with a 5-minute delayed contact method, so every page of hers
also writes a reminder row; bob America/New_York = UTC-5; carol Asia/Tokyo = UTC+9):

    alice  A Wed 10:00 in · B Thu 02:00 out · E step 0 Mon 08:00 out · E step 1 Mon 09:00 in
    bob    A Wed 05:00 EST out · B step 1 Wed 21:10 EST out · F Tue 18:00 EST out
    carol  B Thu 11:00 JST in · D Sat 21:00 JST out · E Mon 17:00 JST in
    outside the range: alice for X, bob for Y
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from warroom.alerts.integrations import create_integration
from warroom.alerts.models import Alert, Integration
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.engine.sla import SlaModule
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.services.service import create_service
from warroom.severity import DEFAULT_SCHEME
from warroom.users.contacts import add_contact_method
from warroom.users.models import User
from warroom.users.service import create_user

START = "2026-11-04"
END = "2026-11-18T12:00:00Z"
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# letter: (severity, service, detected, [(offset, status)...])
PLAN: dict[str, tuple[str, str | None, datetime, list[tuple[timedelta, str]]]] = {
    "X": ("P1", "checkout", at(3, 23, 59), [(timedelta(minutes=1), "acknowledged")]),
    "A": (
        "P1",
        "checkout",
        at(4, 10),
        [(timedelta(minutes=10), "acknowledged"), (timedelta(hours=3), "resolved")],
    ),
    "B": (
        "P1",
        "checkout",
        at(5, 2),
        [(timedelta(minutes=20), "acknowledged"), (timedelta(hours=5), "resolved")],
    ),
    "C": (
        "P2",
        "payments",
        at(6, 9),
        [(timedelta(minutes=30), "acknowledged"), (timedelta(hours=2), "resolved")],
    ),
    "D": ("P3", "payments", at(7, 12), [(timedelta(hours=1), "resolved")]),
    "E": ("P1", "checkout", at(16, 8), [(timedelta(minutes=5), "acknowledged")]),
    "I": (
        "P3",
        "checkout",
        at(17, 9),
        [
            (timedelta(hours=1), "acknowledged"),
            (timedelta(hours=2), "resolved"),
            (timedelta(hours=3), "investigating"),
            (timedelta(hours=26), "resolved"),
        ],
    ),
    "F": ("P2", None, at(17, 15), []),
    "G": ("P4", "search", at(18, 6), [(timedelta(hours=1), "acknowledged")]),
    "H": ("P4", "search", at(18, 11), []),
    "Y": ("P2", "checkout", at(18, 12), []),
}

# (moment, incident, step, users)
PAGES: list[tuple[datetime, str, int, list[str]]] = [
    (at(3, 23, 59), "X", 0, ["alice"]),
    (at(4, 10), "A", 0, ["alice", "bob"]),
    (at(5, 2), "B", 0, ["alice", "carol"]),
    (at(5, 2, 10), "B", 1, ["bob"]),
    (at(7, 12), "D", 0, ["carol"]),
    (at(16, 8), "E", 0, ["alice", "carol"]),
    (at(16, 9), "E", 1, ["alice"]),
    (at(17, 23), "F", 0, ["bob"]),
    (at(18, 12), "Y", 0, ["bob"]),
]


@dataclass
class DataSet:
    """The incidents by letter and the people paged."""

    incidents: dict[str, Incident] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def ref(self, letter: str) -> str:
        """The ref of incident ``letter``."""
        return self.incidents[letter].ref


def _people(session: Session, change: Change) -> dict[str, User]:
    users = {
        handle: create_user(
            session,
            change=change,
            handle=handle,
            name=handle.title(),
            email=f"{handle}@example.com",
            time_zone=zone,
        )
        for handle, zone in (
            ("alice", "UTC"),
            ("bob", "America/New_York"),
            ("carol", "Asia/Tokyo"),
        )
    }
    session.flush()
    add_contact_method(
        session,
        change=change,
        user=users["alice"],
        type="email",
        address="alice@example.com",
        delay_minutes=5,
    )
    session.flush()
    return users


def _alerts(session: Session, change: Change, data: DataSet) -> None:
    for name in ("checkout", "payments", "search"):
        create_service(session, change=change, name=name)
    prom, _ = create_integration(
        session, change=change, name="prom", source="alertmanager", service="checkout"
    )
    dd, _ = create_integration(
        session, change=change, name="dd", source="datadog", service="payments"
    )
    session.flush()
    rows: list[tuple[Integration, dict[str, str], str, int, datetime, str | None, str]] = [
        (prom, {"alertname": "HighErrorRate"}, "High error rate on api-1", 5, at(4, 10), "A", "P1"),
        (prom, {"alertname": "HighErrorRate"}, "High error rate on api-2", 7, at(5, 2), "B", "P1"),
        (prom, {"alertname": "HighErrorRate"}, "High error rate on api-3", 4, at(16, 8), "B", "P1"),
        (prom, {"alertname": "DiskFull"}, "Disk full on db-1", 9, at(6, 9), None, "P2"),
        (dd, {}, "CPU high", 3, at(6, 9), "C", "P3"),
        (dd, {}, "CPU high", 3, at(7, 12), "D", "P3"),
        (dd, {"alertname": ""}, "Latency", 6, at(6, 9), "C", "P3"),
        (prom, {"alertname": "HighErrorRate"}, "before", 100, at(3, 23), "X", "P1"),
        (prom, {"alertname": "HighErrorRate"}, "at the end", 50, at(18, 12), "Y", "P1"),
    ]
    now = change.now()
    for number, (integration, labels, title, count, started, letter, severity) in enumerate(rows):
        session.add(
            Alert(
                integration_id=integration.id,
                source_format=integration.source,
                dedup_key=f"key-{number}",
                status="resolved",
                severity=severity,
                title=title,
                labels=labels,
                links=[],
                started_at=started,
                last_event_at=started,
                event_count=count,
                incident_id=data.incidents[letter].id if letter else None,
                created_at=now,
                updated_at=now,
            )
        )


def build(session: Session, change: Change, clock: FakeClock) -> DataSet:
    """Play the plan in time order, ticking the SLA engine at every deadline and event."""
    data = DataSet()
    clock.set(at(1, 0))
    data.users = _people(session, change)
    sla = SlaModule(DEFAULT_SCHEME)
    # (moment, order, action): at one moment the engine ticks first, then people act, so a
    # deadline reached at the very moment of an acknowledgement counts as breached.
    steps: list[tuple[datetime, int, Callable[[], Any]]] = []

    def declare(letter: str) -> None:
        severity, service_name, _, _ = PLAN[letter]
        data.incidents[letter] = incidents.declare(
            session,
            change=change,
            scheme=DEFAULT_SCHEME,
            title=f"Incident {letter}",
            severity=severity,
            service=service_name,
        )

    def move(letter: str, status: str) -> None:
        incidents.change_status(
            session,
            change=change,
            scheme=DEFAULT_SCHEME,
            incident=data.incidents[letter],
            status=status,
        )

    def page(letter: str, step: int, handles: list[str]) -> None:
        for _ in range(2):  # a second call for the same step and round adds nothing
            outbox.enqueue_pages(
                session,
                incident=data.incidents[letter],
                users=[data.users[h] for h in handles],
                step=step,
                round_number=0,
                now=clock.now(),
            )
            session.flush()

    for letter, (severity, _, detected, moves) in PLAN.items():
        level = DEFAULT_SCHEME.get(severity)
        steps.append((detected, 1, lambda letter=letter: declare(letter)))
        for offset, status in moves:
            steps.append(
                (detected + offset, 2, lambda name=letter, status=status: move(name, status))
            )
        for deadline in (detected + level.ack_sla, detected + level.resolve_sla):
            if deadline <= NOW:
                steps.append((deadline, 0, lambda: None))
    for moment, letter, step, handles in PAGES:
        steps.append((moment, 3, lambda name=letter, step=step, who=handles: page(name, step, who)))
    steps.append((NOW, 0, lambda: None))
    for moment, order, action in sorted(steps, key=lambda s: (s[0], s[1])):
        clock.set(moment)
        if order == 0:
            sla.run(session, clock.now())
        else:
            action()
            session.flush()
    _alerts(session, change, data)
    session.commit()
    return data


@pytest.fixture
def dataset(session: Session, change: Change, clock: FakeClock) -> DataSet:
    """The data set, with the clock left at the report time (2026-11-19 10:00Z)."""
    return build(session, change, clock)
