"""Services and the escalation policy each pages by."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from warroom.escalation.schemas import (
    ServiceCreate,
    ServiceList,
    ServiceOut,
    ServiceReplace,
    service_view,
)
from warroom.services import service
from warroom.web.deps import Admin, SessionDep, Viewer, change_for
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["services"])


@router.get("/services")
def list_services(session: SessionDep, actor: Viewer) -> ServiceList:
    """All services by name."""
    return ServiceList(items=[service_view(s) for s in service.list_services(session)])


@router.post("/services", status_code=status.HTTP_201_CREATED)
def create_service(
    body: ServiceCreate, request: Request, response: Response, session: SessionDep, actor: Admin
) -> ServiceOut:
    """Register a service, optionally with its escalation policy (admin)."""
    created = service.create_service(
        session,
        change=change_for(request, actor),
        name=body.name,
        description=body.description,
        escalation_policy=body.escalation_policy,
        grouping=body.grouping_rule(),
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/services/{created.name}"
    return service_view(created)


@router.get("/services/{name}")
def get_service(name: str, session: SessionDep, actor: Viewer) -> ServiceOut:
    """One service."""
    return service_view(service.get_service(session, name))


@router.put("/services/{name}")
def replace_service(
    name: str, body: ServiceReplace, request: Request, session: SessionDep, actor: Admin
) -> ServiceOut:
    """Replace a service's description, escalation policy and grouping (admin)."""
    replaced = service.replace_service(
        session,
        change=change_for(request, actor),
        service=service.get_service(session, name),
        description=body.description,
        escalation_policy=body.escalation_policy,
        grouping=body.grouping_rule(),
    )
    session.commit()
    return service_view(replaced)


@router.delete("/services/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_service(name: str, request: Request, session: SessionDep, actor: Admin) -> Response:
    """Remove a service; incidents keep its name (admin)."""
    found = service.get_service(session, name)
    service.delete_service(session, change=change_for(request, actor), service=found)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
