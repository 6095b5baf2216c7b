"""The incident page: header and quick actions, alerts, roles, paging, runbook, updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from warroom.alerts.models import Alert
from warroom.comms import service as comms
from warroom.comms.templates import TemplateInfo, UpdateTemplates
from warroom.errors import NotFound
from warroom.escalation import runner
from warroom.escalation.models import IncidentEscalation
from warroom.escalation.policies import steps_text
from warroom.incidents import service
from warroom.incidents.lifecycle import OPEN_STATUSES, Status, allowed_moves
from warroom.incidents.models import Incident, TimelineEntry
from warroom.notifications.models import Notification
from warroom.postmortems import service as postmortems
from warroom.runbooks import suggest
from warroom.runbooks.models import ChecklistItem, RunbookSection
from warroom.users.models import User
from warroom.web.deps import SchemeDep, SessionDep
from warroom.web.ui.auth import SignedInDep
from warroom.web.ui.incident_timeline import EntryView, actor_words, describe, role_words
from warroom.web.ui.incidents import sla_clock
from warroom.web.ui.render import markdown_html, page

router = APIRouter(include_in_schema=False)
ALERTS_SHOWN = 50
NOTIFICATIONS_SHOWN = 100
UPDATES_SHOWN = 50
TIMELINE_PAGE = 200
USER_CHOICES = 500
COMMON_ROLES = ("incident_commander", "communications_lead", "engineering_lead")
# Entries whose time can be the moment the incident was acknowledged.
_ACK_KINDS = ("declared", "acknowledged", "status_changed")


@dataclass(frozen=True)
class Paging:
    """The incident's escalation (if any), who acknowledged it, and the pages written."""

    escalation: IncidentEscalation | None
    steps: list[dict[str, Any]]
    can_escalate: bool
    acknowledged_by: str | None
    notifications: list[Notification]
    more_notifications: bool


@dataclass(frozen=True)
class ChecklistGroup:
    """The checklist items that came from one runbook section."""

    section_id: str
    heading: str
    items: list[ChecklistItem]


@dataclass(frozen=True)
class Runbook:
    """The runbook suggestions on the incident and the checklist it follows."""

    suggestions: list[dict[str, Any]]
    followed: set[str]
    checklist: list[ChecklistGroup]


def _alerts(session: Session, incident: Incident) -> tuple[list[Alert], int]:
    """The most recently active alerts (without their raw bodies) and how many there are."""
    query = (
        select(Alert)
        .options(defer(Alert.raw))
        .where(Alert.incident_id == incident.id)
        .order_by(Alert.last_event_at.desc(), Alert.id.desc())
        .limit(ALERTS_SHOWN)
    )
    alerts = list(session.scalars(query))
    total = len(alerts)
    if total == ALERTS_SHOWN:
        counted = select(func.count()).select_from(Alert).where(Alert.incident_id == incident.id)
        total = session.scalar(counted) or total
    return alerts, total


def _acknowledged_by(session: Session, incident: Incident) -> str | None:
    """Who acknowledged: the status entry written closest to the acknowledgement time."""
    acknowledged_at = incident.acknowledged_at
    if acknowledged_at is None:
        return None
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id, TimelineEntry.kind.in_(_ACK_KINDS))
        .order_by(TimelineEntry.id)
        .limit(100)
    )
    candidates = list(session.scalars(query))
    if not candidates:
        return None
    closest = min(candidates, key=lambda e: (abs(e.at - acknowledged_at), -e.id))
    return describe(closest).actor


def _paging(session: Session, incident: Incident) -> Paging:
    try:
        escalation: IncidentEscalation | None = runner.get_escalation(session, incident=incident)
    except NotFound:
        escalation = None
    query = (
        select(Notification)
        .where(Notification.incident_id == incident.id)
        .order_by(Notification.id.desc())
        .limit(NOTIFICATIONS_SHOWN + 1)
    )
    notifications = list(session.scalars(query))
    active = escalation is not None and escalation.state == runner.ACTIVE
    return Paging(
        escalation=escalation,
        steps=steps_text(escalation.steps) if escalation is not None else [],
        can_escalate=active and not runner.stops(incident),
        acknowledged_by=_acknowledged_by(session, incident),
        notifications=notifications[:NOTIFICATIONS_SHOWN],
        more_notifications=len(notifications) > NOTIFICATIONS_SHOWN,
    )


