"""Integrations, the alerts they sent, silences and maintenance windows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from warroom.alerts import integrations
from warroom.alerts import service as alerts
from warroom.alerts.models import Alert
from warroom.alerts.schemas import (
    AlertDetail,
    AlertOut,
    AlertPage,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationList,
    IntegrationOut,
    IntegrationPatch,
    KeyRotation,
    MaintenanceCreate,
    SilenceCreate,
    SuppressionList,
    SuppressionOut,
    alert_detail,
    alert_view,
    created_view,
    integration_view,
    suppression_view,
)
from warroom.incidents import service as incidents
from warroom.web.deps import (
    Admin,
    ClockDep,
    Responder,
    SessionDep,
    Viewer,
    change_for,
    decode_cursor,
    paginate,
)
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["alerts"])


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.base_url)


@router.get("/integrations", tags=["integrations"])
def list_integrations(request: Request, session: SessionDep, actor: Viewer) -> IntegrationList:
    """All integrations by name, without their keys."""
    base = _base_url(request)
    rows = integrations.list_integrations(session)
    return IntegrationList(items=[integration_view(i, base) for i in rows])


@router.post("/integrations", status_code=status.HTTP_201_CREATED, tags=["integrations"])
def create_integration(
    body: IntegrationCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Admin,
) -> IntegrationCreated:
    """Add an integration (admin); the key is in this answer once and never again."""
    created, key = integrations.create_integration(
        session, change=change_for(request, actor), **body.model_dump()
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/integrations/{created.name}"
    return created_view(created, _base_url(request), key)


@router.get("/integrations/{name}", tags=["integrations"])
def get_integration(
    name: str, request: Request, session: SessionDep, actor: Viewer
) -> IntegrationOut:
    """One integration, without its key."""
    return integration_view(integrations.get_integration(session, name), _base_url(request))


@router.patch("/integrations/{name}", tags=["integrations"])
def update_integration(
    name: str, body: IntegrationPatch, request: Request, session: SessionDep, actor: Admin
) -> IntegrationOut:
    """Change an integration's service, options, secret or enabled flag (admin)."""
    updated = integrations.update_integration(
        session,
        change=change_for(request, actor),
        integration=integrations.get_integration(session, name),
        **body.model_dump(),
    )
    session.commit()
    return integration_view(updated, _base_url(request))


@router.post("/integrations/{name}/rotate-key", tags=["integrations"])
def rotate_key(
    name: str, body: KeyRotation, request: Request, session: SessionDep, actor: Admin
) -> IntegrationCreated:
    """Replace the key (admin); the old one stops working and the new one is shown once."""
    found = integrations.get_integration(session, name)
    key = integrations.rotate_key(
        session, change=change_for(request, actor), integration=found, key=body.key
    )
    session.commit()
    return created_view(found, _base_url(request), key)


@router.delete(
    "/integrations/{name}", status_code=status.HTTP_204_NO_CONTENT, tags=["integrations"]
)
def delete_integration(name: str, request: Request, session: SessionDep, actor: Admin) -> Response:
    """Remove an integration that has no alerts (admin); disable one that has."""
    found = integrations.get_integration(session, name)
    integrations.delete_integration(session, change=change_for(request, actor), integration=found)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _views(session: SessionDep, rows: list[Alert]) -> list[AlertOut]:
    refs = alerts.incident_refs(session, rows)
    return [alert_view(a, refs.get(a.incident_id or 0)) for a in rows]


