"""API shapes of notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from warroom.notifications.models import Notification


class NotificationOut(BaseModel):
    """A message in the outbox; ``step`` and ``round`` count from 1."""

    id: int
    user: str
    kind: str
    step: int
    round: int
    idempotency_key: str
    status: str
    created_at: datetime
    due_at: datetime


class NotificationList(BaseModel):
    """An incident's notifications, oldest first."""

    items: list[NotificationOut]
    next_cursor: str | None = None


def notification_view(notification: Notification) -> NotificationOut:
    """The API view of a notification."""
    return NotificationOut(
        id=notification.id,
        user=notification.user.handle,
        kind=notification.kind,
        step=notification.step,
        round=notification.round,
        idempotency_key=notification.idempotency_key,
        status=notification.status,
        created_at=notification.created_at,
        due_at=notification.due_at,
    )
