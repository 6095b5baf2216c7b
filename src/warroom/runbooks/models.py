"""Runbooks, their versions and sections; checklists made from a section for an incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.db import Base, JSONDocument, UTCDateTime


class Runbook(Base):
    """An imported Markdown runbook, identified by its source path."""

    __tablename__ = "runbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1000), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    extracted: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    sections: Mapped[list[RunbookSection]] = relationship(
        back_populates="runbook",
        order_by="RunbookSection.line",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class RunbookVersion(Base):
    """The text of every imported version, oldest first."""

    __tablename__ = "runbook_version"
    __table_args__ = (UniqueConstraint("runbook_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbook.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(200))


class RunbookSection(Base):
    """A heading of the current version with what was extracted from it."""

    __tablename__ = "runbook_section"
    __table_args__ = (UniqueConstraint("runbook_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbook.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(1000))
    heading: Mapped[str] = mapped_column(String(500))
    level: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)
    parent_key: Mapped[str | None] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(16))
    severity_tag: Mapped[str | None] = mapped_column(String(16))
    path: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    body: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    commands: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument, default=list)
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)

    runbook: Mapped[Runbook] = relationship(back_populates="sections")

    @property
    def public_id(self) -> str:
        """The section's stable id: runbook id and heading path, unchanged by re-imports."""
        return f"{self.runbook_id}:{self.key}"


class ChecklistItem(Base):
    """One step of the runbook section accepted for an incident, ticked off by responders."""

    __tablename__ = "checklist_item"
    __table_args__ = (
        UniqueConstraint("incident_id", "position"),
        Index("ix_checklist_item_incident_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    section_id: Mapped[str] = mapped_column(String(1100))
    field: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    commands: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(200))
