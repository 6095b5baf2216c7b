"""Throttling: at most N messages a minute per contact method; the rest go as one bundle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.incidents.models import Incident
from warroom.notifications.models import Notification
from warroom.users.models import ContactMethod

WINDOW = timedelta(minutes=1)
# A held message waits this long before it is bundled with whatever else piled up.
HOLD = timedelta(seconds=15)
SENT = "sent"


@dataclass
class Routed:
    """A due notification and the contact method it goes to now."""

    notification: Notification
    incident: Incident
    method: ContactMethod


@dataclass
class Send:
    """One message to send: a notification, and any others bundled into it."""

    first: Routed
    bundled: list[Routed] = field(default_factory=list)


def plan(session: Session, routed: Sequence[Routed], now: datetime, limit: int) -> list[Send]:
    """What to send now within each method's limit; over it, bundle the rest or hold it back."""
    if limit <= 0:
        return [Send(item) for item in routed]
    by_method: dict[int, list[Routed]] = {}
    for item in routed:
        by_method.setdefault(item.method.id, []).append(item)
    recent = _recent_sends(session, list(by_method), now)
    sends: list[Send] = []
    for method_id, items in by_method.items():
        room = limit - recent.get(method_id, 0)
        if len(items) <= room:
            sends.extend(Send(item) for item in items)
        elif room <= 0:
            for item in items:
                item.notification.due_at = now + HOLD
        else:
            sends.extend(Send(item) for item in items[: room - 1])
            rest = items[room - 1 :]
            sends.append(Send(rest[0], bundled=rest[1:]))
    return sends


def _recent_sends(session: Session, method_ids: list[int], now: datetime) -> dict[int, int]:
    """Messages each method sent in the last minute (a bundle is one message)."""
    query = (
        select(Notification.contact_method_id, func.count())
        .where(
            Notification.contact_method_id.in_(method_ids),
            Notification.status == SENT,
            Notification.sent_at > now - WINDOW,
        )
        .group_by(Notification.contact_method_id)
    )
    return {row[0]: row[1] for row in session.execute(query) if row[0] is not None}
