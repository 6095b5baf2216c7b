"""API shapes of notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from warroom.notifications.models import Notification


class NotificationOut(BaseModel):
    """A message in the outbox and how its delivery went; ``step`` and ``round`` count from 1."""

    id: int
    user: str
    kind: str
    step: int
    round: int
    idempotency_key: str
    status: str = Field(
        description="pending, sending, retry, sent, bundled (inside a bundle), failed or skipped"
    )
    channel: str | None = Field(description="the contact method type tried last")
    contact_method_id: int | None
    attempts: int = Field(description="attempts on the current contact method")
    last_error: str | None
    created_at: datetime
    due_at: datetime = Field(description="when it is (next) due to be sent")
    sent_at: datetime | None


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
        channel=notification.channel,
        contact_method_id=notification.contact_method_id,
        attempts=notification.attempts,
        last_error=notification.last_error,
        created_at=notification.created_at,
        due_at=notification.due_at,
        sent_at=notification.sent_at,
    )