@router.get("/alerts")
def list_alerts(
    session: SessionDep,
    actor: Viewer,
    integration: str | None = None,
    dedup_key: str | None = None,
    status_filter: Annotated[
        list[str], Query(alias="status", description="repeat or comma-separate")
    ] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    service: Annotated[str | None, Query(description="the integration's service")] = None,
    incident: Annotated[str | None, Query(description="an incident ref")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertPage:
    """Alerts, newest first, with filters and cursor pagination."""
    rows = alerts.list_alerts(
        session,
        integration=integration,
        dedup_key=dedup_key,
        statuses=[alerts.parse_alert_status(s) for s in _split(status_filter)],
        service=service,
        incident=incident,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = paginate(rows, limit)
    return AlertPage(items=_views(session, list(page)), next_cursor=next_cursor)


@router.get("/alerts/{alert_id}")
def get_alert(alert_id: int, session: SessionDep, actor: Viewer) -> AlertDetail:
    """One alert with the sender's last body."""
    alert = alerts.get_alert(session, alert_id)
    refs = alerts.incident_refs(session, [alert])
    return alert_detail(alert, refs.get(alert.incident_id or 0))


@router.get("/incidents/{ref}/alerts", tags=["incidents"])
def incident_alerts(ref: str, session: SessionDep, actor: Viewer) -> AlertPage:
    """The alerts attached to an incident, oldest first."""
    incident = incidents.get(session, ref)
    rows = alerts.alerts_of_incident(session, incident)
    return AlertPage(items=[alert_view(a, incident.ref) for a in rows])


def _suppressions(session: SessionDep, clock: ClockDep, kind: str, active: bool) -> SuppressionList:
    rows = alerts.list_suppressions(session, kind=kind, active_at=clock.now() if active else None)
    return SuppressionList(items=[suppression_view(s) for s in rows])


@router.get("/silences", tags=["silences"])
def list_silences(
    session: SessionDep, clock: ClockDep, actor: Viewer, active: bool = False
) -> SuppressionList:
    """Silences, newest first; ``active=true`` keeps those in force now."""
    return _suppressions(session, clock, "silence", active)


@router.post("/silences", status_code=status.HTTP_201_CREATED, tags=["silences"])
def create_silence(
    body: SilenceCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Responder,
) -> SuppressionOut:
    """Silence matching alerts for a while (responder): they open no incident."""
    change = change_for(request, actor)
    start = body.starts_at or change.now()
    silence = alerts.create_silence(
        session,
        change=change,
        matchers=[m.model_dump() for m in body.matchers],
        service=body.service,
        starts_at=start,
        ends_at=body.end(start),
        comment=body.comment,
        created_by=str(actor),
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/silences/{silence.id}"
    return suppression_view(silence)


@router.delete("/silences/{silence_id}", tags=["silences"])
def expire_silence(
    silence_id: int, request: Request, session: SessionDep, actor: Responder
) -> SuppressionOut:
    """End a silence now (responder)."""
    silence = alerts.expire_suppression(
        session, change=change_for(request, actor), suppression_id=silence_id, kind="silence"
    )
    session.commit()
    return suppression_view(silence)


@router.get("/maintenance-windows", tags=["maintenance windows"])
def list_maintenance_windows(
    session: SessionDep, clock: ClockDep, actor: Viewer, active: bool = False
) -> SuppressionList:
    """Maintenance windows, newest first; ``active=true`` keeps those in force now."""
    return _suppressions(session, clock, "maintenance", active)


@router.post(
    "/maintenance-windows", status_code=status.HTTP_201_CREATED, tags=["maintenance windows"]
)
def create_maintenance_window(
    body: MaintenanceCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Admin,
) -> SuppressionOut:
    """Schedule a maintenance window for a service (admin)."""
    window = alerts.create_maintenance(
        session, change=change_for(request, actor), **body.model_dump()
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/maintenance-windows/{window.id}"
    return suppression_view(window)


@router.delete("/maintenance-windows/{window_id}", tags=["maintenance windows"])
def end_maintenance_window(
    window_id: int, request: Request, session: SessionDep, actor: Admin
) -> SuppressionOut:
    """End a maintenance window now (admin)."""
    window = alerts.expire_suppression(
        session, change=change_for(request, actor), suppression_id=window_id, kind="maintenance"
    )
    session.commit()
    return suppression_view(window)
