"""Update cadence rules: when an incident's next internal or public update is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from warroom.comms.models import CommsCadence
from warroom.comms.templates import INTERNAL
from warroom.incidents.models import Incident
from warroom.severity import SeverityLevel


def interval(level: SeverityLevel | None, audience: str, *, updated: bool) -> timedelta | None:
    """Time between updates; before the first public update, the time to that one."""
    if level is None:
        return None
    if audience == INTERNAL:
        return level.internal_update_every
    if updated:
        return level.public_update_every
    return level.public_update_first or level.public_update_every


def reminder_interval(level: SeverityLevel | None, audience: str) -> timedelta | None:
    """Time between reminders while an update stays overdue."""
    if level is None:
        return None
    if audience == INTERNAL:
        return level.internal_update_every
    return level.public_update_every or level.public_update_first


def next_due(
    level: SeverityLevel | None, audience: str, *, base: datetime, updated: bool
) -> datetime | None:
    """When the next update is due counting from ``base``, or None if the level has no cadence."""
    step = interval(level, audience, updated=updated)
    return None if step is None else base + step


def after(due: datetime, step: timedelta, now: datetime) -> datetime:
    """The first of ``due + n * step`` later than ``now``: one reminder, however long we slept."""
    missed = (now - due) // step
    return due + (missed + 1) * step


def record_update(
    session: Session,
    *,
    incident: Incident,
    audience: str,
    level: SeverityLevel | None,
    now: datetime,
) -> datetime | None:
    """Restart the audience's schedule after an update; return when the next one is due."""
    due = next_due(level, audience, base=now, updated=True)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {
        "severity": incident.severity,
        "reopen_count": incident.reopen_count,
        "applies": True,
        "last_update_at": now,
        "overdue_since": None,
        "next_due_at": due,
        "updated_at": now,
    }
    # An upsert: the engine may be adding the row for this incident at the same moment.
    statement = (
        insert(CommsCadence)
        .values(incident_id=incident.id, audience=audience, reminders=0, **values)
        .on_conflict_do_update(index_elements=["incident_id", "audience"], set_=values)
    )
    session.execute(statement)
    return due
