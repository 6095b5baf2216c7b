"""Status page admin API: components, public incidents, maintenances and subscribers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from warroom.errors import ValidationFailed
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.statuspage import components, service, subscribers
from warroom.statuspage.models import StatusComponent, StatusIncident
from warroom.statuspage.page import PageInfo, PageState, load_page
from warroom.statuspage.schemas import (
    StatusComponentCreate,
    StatusComponentPatch,
    StatusIncidentCreate,
    StatusMaintenanceCreate,
    StatusUpdateCreate,
)
from warroom.statuspage.shapes import component_shape, incident_shape, iso
from warroom.web.deps import Admin, Responder, SchemeDep, SessionDep, Viewer, change_for
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1/status-page", route_class=JSONRoute, tags=["status page"])
Document = dict[str, Any]


def _state(request: Request, session: Session) -> PageState:
    info = PageInfo.from_settings(request.app.state.settings)
    return load_page(session, info, request.app.state.clock.now())


def _component_view(state: PageState, component: StatusComponent) -> Document:
    return {
        **component_shape(state, component),
        "services": list(component.services or []),
        "follow_incidents": component.follow_incidents,
    }


def _incident_view(request: Request, session: Session, public: StatusIncident) -> Document:
    shape = incident_shape(_state(request, session), public)
    internal = session.get(Incident, public.incident_id) if public.incident_id else None
    return {**shape, "incident_ref": internal.ref if internal else None}


@router.get("/components")
def list_components(request: Request, session: SessionDep, actor: Viewer) -> Document:
    """Every component and group in page order, with the services each follows."""
    state = _state(request, session)
    return {"items": [_component_view(state, c) for c in state.components], "next_cursor": None}


@router.post("/components", status_code=status.HTTP_201_CREATED)
def create_component(
    body: StatusComponentCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Admin,
) -> Document:
    """Add a component or group (admin)."""
    created = components.create_component(
        session,
        change=change_for(request, actor),
        name=body.name,
        description=body.description,
        group=body.group_id,
        is_group=body.group,
        position=body.position,
        showcase=body.showcase,
        only_show_if_degraded=body.only_show_if_degraded,
        start_date=body.start_date,
        status=body.status,
        services=body.services,
        follow_incidents=body.follow_incidents,
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/status-page/components/{created.public_id}"
    return _component_view(_state(request, session), created)


@router.get("/components/{public_id}")
def get_component(public_id: str, request: Request, session: SessionDep, actor: Viewer) -> Document:
    """One component."""
    found = components.get_component(session, public_id)
    return _component_view(_state(request, session), found)


@router.patch("/components/{public_id}")
def patch_component(
    public_id: str, body: StatusComponentPatch, request: Request, session: SessionDep, actor: Admin
) -> Document:
    """Change a component's fields or status (admin); a status change notifies subscribers."""
    change = change_for(request, actor)
    found = components.get_component(session, public_id)
    fields = body.model_dump(exclude_unset=True)
    new_status = fields.pop("status", None)
    if "group_id" in fields:
        fields["group"] = fields.pop("group_id")
    for name, value in fields.items():
        if value is None and name not in ("group", "start_date"):
            raise ValidationFailed.for_field(name, "must not be null")
    if fields:
        components.update_component(session, change=change, component=found, fields=fields)
    if new_status is not None:
        components.set_status(session, change=change, component=found, status=new_status)
    session.commit()
    return _component_view(_state(request, session), found)


@router.delete("/components/{public_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_component(
    public_id: str, request: Request, session: SessionDep, actor: Admin
) -> Response:
    """Remove a component (admin)."""
    found = components.get_component(session, public_id)
    components.delete_component(session, change=change_for(request, actor), component=found)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/incidents")
def list_incidents(request: Request, session: SessionDep, actor: Viewer) -> Document:
    """The 50 most recent public incidents."""
    state = _state(request, session)
    items = [incident_shape(state, i) for i in service.list_public_incidents(session)]
    return {"items": items, "next_cursor": None}


