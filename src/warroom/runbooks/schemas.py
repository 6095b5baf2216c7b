"""API shapes of runbooks, matches and checklists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warroom.runbooks.library import ENTRY_KINDS
from warroom.runbooks.matcher import Match
from warroom.runbooks.models import ChecklistItem, Runbook, RunbookSection, RunbookVersion


class SectionOut(BaseModel):
    """A section with what was extracted from it."""

    id: str
    key: str
    heading: str
    level: int
    line: int
    parent_key: str | None
    kind: str
    severity_tag: str | None
    fields: dict[str, Any]
    commands: list[dict[str, str]]
    checklist: list[dict[str, Any]]


class RunbookSummary(BaseModel):
    """A runbook in a list."""

    id: int
    source: str
    file_name: str
    title: str
    version: int
    incident_sections: int
    updated_at: datetime


class RunbookOut(RunbookSummary):
    """A runbook with its sections and runbook-wide extractions."""

    extracted: dict[str, Any]
    sections: list[SectionOut]


class ImportOut(BaseModel):
    """The outcome of an import."""

    outcome: str
    runbook: RunbookSummary


class RunbookList(BaseModel):
    """All runbooks."""

    items: list[RunbookSummary]
    next_cursor: str | None = None


class VersionOut(BaseModel):
    """One imported version."""

    version: int
    content_hash: str
    imported_at: datetime
    imported_by: str


class VersionList(BaseModel):
    """A runbook's versions, oldest first."""

    items: list[VersionOut]
    next_cursor: str | None = None


class MatchIn(BaseModel):
    """An alert or incident to match."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=2000)
    description: str = Field(default="", max_length=100_000)
    labels: dict[str, str] = Field(default_factory=dict)
    service: str | None = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=100)


class MatchList(BaseModel):
    """Suggestions, best first; empty when nothing fits."""

    items: list[Match]


class AcceptIn(BaseModel):
    """The runbook section to follow."""

    model_config = ConfigDict(extra="forbid")

    section: str = Field(description="a section id such as 3:common-incidents/redis-high-memory")


class ChecklistItemOut(BaseModel):
    """One checklist item; commands are shown, never run."""

    position: int
    section_id: str
    field: str
    text: str
    commands: list[str]
    done_at: datetime | None
    done_by: str | None


class IncidentRunbookOut(BaseModel):
    """The incident's latest suggestions and its checklist."""

    suggestions: list[Match]
    checklist: list[ChecklistItemOut]


def summary_view(runbook: Runbook) -> RunbookSummary:
    """A runbook in a list."""
    return RunbookSummary(
        id=runbook.id,
        source=runbook.source,
        file_name=runbook.file_name,
        title=runbook.title,
        version=runbook.version,
        incident_sections=sum(1 for s in runbook.sections if s.kind in ENTRY_KINDS),
        updated_at=runbook.updated_at,
    )


def section_view(section: RunbookSection) -> SectionOut:
    """A section."""
    return SectionOut(
        id=section.public_id,
        key=section.key,
        heading=section.heading,
        level=section.level,
        line=section.line,
        parent_key=section.parent_key,
        kind=section.kind,
        severity_tag=section.severity_tag,
        fields=section.fields,
        commands=section.commands,
        checklist=section.checklist,
    )


def runbook_view(runbook: Runbook) -> RunbookOut:
    """A runbook with its structure."""
    return RunbookOut(
        **summary_view(runbook).model_dump(),
        extracted=runbook.extracted,
        sections=[section_view(s) for s in runbook.sections],
    )


def version_view(version: RunbookVersion) -> VersionOut:
    """A version."""
    return VersionOut(
        version=version.version,
        content_hash=version.content_hash,
        imported_at=version.imported_at,
        imported_by=version.imported_by,
    )


def checklist_view(item: ChecklistItem) -> ChecklistItemOut:
    """A checklist item."""
    return ChecklistItemOut(
        position=item.position,
        section_id=item.section_id,
        field=item.field,
        text=item.text,
        commands=item.commands,
        done_at=item.done_at,
        done_by=item.done_by,
    )
