"""The runbook library: import (new version on change), list, read."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import NotFound, ValidationFailed
from warroom.runbooks.extract import extract
from warroom.runbooks.models import Runbook, RunbookSection, RunbookVersion
from warroom.runbooks.parser import decode, parse
from warroom.users import audit

SUFFIXES = (".md", ".markdown", ".txt")
MAX_RUNBOOK_BYTES = 2 * 1024 * 1024
ENTRY_KINDS = ("incident", "procedure")


@dataclass(frozen=True)
class Imported:
    """The outcome of one import."""

    runbook: Runbook
    outcome: str  # created | updated | unchanged


def import_runbook(session: Session, *, change: Change, source: str, raw: bytes) -> Imported:
    """Store the runbook at ``source``; re-importing it adds a version only when it changed."""
    source = source.strip()
    if not source:
        raise ValidationFailed.for_field("source", "name the runbook's source path")
    if len(PurePath(source).name) > 255:
        raise ValidationFailed.for_field("source", "the file name is longer than 255 characters")
    if len(raw) > MAX_RUNBOOK_BYTES:
        raise ValidationFailed.for_field("content", f"larger than {MAX_RUNBOOK_BYTES} bytes")
    text = decode(raw)
    if not text.strip():
        raise ValidationFailed.for_field("content", "the runbook is empty")
    digest = hashlib.sha256(text.encode()).hexdigest()
    runbook = session.scalar(select(Runbook).where(Runbook.source == source))
    if runbook is not None and runbook.content_hash == digest:
        return Imported(runbook, "unchanged")
    parsed = parse(text)
    extraction = extract(parsed)
    now = change.now()
    title = parsed.title or PurePath(source).stem
    if runbook is None:
        outcome = "created"
        runbook = Runbook(
            source=source,
            file_name=PurePath(source).name,
            title=title[:500],
            version=1,
            content_hash=digest,
            created_at=now,
            updated_at=now,
            sections=[],
        )
        session.add(runbook)
    else:
        outcome = "updated"
        runbook.version += 1
        runbook.title = title[:500]
        runbook.content_hash = digest
        runbook.updated_at = now
        runbook.sections.clear()
        session.flush()
    runbook.extracted = {
        "severity_levels": extraction.severity_levels,
        "escalation": extraction.escalation,
        "contacts": extraction.contacts,
        "templates": extraction.templates,
        "checklists": extraction.checklists,
    }
    for entry in extraction.entries:
        runbook.sections.append(
            RunbookSection(
                key=entry.key[:1000],
                heading=entry.heading[:500],
                level=entry.level,
                line=entry.line,
                parent_key=entry.parent_key,
                kind=entry.kind,
                severity_tag=entry.severity_tag,
                path=entry.path,
                body=entry.body,
                fields={k: [asdict(s) for s in v] for k, v in entry.fields.items()},
                commands=entry.commands,
                checklist=[asdict(s) for s in entry.checklist],
            )
        )
    session.flush()
    session.add(
        RunbookVersion(
            runbook_id=runbook.id,
            version=runbook.version,
            content=text,
            content_hash=digest,
            imported_at=now,
            imported_by=str(change.actor),
        )
    )
    audit.record(
        session,
        change=change,
        action="runbook.create" if outcome == "created" else "runbook.update",
        target=f"runbook:{runbook.id}",
        data={"source": source, "version": runbook.version},
    )
    return Imported(runbook, outcome)


def list_runbooks(session: Session) -> list[Runbook]:
    """All runbooks by source."""
    return list(session.scalars(select(Runbook).order_by(Runbook.source)))


def get_runbook(session: Session, runbook_id: int) -> Runbook:
    """One runbook, or NotFound."""
    runbook = session.get(Runbook, runbook_id)
    if runbook is None:
        raise NotFound(f"no runbook with id {runbook_id}")
    return runbook


def versions(session: Session, runbook: Runbook) -> list[RunbookVersion]:
    """Every imported version of a runbook, oldest first."""
    query = (
        select(RunbookVersion)
        .where(RunbookVersion.runbook_id == runbook.id)
        .order_by(RunbookVersion.version)
    )
    return list(session.scalars(query))


def get_section(session: Session, section_id: str) -> RunbookSection:
    """A section by its stable id ``RUNBOOK_ID:KEY``, or NotFound."""
    runbook_part, _, key = section_id.partition(":")
    if not runbook_part.isdigit() or not key:
        raise ValidationFailed.for_field("section", f"{section_id!r} is not a section id")
    section = session.scalar(
        select(RunbookSection).where(
            RunbookSection.runbook_id == int(runbook_part), RunbookSection.key == key
        )
    )
    if section is None:
        raise NotFound(f"no runbook section {section_id!r}")
    return section


def incident_sections(session: Session) -> list[RunbookSection]:
    """Every incident and procedure entry of every runbook, for matching."""
    query = select(RunbookSection).where(RunbookSection.kind.in_(ENTRY_KINDS))
    return list(session.scalars(query.order_by(RunbookSection.runbook_id, RunbookSection.line)))
