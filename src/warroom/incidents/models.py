"""Incident, its roles, its timeline and the per-day reference counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime
from warroom.users.models import User


class IncidentRefCounter(Base):
    """The last sequence number used for a UTC day's incident refs."""

    __tablename__ = "incident_ref_counter"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class Incident(Base):
    """An incident and its milestones."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_status", "status"),
        Index("ix_incident_detected_at", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    service: Mapped[str | None] = mapped_column(String(200))
    impact: Mapped[str] = mapped_column(Text, default="")
    customer_facing: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Alert grouping: alerts with this key join the incident while it is open and recent.
    group_key: Mapped[str | None] = mapped_column(String(64), index=True)
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while every alert is resolved: the incident resolves itself when this passes quietly.
    quiet_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    roles: Mapped[list[IncidentRole]] = relationship(
        back_populates="incident", lazy="selectin", order_by="IncidentRole.id"
    )


class IncidentRole(Base):
    """A person holding a role (commander, comms lead, ...) on an incident."""

    __tablename__ = "incident_role"
    __table_args__ = (UniqueConstraint("incident_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())

    incident: Mapped[Incident] = relationship(back_populates="roles")
    user: Mapped[User] = relationship(lazy="joined")


class TimelineEntry(Base):
    """One append-only event in an incident's history."""

    __tablename__ = "timeline_entry"
    __table_args__ = (Index("ix_timeline_entry_incident_id_at", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)


@event.listens_for(TimelineEntry, "before_update")
@event.listens_for(TimelineEntry, "before_delete")
def _timeline_is_append_only(mapper: Mapper[TimelineEntry], connection: Any, entry: Any) -> None:
    raise TypeError("timeline entries are append-only: add a new entry instead")
