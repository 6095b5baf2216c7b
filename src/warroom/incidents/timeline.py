"""The append-only incident timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.incidents.models import Incident, TimelineEntry


def append(
    session: Session, *, change: Change, incident: Incident, kind: str, data: dict[str, Any]
) -> TimelineEntry:
    """Add one entry; entries are never updated or deleted."""
    entry = TimelineEntry(
        incident_id=incident.id, at=change.now(), actor=str(change.actor), kind=kind, data=data
    )
    session.add(entry)
    return entry


def entries(
    session: Session, *, incident: Incident, after_id: int | None = None, limit: int = 200
) -> list[TimelineEntry]:
    """The incident's entries in the order they happened."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id)
        .order_by(TimelineEntry.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(TimelineEntry.id > after_id)
    return list(session.scalars(query))
