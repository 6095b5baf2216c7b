"""Status updates, incident subscribers and the per-incident update cadence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime
from warroom.users.models import User


class StatusUpdate(Base):
    """One internal or public update posted about an incident; the body is the final text."""

    __tablename__ = "status_update"
    __table_args__ = (Index("ix_status_update_incident_id_audience", "incident_id", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(16))
    # The public word (investigating, identified, monitoring, resolved); optional internally.
    status: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(64))
    vars: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentSubscriber(Base):
    """A user who follows an incident and gets its internal updates."""

    __tablename__ = "incident_subscriber"
    __table_args__ = (UniqueConstraint("incident_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class CommsCadence(Base):
    """When an incident's next internal or public update is due, and what that was based on."""

    __tablename__ = "comms_cadence"
    __table_args__ = (Index("ix_comms_cadence_next_due_at", "next_due_at"),)

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The schedule is worked out anew when any of these no longer match the incident.
    severity: Mapped[str] = mapped_column(String(16))
    reopen_count: Mapped[int] = mapped_column(Integer)
    applies: Mapped[bool] = mapped_column(Boolean)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
