"""Postmortems (read, generate, edit, publish, export) and action items."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from warroom.clock import Clock
from warroom.config import Settings
from warroom.errors import NotFound, ValidationFailed
from warroom.incidents import service as incidents
from warroom.postmortems import actions, service
from warroom.postmortems.generator import Generator
from warroom.postmortems.models import ActionItem
from warroom.postmortems.schemas import (
    ActionItemCreate,
    ActionItemOut,
    ActionItemPage,
    ActionItemPatch,
    PostmortemCreate,
    PostmortemOut,
    PostmortemUpdate,
    action_item_view,
    postmortem_view,
)
from warroom.web.deps import (
    ClockDep,
    Responder,
    SchemeDep,
    SessionDep,
    Viewer,
    change_for,
    decode_cursor,
    paginate,
)
from warroom.web.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, tags=["postmortems"])
INCIDENT = "/api/v1/incidents/{ref}"
ITEMS = "/api/v1/action-items"
# An exported page shows the document only: no scripts, nothing fetched from elsewhere.
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def get_generator(request: Request) -> Generator:
    """The application's postmortem generator, built on first use."""
    generator: Generator | None = getattr(request.app.state, "postmortem_generator", None)
    if generator is None:
        settings: Settings = request.app.state.settings
        generator = Generator(
            scheme=settings.severity_scheme,
            time_zone=settings.status_page_time_zone,
            template_dir=settings.template_dir,
            base_url=settings.base_url,
        )
        request.app.state.postmortem_generator = generator
    return generator


GeneratorDep = Annotated[Generator, Depends(get_generator)]


@router.get(f"{INCIDENT}/postmortem")
def get_postmortem(ref: str, session: SessionDep, clock: ClockDep, actor: Viewer) -> PostmortemOut:
    """The incident's postmortem."""
    incident = incidents.get(session, ref)
    return postmortem_view(service.get(session, incident), incident, clock.now())


@router.post(
    f"{INCIDENT}/postmortem",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the incident already has a postmortem"}},
)
def create_postmortem(
    ref: str,
    request: Request,
    response: Response,
    session: SessionDep,
    scheme: SchemeDep,
    generator: GeneratorDep,
    actor: Responder,
    body: PostmortemCreate | None = None,
) -> PostmortemOut:
    """Generate a draft from the incident's timeline and store it."""
    incident = incidents.get(session, ref)
    change = change_for(request, actor)
    postmortem = service.create(
        session,
        change=change,
        scheme=scheme,
        generator=generator,
        incident=incident,
        owner=body.owner if body else None,
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/incidents/{incident.ref}/postmortem"
    return postmortem_view(postmortem, incident, change.now())


@router.put(f"{INCIDENT}/postmortem", responses={409: {"description": "the move is not allowed"}})
def put_postmortem(
    ref: str, body: PostmortemUpdate, request: Request, session: SessionDep, actor: Responder
) -> PostmortemOut:
    """Replace the Markdown body, move the status or change the owner."""
    incident = incidents.get(session, ref)
    change = change_for(request, actor)
    postmortem = service.update_postmortem(
        session,
        change=change,
        incident=incident,
        postmortem=service.get(session, incident),
        body=body.body,
        status=body.status,
        owner=body.owner,
    )
    session.commit()
    return postmortem_view(postmortem, incident, change.now())


@router.get(
    f"{INCIDENT}/postmortem/export",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}, "text/html": {}}}},
)
def export_postmortem(
    ref: str,
    session: SessionDep,
    generator: GeneratorDep,
    actor: Viewer,
    format: Annotated[Literal["md", "html"], Query(description="md or html")] = "md",
) -> Response:
    """The stored postmortem as a Markdown or HTML file."""
    incident = incidents.get(session, ref)
    body = service.get(session, incident).body
    name = f"{incident.ref}-postmortem.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "md":
        return Response(body, media_type="text/markdown; charset=utf-8", headers=headers)
    page = generator.html(body, title=f"Postmortem: {incident.title}")
    headers["Content-Security-Policy"] = HTML_POLICY
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)


def _zone(request: Request) -> ZoneInfo:
    settings: Settings = request.app.state.settings
    return ZoneInfo(settings.status_page_time_zone)


@router.post(f"{INCIDENT}/action-items", status_code=status.HTTP_201_CREATED)
def add_action_item(
    ref: str,
    body: ActionItemCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Responder,
) -> ActionItemOut:
    """Add an action item with an owner, a due date and a priority."""
    incident = incidents.get(session, ref)
    change = change_for(request, actor)
    item = actions.create(
        session, change=change, incident=incident, zone=_zone(request), **body.model_dump()
    )
    session.commit()
    response.headers["Location"] = f"{ITEMS}/{item.id}"
    return action_item_view(item, incident.ref, change.now())


@router.get(ITEMS)
def list_action_items(
    session: SessionDep,
    clock: ClockDep,
    actor: Viewer,
    owner: Annotated[str | None, Query(description="the owner's handle")] = None,
    status_filter: Annotated[
        list[str], Query(alias="status", description="repeat or comma-separate")
    ] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    overdue: Annotated[bool, Query(description="only open items past their due date")] = False,
    incident: Annotated[str | None, Query(description="an incident ref")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ActionItemPage:
    """Action items, newest first, by owner, status, incident or overdue."""
    found = None
    if incident:
        try:
            found = incidents.get(session, incident)
        except NotFound:
            raise ValidationFailed.for_field("incident", f"no incident {incident!r}") from None
    statuses = [part.strip() for text in status_filter for part in text.split(",") if part.strip()]
    rows = actions.list_items(
        session,
        now=clock.now(),
        owner=owner,
        statuses=statuses,
        overdue=overdue,
        incident=found,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = paginate(rows, limit)
    return ActionItemPage(
        items=[_view(session, item, clock) for item in page], next_cursor=next_cursor
    )


def _view(session: SessionDep, item: ActionItem, clock: Clock) -> ActionItemOut:
    return action_item_view(item, actions.incident_of(session, item).ref, clock.now())


@router.get(f"{ITEMS}/{{item_id}}")
def get_action_item(
    item_id: int, session: SessionDep, clock: ClockDep, actor: Viewer
) -> ActionItemOut:
    """One action item."""
    return _view(session, actions.get(session, item_id), clock)


@router.patch(f"{ITEMS}/{{item_id}}")
def patch_action_item(
    item_id: int,
    body: ActionItemPatch,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    actor: Responder,
) -> ActionItemOut:
    """Change an action item: done or wont_do completes it and stops its reminders."""
    item = actions.update(
        session,
        change=change_for(request, actor),
        item=actions.get(session, item_id),
        fields=body.model_dump(exclude_unset=True),
        zone=_zone(request),
    )
    session.commit()
    return _view(session, item, clock)
