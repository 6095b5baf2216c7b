"""Users to put on call, and a helper that builds schedules through the service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.oncall import service
from warroom.oncall.layers import LayerSpec, RestrictionSpec
from warroom.oncall.models import Schedule
from warroom.users.service import create_user

HANDLES = ("alice", "bob", "carol", "dave")


def utc(*parts: int) -> datetime:
    """A UTC datetime from year, month, day[, hour[, minute]]."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def layer(name: str, kind: str, handoff: str, *users: str, **options: Any) -> LayerSpec:
    """A layer spec; ``restrictions`` may be given as (days, start, end) tuples."""
    restrictions = [RestrictionSpec(*r) for r in options.pop("restrictions", ())]
    return LayerSpec(name, kind, handoff, list(users), restrictions=restrictions, **options)


@pytest.fixture
def people(session: Session, change: Change) -> None:
    """alice, bob, carol and dave exist."""
    for handle in HANDLES:
        create_user(
            session,
            change=change,
            handle=handle,
            name=handle.title(),
            email=f"{handle}@example.com",
        )
    session.commit()


MakeSchedule = Callable[..., Schedule]


@pytest.fixture
def make_schedule(session: Session, change: Change, people: None) -> MakeSchedule:
    """Create and commit a schedule from layer specs."""

    def make(name: str, time_zone: str, layers: Sequence[LayerSpec]) -> Schedule:
        schedule = service.create_schedule(
            session, change=change, name=name, time_zone=time_zone, layers=layers
        )
        session.commit()
        return schedule

    return make


def table(shifts: Sequence[service.Shift]) -> list[tuple[str, str, str, str]]:
    """Shifts as (user, start, end, source) with ISO UTC times, for exact comparison."""
    return [
        (
            s.user.handle,
            s.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
            s.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
            s.source,
        )
        for s in shifts
    ]