@router.post("/incidents", status_code=status.HTTP_201_CREATED)
def create_incident(
    body: StatusIncidentCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Responder,
    scheme: SchemeDep,
) -> Document:
    """Publish an internal incident (``incident_ref``) or open a standalone public incident."""
    change = change_for(request, actor)
    if body.incident_ref:
        if body.name or body.impact or body.components:
            raise ValidationFailed.for_field(
                "incident_ref", "name, impact and components follow the internal incident"
            )
        internal = incidents.get(session, body.incident_ref)
        update = service.publish_incident_update(
            session,
            change=change,
            incident=internal,
            status=body.status,
            body=body.body,
            scheme=scheme,
        )
        public = update.incident
    else:
        if not body.name:
            raise ValidationFailed.for_field("name", "give a name (or an incident_ref)")
        public = service.create_incident(
            session,
            change=change,
            name=body.name,
            status=body.status,
            body=body.body,
            impact=body.impact or "minor",
            components=body.components,
            notify=body.deliver_notifications,
        )
    session.commit()
    response.headers["Location"] = f"/api/v1/status-page/incidents/{public.public_id}"
    return _incident_view(request, session, public)


@router.get("/incidents/{public_id}")
def get_incident(public_id: str, request: Request, session: SessionDep, actor: Viewer) -> Document:
    """One public incident or maintenance with its updates."""
    return _incident_view(request, session, service.get_public_incident(session, public_id))


@router.post("/incidents/{public_id}/updates", status_code=status.HTTP_201_CREATED)
def add_update(
    public_id: str,
    body: StatusUpdateCreate,
    request: Request,
    session: SessionDep,
    actor: Responder,
    scheme: SchemeDep,
) -> Document:
    """Post an update; for a published internal incident the impact follows its severity."""
    change = change_for(request, actor)
    public = service.get_public_incident(session, public_id)
    internal = session.get(Incident, public.incident_id) if public.incident_id else None
    if internal is not None and body.status != "postmortem":
        if body.impact is not None:
            raise ValidationFailed.for_field("impact", "follows the internal incident's severity")
        service.publish_incident_update(
            session,
            change=change,
            incident=internal,
            status=body.status,
            body=body.body,
            scheme=scheme,
        )
    else:
        service.add_update(
            session,
            change=change,
            public=public,
            status=body.status,
            body=body.body,
            impact=body.impact,
            notify=body.deliver_notifications,
        )
    session.commit()
    return _incident_view(request, session, public)


@router.delete("/incidents/{public_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_incident(
    public_id: str, request: Request, session: SessionDep, actor: Admin
) -> Response:
    """Remove a resolved public incident or a maintenance (admin)."""
    public = service.get_public_incident(session, public_id)
    service.delete_public_incident(session, change=change_for(request, actor), public=public)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/maintenances")
def list_maintenances(request: Request, session: SessionDep, actor: Viewer) -> Document:
    """The 50 most recent scheduled maintenances."""
    state = _state(request, session)
    items = [
        incident_shape(state, m)
        for m in service.list_public_incidents(session, kind=service.MAINTENANCE)
    ]
    return {"items": items, "next_cursor": None}


@router.post("/maintenances", status_code=status.HTTP_201_CREATED)
def schedule_maintenance(
    body: StatusMaintenanceCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Responder,
) -> Document:
    """Announce a maintenance window; post updates to it like to an incident."""
    public = service.schedule_maintenance(
        session,
        change=change_for(request, actor),
        name=body.name,
        body=body.body,
        scheduled_for=body.scheduled_for,
        scheduled_until=body.scheduled_until,
        components=body.components,
        notify=body.deliver_notifications,
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/status-page/incidents/{public.public_id}"
    return _incident_view(request, session, public)


@router.get("/subscribers")
def list_subscribers(request: Request, session: SessionDep, actor: Admin) -> Document:
    """Every subscriber (admin)."""
    zone = PageInfo.from_settings(request.app.state.settings).zone
    items = [
        {
            "id": s.id,
            "kind": s.kind,
            "address": s.address,
            "components": list(s.component_ids or []),
            "confirmed": s.confirmed_at is not None,
            "created_at": iso(s.created_at, zone),
        }
        for s in subscribers.list_subscribers(session)
    ]
    return {"items": items, "next_cursor": None}


@router.delete("/subscribers/{subscriber_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscriber(
    subscriber_id: int, request: Request, session: SessionDep, actor: Admin
) -> Response:
    """Remove a subscriber (admin)."""
    subscribers.remove_subscriber(
        session, change=change_for(request, actor), subscriber_id=subscriber_id
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
