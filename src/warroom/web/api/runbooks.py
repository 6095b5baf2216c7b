"""Runbooks: import Markdown, browse the structure, match alerts, run a section as a checklist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import select

from warroom.incidents import service as incidents
from warroom.incidents.models import TimelineEntry
from warroom.runbooks import library, suggest
from warroom.runbooks.matcher import AlertQuery, Match
from warroom.runbooks.schemas import (
    AcceptIn,
    ChecklistItemOut,
    ImportOut,
    IncidentRunbookOut,
    MatchIn,
    MatchList,
    RunbookList,
    RunbookOut,
    VersionList,
    checklist_view,
    runbook_view,
    summary_view,
    version_view,
)
from warroom.web.deps import Admin, Responder, SessionDep, Viewer, change_for
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["runbooks"])


async def markdown_body(request: Request) -> bytes:
    """The raw request body (Markdown)."""
    return await request.body()


@router.post(
    "/runbooks",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def import_runbook(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Admin,
    body: Annotated[bytes, Depends(markdown_body)],
    source: Annotated[str, Query(min_length=1, max_length=1000, description="source path")],
) -> ImportOut:
    """Import a Markdown runbook (the body); the same ``source`` again adds a new version."""
    imported = library.import_runbook(
        session, change=change_for(request, actor), source=source, raw=body
    )
    session.commit()
    if imported.outcome != "created":
        response.status_code = status.HTTP_200_OK
    return ImportOut(outcome=imported.outcome, runbook=summary_view(imported.runbook))


@router.get("/runbooks")
def list_runbooks(session: SessionDep, actor: Viewer) -> RunbookList:
    """Every imported runbook."""
    return RunbookList(items=[summary_view(r) for r in library.list_runbooks(session)])


@router.get("/runbooks/{runbook_id}")
def get_runbook(runbook_id: int, session: SessionDep, actor: Viewer) -> RunbookOut:
    """A runbook's structure: sections with stable ids, extracted fields and tables."""
    return runbook_view(library.get_runbook(session, runbook_id))


@router.get("/runbooks/{runbook_id}/versions")
def list_versions(runbook_id: int, session: SessionDep, actor: Viewer) -> VersionList:
    """Every imported version, oldest first."""
    runbook = library.get_runbook(session, runbook_id)
    return VersionList(items=[version_view(v) for v in library.versions(session, runbook)])


@router.post("/runbooks/match")
def match(body: MatchIn, session: SessionDep, actor: Viewer) -> MatchList:
    """Rank runbook sections for an alert; an empty list means nothing fits."""
    query = AlertQuery(**body.model_dump())
    return MatchList(items=suggest.build_matcher(session).match(query))


def _incident_runbook(session: SessionDep, ref: str) -> IncidentRunbookOut:
    incident = incidents.get(session, ref)
    latest = session.scalar(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "runbook_suggested")
        .order_by(TimelineEntry.id.desc())
        .limit(1)
    )
    suggestions = latest.data.get("suggestions", []) if latest else []
    return IncidentRunbookOut(
        suggestions=[Match(**s) for s in suggestions],
        checklist=[checklist_view(i) for i in suggest.checklist(session, incident)],
    )


@router.get("/incidents/{ref}/runbook")
def incident_runbook(ref: str, session: SessionDep, actor: Viewer) -> IncidentRunbookOut:
    """The incident's runbook suggestions and checklist."""
    return _incident_runbook(session, ref)


@router.post("/incidents/{ref}/runbook/suggest")
def resuggest(ref: str, request: Request, session: SessionDep, actor: Responder) -> MatchList:
    """Match the incident again (after its title or summary changed)."""
    incident = incidents.get(session, ref)
    matches = suggest.attach_suggestions(
        session, change=change_for(request, actor), incident=incident
    )
    session.commit()
    return MatchList(items=matches)


@router.post("/incidents/{ref}/runbook", status_code=status.HTTP_201_CREATED)
def accept_runbook(
    ref: str, body: AcceptIn, request: Request, session: SessionDep, actor: Responder
) -> IncidentRunbookOut:
    """Follow a runbook section: its steps become the incident's checklist."""
    incident = incidents.get(session, ref)
    suggest.accept(
        session, change=change_for(request, actor), incident=incident, section_id=body.section
    )
    session.commit()
    return _incident_runbook(session, ref)


def _mark(
    ref: str, item: int, request: Request, session: SessionDep, actor: Responder, done: bool
) -> ChecklistItemOut:
    incident = incidents.get(session, ref)
    marked = suggest.mark(
        session, change=change_for(request, actor), incident=incident, position=item, done=done
    )
    session.commit()
    return checklist_view(marked)


@router.post("/incidents/{ref}/checklist/{item}/done")
def tick(
    ref: str, item: int, request: Request, session: SessionDep, actor: Responder
) -> ChecklistItemOut:
    """Tick a checklist item (recorded on the timeline)."""
    return _mark(ref, item, request, session, actor, done=True)


@router.delete("/incidents/{ref}/checklist/{item}/done")
def untick(
    ref: str, item: int, request: Request, session: SessionDep, actor: Responder
) -> ChecklistItemOut:
    """Untick a checklist item."""
    return _mark(ref, item, request, session, actor, done=False)
