"""Escalation policies, running escalations, the stakeholder matrix and SLA breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db import Base, JSONDocument, UTCDateTime


class EscalationPolicy(Base):
    """Ordered steps of targets to page, repeated ``repeat`` extra rounds."""

    __tablename__ = "escalation_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    # [{"after_seconds": 900, "targets": [{"user": "alice"} | {"schedule": "x"} | {"role": "y"}]}]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentEscalation(Base):
    """An incident's escalation: the policy as it was at trigger time and where it has got to."""

    __tablename__ = "incident_escalation"
    __table_args__ = (Index("ix_incident_escalation_state_next_at", "state", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), unique=True
    )
    policy: Mapped[str] = mapped_column(String(64))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    repeat: Mapped[int] = mapped_column(Integer)
    step_index: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    # Bumped by each re-assignment, so the new target's pages get keys of their own.
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StakeholderRule(Base):
    """One row of the stakeholder matrix: inform these people once an incident is this old."""

    __tablename__ = "stakeholder_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(16))
    after_seconds: Mapped[int] = mapped_column(Integer)
    # [{"user": "carol"} | {"role": "incident_commander"}]
    notify: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentStakeholders(Base):
    """How far the matrix has got with an incident: rules done, who was informed, next rule due."""

    __tablename__ = "incident_stakeholders"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    # The severity and matrix (a digest of its rules) the progress below was worked out for.
    severity: Mapped[str] = mapped_column(String(16))
    matrix: Mapped[str] = mapped_column(String(64))
    # Rules of that severity with ``after_seconds`` up to this have been applied (-1: none).
    covered_seconds: Mapped[int] = mapped_column(Integer)
    informed: Mapped[list[int]] = mapped_column(JSONDocument, default=list)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentSlaBreach(Base):
    """An incident missed its acknowledge or resolve target; recorded once per kind."""

    __tablename__ = "incident_sla_breach"
    __table_args__ = (UniqueConstraint("incident_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime] = mapped_column(UTCDateTime())
