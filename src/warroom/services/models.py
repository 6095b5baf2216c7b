"""A service incidents are declared against, and the escalation policy it pages by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime
from warroom.escalation.models import EscalationPolicy


class Service(Base):
    """A registered service; incidents name it in their ``service`` field."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    escalation_policy_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_policy.id"))
    # How alerts group into incidents; None means the default (content on alertname, 30 min).
    grouping: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    escalation_policy: Mapped[EscalationPolicy | None] = relationship(lazy="joined")
