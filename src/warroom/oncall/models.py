"""On-call schedules, their layers (rotations) and members, and overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime
from warroom.users.models import User


class Schedule(Base):
    """A named on-call schedule in one time zone."""

    __tablename__ = "oncall_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    layers: Mapped[list[Layer]] = relationship(
        back_populates="schedule",
        lazy="selectin",
        order_by="Layer.position",
        cascade="all, delete-orphan",
    )
    overrides: Mapped[list[Override]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="Override.id"
    )


class Layer(Base):
    """One rotation of a schedule; a higher ``position`` wins over lower ones."""

    __tablename__ = "oncall_layer"
    __table_args__ = (
        UniqueConstraint("schedule_id", "position", name="uq_oncall_layer_schedule_id_position"),
        UniqueConstraint("schedule_id", "name", name="uq_oncall_layer_schedule_id_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("oncall_schedule.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    length_seconds: Mapped[int | None] = mapped_column(Integer)
    handoff: Mapped[str] = mapped_column(String(16))
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)

    schedule: Mapped[Schedule] = relationship(back_populates="layers")
    members: Mapped[list[LayerMember]] = relationship(
        lazy="selectin", order_by="LayerMember.position", cascade="all, delete-orphan"
    )


class LayerMember(Base):
    """A user's place in a rotation's order; the same user may hold several places."""

    __tablename__ = "oncall_layer_member"
    __table_args__ = (UniqueConstraint("layer_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("oncall_layer.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(lazy="joined")


class Override(Base):
    """Someone on call instead of whoever the layers give, from ``start_at`` to ``end_at``."""

    __tablename__ = "oncall_override"
    __table_args__ = (Index("ix_oncall_override_schedule_id_end_at", "schedule_id", "end_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("oncall_schedule.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    schedule: Mapped[Schedule] = relationship(back_populates="overrides")
    user: Mapped[User] = relationship(lazy="joined")
