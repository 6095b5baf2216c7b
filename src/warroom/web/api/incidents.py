"""Incidents: declare, list, read, edit, move through statuses, roles, notes, timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AwareDatetime

from warroom.escalation import runner
from warroom.incidents import service, timeline
from warroom.incidents.schemas import (
    IncidentCreate,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    NoteCreate,
    RoleAssignment,
    StatusChange,
    TimelineEntryOut,
    TimelinePage,
    incident_view,
    timeline_view,
)
from warroom.pipeline import followups
from warroom.runbooks import suggest
from warroom.web.deps import (
    Responder,
    SchemeDep,
    SessionDep,
    Viewer,
    change_for,
    decode_cursor,
    paginate,
)
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1/incidents", route_class=JSONRoute, tags=["incidents"])


@router.post("", status_code=status.HTTP_201_CREATED)
def declare(
    body: IncidentCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    scheme: SchemeDep,
    actor: Responder,
) -> IncidentOut:
    """Declare an incident and start its escalation; severity aliases are stored as P1-P4."""
    change = change_for(request, actor)
    fields = body.model_dump(exclude={"escalation_policy"})
    incident = service.declare(session, change=change, scheme=scheme, **fields)
    suggest.prepare(session, change=change, scheme=scheme, incident=incident)
    runner.start(session, change=change, incident=incident, policy_name=body.escalation_policy)
    session.commit()
    response.headers["Location"] = f"/api/v1/incidents/{incident.ref}"
    return incident_view(incident, scheme)


@router.get("")
def list_incidents(
    session: SessionDep,
    scheme: SchemeDep,
    actor: Viewer,
    status_filter: Annotated[
        list[str], Query(alias="status", description="repeat or comma-separate")
    ] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    severity: Annotated[list[str], Query(description="repeat or comma-separate")] = [],  # noqa: B006
    service_name: Annotated[str | None, Query(alias="service")] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    since: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IncidentPage:
    """Incidents, newest first, with filters and cursor pagination."""
    statuses = [service.parse_status(s) for s in _split(status_filter)]
    severities = [scheme.resolve(s).id for s in _split(severity)]
    rows = service.list_incidents(
        session,
        statuses=statuses,
        severities=severities,
        service=service_name,
        open_only=open_only,
        since=since,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = paginate(rows, limit)
    return IncidentPage(items=[incident_view(i, scheme) for i in page], next_cursor=next_cursor)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@router.get("/{ref}")
def get_incident(ref: str, session: SessionDep, scheme: SchemeDep, actor: Viewer) -> IncidentOut:
    """One incident."""
    return incident_view(service.get(session, ref), scheme)


@router.patch("/{ref}")
def patch_incident(
    ref: str,
    body: IncidentPatch,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    actor: Responder,
) -> IncidentOut:
    """Change title, summary, severity, service, impact, customer_facing or tags."""
    incident = service.get(session, ref)
    change = change_for(request, actor)
    severity = incident.severity
    service.update(
        session,
        change=change,
        scheme=scheme,
        incident=incident,
        fields=body.model_dump(exclude_unset=True),
    )
    if incident.severity != severity:
        suggest.attach_severity_checklists(session, change=change, scheme=scheme, incident=incident)
    session.commit()
    return incident_view(incident, scheme)


@router.post("/{ref}/status", responses={409: {"description": "the move is not allowed"}})
def change_status(
    ref: str,
    body: StatusChange,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    actor: Responder,
) -> IncidentOut:
    """Move the incident to another status (reopen too); resolving it resolves its alerts."""
    incident = service.get(session, ref)
    change = change_for(request, actor)
    service.change_status(
        session, change=change, scheme=scheme, incident=incident, status=body.status, note=body.note
    )
    followups.resolve_with_incident(session, change=change, incident=incident)
    session.commit()
    return incident_view(incident, scheme)


@router.post("/{ref}/roles")
def assign_role(
    ref: str,
    body: RoleAssignment,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    actor: Responder,
) -> IncidentOut:
    """Give a role (incident_commander, communications_lead, ... or any custom role) to a user."""
    incident = service.get(session, ref)
    service.assign_role(
        session,
        change=change_for(request, actor),
        incident=incident,
        role=body.role,
        user_handle=body.user,
    )
    session.commit()
    return incident_view(incident, scheme)


@router.delete("/{ref}/roles/{role}")
def unassign_role(
    ref: str, role: str, request: Request, session: SessionDep, scheme: SchemeDep, actor: Responder
) -> IncidentOut:
    """Take a role away."""
    incident = service.get(session, ref)
    service.unassign_role(session, change=change_for(request, actor), incident=incident, role=role)
    session.commit()
    return incident_view(incident, scheme)


@router.post("/{ref}/notes", status_code=status.HTTP_201_CREATED)
def add_note(
    ref: str, body: NoteCreate, request: Request, session: SessionDep, actor: Responder
) -> TimelineEntryOut:
    """Add a note to the timeline."""
    incident = service.get(session, ref)
    entry = service.add_note(
        session, change=change_for(request, actor), incident=incident, text=body.text
    )
    session.commit()
    return timeline_view(entry)


@router.get("/{ref}/timeline")
def get_timeline(
    ref: str,
    session: SessionDep,
    actor: Viewer,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> TimelinePage:
    """Everything that happened to the incident, oldest first."""
    incident = service.get(session, ref)
    rows = timeline.entries(
        session, incident=incident, after_id=decode_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = paginate(rows, limit)
    return TimelinePage(items=[timeline_view(e) for e in page], next_cursor=next_cursor)
