"""Runbook suggestions for incidents, accepting one as a checklist, and ticking its items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import Conflict, NotFound
from warroom.incidents import timeline
from warroom.incidents.models import Incident
from warroom.runbooks.library import get_section, incident_sections
from warroom.runbooks.matcher import AlertQuery, Match, Matcher, candidate
from warroom.runbooks.models import ChecklistItem, Runbook, RunbookSection
from warroom.severity import SeverityScheme
from warroom.users import audit

SUGGESTIONS = 3


def build_matcher(session: Session) -> Matcher:
    """A matcher over every imported runbook's incident entries."""
    files = {
        row.id: row.file_name for row in session.execute(select(Runbook.id, Runbook.file_name))
    }
    return Matcher(
        [
            candidate(
                section_id=s.public_id,
                file=files[s.runbook_id],
                heading=s.heading,
                line=s.line,
                path=s.path,
                fields=s.fields,
            )
            for s in incident_sections(session)
        ]
    )


def incident_query(incident: Incident, labels: Mapping[str, str] | None = None) -> AlertQuery:
    """What the matcher reads from an incident (and the labels of the alert that opened it)."""
    return AlertQuery(
        title=incident.title,
        description=" ".join([incident.summary, incident.impact]),
        labels=labels or {},
        service=incident.service,
        tags=incident.tags,
    )


def attach_suggestions(
    session: Session,
    *,
    change: Change,
    incident: Incident,
    labels: Mapping[str, str] | None = None,
) -> list[Match]:
    """Match the incident and record the top suggestions (or that none fits) on its timeline."""
    if session.scalar(select(Runbook.id).limit(1)) is None:
        return []
    query = incident_query(incident, labels)
    matches = build_matcher(session).match(query, limit=SUGGESTIONS)
    timeline.append(
        session,
        change=change,
        incident=incident,
        kind="runbook_suggested",
        data={"suggestions": [asdict(m) for m in matches]},
    )
    return matches


def attach_severity_checklists(
    session: Session, *, change: Change, scheme: SeverityScheme, incident: Incident
) -> list[ChecklistItem]:
    """Add the runbooks' checklists for the incident's severity ("P1 checklist") to it."""
    query = select(RunbookSection).where(RunbookSection.kind == "checklist")
    added: list[ChecklistItem] = []
    following = {item.section_id for item in checklist(session, incident)}
    for section in session.scalars(query.order_by(RunbookSection.runbook_id, RunbookSection.line)):
        level = scheme.find(section.severity_tag or "")
        applies = level is not None and level.id == incident.severity
        if applies and section.checklist and section.public_id not in following:
            added += accept(session, change=change, incident=incident, section_id=section.public_id)
    return added


def prepare(
    session: Session,
    *,
    change: Change,
    scheme: SeverityScheme,
    incident: Incident,
    labels: Mapping[str, str] | None = None,
) -> list[Match]:
    """What a new incident gets from the runbooks: suggestions and its severity's checklists."""
    attach_severity_checklists(session, change=change, scheme=scheme, incident=incident)
    return attach_suggestions(session, change=change, incident=incident, labels=labels)


def checklist(session: Session, incident: Incident) -> list[ChecklistItem]:
    """The incident's checklist in order."""
    query = select(ChecklistItem).where(ChecklistItem.incident_id == incident.id)
    return list(session.scalars(query.order_by(ChecklistItem.position)))


def accept(
    session: Session, *, change: Change, incident: Incident, section_id: str
) -> list[ChecklistItem]:
    """Use a runbook section for the incident: its steps become the checklist."""
    section = get_section(session, section_id)
    if not section.checklist:
        raise Conflict(f"runbook section {section_id!r} has no steps to follow")
    existing = checklist(session, incident)
    if any(item.section_id == section.public_id for item in existing):
        raise Conflict(f"{incident.ref} already follows {section.heading!r}")
    start = len(existing)
    items = []
    for offset, step in enumerate(section.checklist, start=1):
        field_name = next(
            (name for name, steps in section.fields.items() if step in steps), "steps"
        )
        item = ChecklistItem(
            incident_id=incident.id,
            position=start + offset,
            section_id=section.public_id,
            field=field_name,
            text=str(step["text"])[:10000],
            commands=list(step.get("commands", [])),
        )
        session.add(item)
        items.append(item)
    data = {"section": section.public_id, "heading": section.heading, "steps": len(items)}
    timeline.append(session, change=change, incident=incident, kind="runbook_accepted", data=data)
    audit.record(
        session, change=change, action="incident.runbook_accept", target=incident.ref, data=data
    )
    session.flush()
    return items


def mark(
    session: Session, *, change: Change, incident: Incident, position: int, done: bool
) -> ChecklistItem:
    """Tick (or untick) checklist item ``position``; each change is on the timeline."""
    item = session.scalar(
        select(ChecklistItem).where(
            ChecklistItem.incident_id == incident.id, ChecklistItem.position == position
        )
    )
    if item is None:
        raise NotFound(f"{incident.ref} has no checklist item {position}")
    if (item.done_at is not None) == done:
        return item
    item.done_at = change.now() if done else None
    item.done_by = str(change.actor) if done else None
    kind = "checklist_item_done" if done else "checklist_item_undone"
    data = {"item": position, "text": item.text}
    timeline.append(session, change=change, incident=incident, kind=kind, data=data)
    audit.record(session, change=change, action=f"incident.{kind}", target=incident.ref, data=data)
    return item
