"""Integrations, alerts, seen delivery ids and suppressions (silences, maintenance windows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime
from warroom.services.models import Service


class Integration(Base):
    """A configured sender: its wire format, the service it feeds and its (hashed) key."""

    __tablename__ = "integration"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(16))
    # HMAC secrets (Grafana) must be readable to verify signatures, so they cannot be hashed.
    secret: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    poll_state: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    service: Mapped[Service] = relationship(lazy="joined")


class Alert(Base):
    """One problem reported by one integration; at most one open alert per dedup key."""

    __tablename__ = "alert"
    __table_args__ = (
        Index(
            "uq_alert_open_dedup_key",
            "integration_id",
            "dedup_key",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_alert_incident_id", "incident_id"),
        Index("ix_alert_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integration.id"))
    source_format: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(4))
    title: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str | None] = mapped_column(String(200))
    resource: Mapped[str | None] = mapped_column(String(500))
    labels: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    suppressed_by: Mapped[int | None] = mapped_column(ForeignKey("suppression.id"))
    raw: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    integration: Mapped[Integration] = relationship(lazy="joined")


class AlertDelivery(Base):
    """A sender's delivery id already stored, so a retried delivery is not applied twice."""

    __tablename__ = "alert_delivery"

    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), primary_key=True
    )
    delivery_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Suppression(Base):
    """A silence (label matchers) or maintenance window (a service): new alerts open no incident."""

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    service: Mapped[str | None] = mapped_column(String(200))
    matchers: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
