"""Status page: components and their history, public incidents and maintenances, subscribers."""

from __future__ import annotations

import secrets
import string
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_public_id() -> str:
    """An opaque Statuspage-style id: 12 random lowercase letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def new_token() -> str:
    """A subscriber's secret for its confirm and unsubscribe links."""
    return secrets.token_urlsafe(24)


class StatusComponent(Base):
    """A component (or a group of them) shown on the public page."""

    __tablename__ = "status_component"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(12), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_component.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    showcase: Mapped[bool] = mapped_column(Boolean, default=True)
    only_show_if_degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    # Names of warroom services whose incidents affect this component.
    services: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    # When set, public incidents move this component's status with their impact.
    follow_incidents: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatusComponentChange(Base):
    """One status a component entered, and when; uptime is computed from these."""

    __tablename__ = "status_component_change"
    __table_args__ = (
        Index("ix_status_component_change_component_id_at", "component_id", "at"),
        Index("ix_status_component_change_notify_pending", "notify_pending"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("status_component.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(32))
    old_status: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Manual changes are announced to subscribers; incident-driven ones ride on the update.
    notify_pending: Mapped[bool] = mapped_column(Boolean, default=False)


status_incident_component = Table(
    "status_incident_component",
    Base.metadata,
    Column(
        "incident_id",
        ForeignKey("status_incident.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "component_id",
        ForeignKey("status_component.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class StatusIncident(Base):
    """A public incident or scheduled maintenance, optionally linked to an internal incident."""

    __tablename__ = "status_incident"
    __table_args__ = (Index("ix_status_incident_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(12), unique=True, default=new_public_id)
    kind: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    components: Mapped[list[StatusComponent]] = relationship(
        secondary=status_incident_component, lazy="selectin", order_by=StatusComponent.position
    )
    updates: Mapped[list[StatusIncidentUpdate]] = relationship(
        back_populates="incident",
        lazy="selectin",
        order_by="(StatusIncidentUpdate.display_at.desc(), StatusIncidentUpdate.id.desc())",
        cascade="all, delete-orphan",
    )


class StatusIncidentUpdate(Base):
    """One public update of an incident or maintenance; subscribers are told about each."""

    __tablename__ = "status_incident_update"
    __table_args__ = (
        Index("ix_status_incident_update_incident_id", "incident_id"),
        Index("ix_status_incident_update_notify_pending", "notify_pending"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(12), unique=True, default=new_public_id)
    incident_id: Mapped[int] = mapped_column(ForeignKey("status_incident.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    display_at: Mapped[datetime] = mapped_column(UTCDateTime())
    affected_components: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    deliver_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_pending: Mapped[bool] = mapped_column(Boolean, default=False)

    incident: Mapped[StatusIncident] = relationship(back_populates="updates")


class StatusSubscriber(Base):
    """Someone told about public updates by email (after confirming) or webhook."""

    __tablename__ = "status_subscriber"
    __table_args__ = (UniqueConstraint("kind", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(2000))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    # Public ids of the components the subscriber cares about; empty means all.
    component_ids: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
