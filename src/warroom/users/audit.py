"""The audit log: one row per mutation, written in the mutation's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.users.models import AuditEntry


def record(
    session: Session,
    *,
    change: Change,
    action: str,
    target: str,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row for ``action`` on ``target``."""
    entry = AuditEntry(
        at=change.now(),
        actor=str(change.actor),
        action=action,
        target=target,
        request_id=change.request_id,
        data=data or {},
    )
    session.add(entry)
    return entry


def list_entries(
    session: Session,
    *,
    before_id: int | None = None,
    limit: int = 50,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
) -> list[AuditEntry]:
    """Audit rows, newest first, filtered and paginated by id."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    if since:
        query = query.where(AuditEntry.at >= since)
    return list(session.scalars(query))
