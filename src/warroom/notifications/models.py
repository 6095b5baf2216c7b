"""The outbox: one row per message to deliver, keyed so receivers can drop duplicates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime
from warroom.users.models import User


class Notification(Base):
    """A message to a user about an incident; delivery moves it on from ``pending``."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_incident_id", "incident_id"),
        Index("ix_notification_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Delivery: which of the user's contact methods is being tried, and how it went.
    method_position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_method.id", ondelete="SET NULL")
    )
    channel: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # What the message says beyond the incident (a status update's text, an action item...).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)

    user: Mapped[User] = relationship(lazy="joined")


class Broadcast(Base):
    """A rendered message to an address rather than a user: a Slack channel, a subscriber."""

    __tablename__ = "broadcast"
    __table_args__ = (Index("ix_broadcast_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="SET NULL"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    destination_type: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(Text)
    message: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
