"""Status updates (internal and public), their templates, and incident subscribers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session

from warroom.actor import Actor, Role
from warroom.comms import service
from warroom.comms.schemas import (
    IncidentSubscriberChange,
    IncidentSubscriberOut,
    IncidentSubscriberPage,
    StatusUpdateCreate,
    StatusUpdateOut,
    StatusUpdatePage,
    UpdateTemplateList,
    posted_view,
    subscriber_view,
    template_view,
    update_view,
)
from warroom.comms.templates import UpdateTemplates
from warroom.config import Settings
from warroom.errors import Forbidden, ValidationFailed
from warroom.incidents import service as incidents
from warroom.users.models import User
from warroom.web.deps import (
    Responder,
    SessionDep,
    Viewer,
    change_for,
    decode_cursor,
    get_settings,
    paginate,
)
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["communication"])
SettingsDep = Annotated[Settings, Depends(get_settings)]


@router.post(
    "/incidents/{ref}/updates",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the incident is closed"}},
)
def post_update(
    ref: str,
    body: StatusUpdateCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: Responder,
) -> StatusUpdateOut:
    """Post an internal update (to responders, subscribers, Slack) or a public one (status page)."""
    incident = incidents.get(session, ref)
    posted = service.post_update(
        session,
        change=change_for(request, actor),
        settings=settings,
        incident=incident,
        audience=body.audience,
        status=body.status,
        body=body.body,
        template=body.template,
        variables=body.vars,
    )
    session.commit()
    return posted_view(posted, incident)


@router.get("/incidents/{ref}/updates")
def list_updates(
    ref: str,
    session: SessionDep,
    actor: Viewer,
    audience: Literal["internal", "public"] | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StatusUpdatePage:
    """The incident's updates, newest first."""
    incident = incidents.get(session, ref)
    rows = service.list_updates(
        session,
        incident=incident,
        audience=audience,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = paginate(rows, limit)
    return StatusUpdatePage(items=[update_view(u, incident) for u in page], next_cursor=next_cursor)


@router.get("/update-templates")
def list_templates(settings: SettingsDep, actor: Viewer) -> UpdateTemplateList:
    """Every update template by audience, with the variables it needs and accepts."""
    infos = UpdateTemplates(settings.template_dir).describe()
    return UpdateTemplateList(items=[template_view(i) for i in infos])


def _handle_for(session: Session, actor: Actor, given: str | None) -> str:
    """The user to (un)subscribe; people without the responder role may only do themselves."""
    own = session.get(User, actor.user_id) if actor.user_id is not None else None
    if given is None:
        if own is None:
            raise ValidationFailed.for_field("user", "give the handle of the user")
        return own.handle
    if actor.role < Role.responder and (own is None or own.handle != given.strip().lower()):
        raise Forbidden("subscribing someone else needs the responder role")
    return given


@router.get("/incidents/{ref}/subscribers")
def list_subscribers(ref: str, session: SessionDep, actor: Viewer) -> IncidentSubscriberPage:
    """Who follows the incident."""
    incident = incidents.get(session, ref)
    rows = service.subscribers(session, incident=incident)
    return IncidentSubscriberPage(items=[subscriber_view(s) for s in rows])


@router.post(
    "/incidents/{ref}/subscribers",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "the user already follows the incident"}},
)
def subscribe(
    ref: str,
    body: IncidentSubscriberChange,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Viewer,
) -> IncidentSubscriberOut:
    """Follow the incident: its internal updates reach the user."""
    incident = incidents.get(session, ref)
    subscription, created = service.subscribe(
        session,
        change=change_for(request, actor),
        incident=incident,
        user_handle=_handle_for(session, actor, body.user),
    )
    session.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return subscriber_view(subscription)


def _unsubscribe(
    ref: str, user: str | None, request: Request, session: Session, actor: Actor
) -> None:
    incident = incidents.get(session, ref)
    service.unsubscribe(
        session,
        change=change_for(request, actor),
        incident=incident,
        user_handle=_handle_for(session, actor, user),
    )
    session.commit()


@router.delete("/incidents/{ref}/subscribers", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe(
    ref: str, body: IncidentSubscriberChange, request: Request, session: SessionDep, actor: Viewer
) -> None:
    """Stop following the incident (``{"user": handle}``, or yourself without a body user)."""
    _unsubscribe(ref, body.user, request, session, actor)


@router.delete("/incidents/{ref}/subscribers/{user}", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe_user(
    ref: str, user: str, request: Request, session: SessionDep, actor: Viewer
) -> None:
    """Stop a user following the incident."""
    _unsubscribe(ref, user, request, session, actor)