def _headings(session: Session, section_ids: set[str]) -> dict[str, str]:
    """Section headings by public id, in one query."""
    parts = [s.partition(":") for s in section_ids]
    runbook_ids = {int(r) for r, _, _ in parts if r.isdigit()}
    keys = {k for _, _, k in parts}
    if not runbook_ids:
        return {}
    query = select(RunbookSection).where(
        RunbookSection.runbook_id.in_(runbook_ids), RunbookSection.key.in_(keys)
    )
    return {s.public_id: s.heading for s in session.scalars(query) if s.public_id in section_ids}


def _runbook(session: Session, incident: Incident) -> Runbook:
    latest = session.scalar(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "runbook_suggested")
        .order_by(TimelineEntry.id.desc())
        .limit(1)
    )
    suggestions = [s for s in (latest.data.get("suggestions", []) if latest else []) if s]
    items = suggest.checklist(session, incident)
    followed = {item.section_id for item in items}
    headings = _headings(session, followed)
    groups: dict[str, list[ChecklistItem]] = {}
    for item in items:
        groups.setdefault(item.section_id, []).append(item)
    checklist = [
        ChecklistGroup(section_id, headings.get(section_id, section_id), grouped)
        for section_id, grouped in groups.items()
    ]
    return Runbook(suggestions=suggestions, followed=followed, checklist=checklist)


def _timeline(session: Session, incident: Incident, before: str) -> tuple[list[EntryView], int]:
    """A page of the timeline, newest first, and the id to continue before (0: no more)."""
    query = select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
    if before.isdigit():
        query = query.where(TimelineEntry.id < int(before))
    rows = list(session.scalars(query.order_by(TimelineEntry.id.desc()).limit(TIMELINE_PAGE + 1)))
    shown = rows[:TIMELINE_PAGE]
    older = shown[-1].id if len(rows) > TIMELINE_PAGE else 0
    return [describe(entry) for entry in shown], older


def _templates(request: Request) -> tuple[list[TemplateInfo], list[str]]:
    """The update templates and every variable any of them takes."""
    infos = UpdateTemplates(request.app.state.settings.template_dir).describe()
    variables = sorted({v for i in infos for v in (*i.required, *i.optional)})
    return infos, variables


def _role_choices(incident: Incident, required: list[str]) -> list[str]:
    held = {r.role for r in incident.roles}
    return [r for r in dict.fromkeys([*required, *COMMON_ROLES]) if r not in held]


def postmortem_html(body: str) -> Markup:
    """A postmortem's Markdown as HTML under the page's h2; raw HTML in it is shown as text."""
    return markdown_html(body, shift=2)


@router.get("/incidents/{ref}", response_class=HTMLResponse)
def incident_page(
    ref: str, request: Request, session: SessionDep, scheme: SchemeDep, who: SignedInDep
) -> HTMLResponse:
    """Everything about one incident, with one-click actions for responders."""
    incident = service.get(session, ref)
    now: datetime = request.app.state.clock.now()
    alerts, alert_total = _alerts(session, incident)
    entries, older = _timeline(session, incident, request.query_params.get("before", ""))
    status = Status(incident.status)
    level = scheme.find(incident.severity)
    required = service.missing_roles(incident, scheme) if level is not None else []
    templates, template_vars = _templates(request) if who.can_act else ([], [])
    users = (
        session.execute(
            select(User.handle, User.name).order_by(User.name, User.handle).limit(USER_CHOICES)
        ).all()
        if who.can_act
        else []
    )
    postmortem = postmortems.find(session, incident)
    return page(
        request,
        "incident.html.j2",
        incident=incident,
        level=level,
        clock=sla_clock(incident, scheme, now),
        age=(incident.resolved_at or now) - incident.detected_at,
        can_acknowledge=status is Status.triggered
        or (incident.acknowledged_at is None and status in OPEN_STATUSES),
        can_resolve=Status.resolved in allowed_moves(status),
        moves=[m.value for m in allowed_moves(status)],
        levels=scheme.levels,
        alerts=alerts,
        alert_total=alert_total,
        missing_roles=required,
        role_choices=_role_choices(incident, required),
        role_words=role_words,
        actor_words=actor_words,
        users=users,
        paging=_paging(session, incident),
        runbook=_runbook(session, incident),
        updates=comms.list_updates(session, incident=incident, limit=UPDATES_SHOWN),
        templates=templates,
        template_vars=template_vars,
        public_statuses=comms.PUBLIC_STATUSES,
        entries=entries,
        older=older,
        postmortem=postmortem,
        postmortem_body=postmortem_html(postmortem.body) if postmortem is not None else "",
    )
