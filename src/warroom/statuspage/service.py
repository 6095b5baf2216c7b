"""Public incidents and maintenances: create, update, publish from internal incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.incidents import timeline
from warroom.incidents.models import Incident
from warroom.severity import DEFAULT_SCHEME, SeverityScheme
from warroom.statuspage.components import (
    OPERATIONAL,
    components_for_service,
    find_components,
    record_status,
    worst,
)
from warroom.statuspage.models import (
    StatusComponent,
    StatusIncident,
    StatusIncidentUpdate,
    status_incident_component,
)
from warroom.users import audit

INCIDENT = "incident"
MAINTENANCE = "maintenance"
PUBLISHED_STATUSES = ("investigating", "identified", "monitoring", "resolved")
INCIDENT_STATUSES = (*PUBLISHED_STATUSES, "postmortem")
CLOSED_STATUSES = ("resolved", "postmortem")
IMPACTS = ("none", "minor", "major", "critical")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
# What an unresolved incident of each impact does to the components it follows.
IMPACT_COMPONENT_STATUS = {
    "critical": "major_outage",
    "major": "partial_outage",
    "minor": "degraded_performance",
    "none": OPERATIONAL,
}
_MAX_BODY = 20_000


def impact_for(severity: str, scheme: SeverityScheme = DEFAULT_SCHEME) -> str:
    """The public impact of an internal severity: the scheme's first level critical, then down."""
    level = scheme.find(severity)
    rank = scheme.levels.index(level) if level is not None else 1
    return ("critical", "major", "minor")[rank] if rank < 3 else "none"


def _choice(value: str, allowed: Sequence[str], field: str) -> str:
    cleaned = value.strip().lower() if isinstance(value, str) else ""
    if cleaned not in allowed:
        raise ValidationFailed.for_field(
            field, f"unknown {field} {value!r}; use one of {', '.join(allowed)}"
        )
    return cleaned


def _clean_body(body: str) -> str:
    cleaned = body.strip() if isinstance(body, str) else ""
    if not cleaned:
        raise ValidationFailed.for_field("body", "must not be empty")
    if len(cleaned) > _MAX_BODY:
        raise ValidationFailed.for_field("body", f"must be at most {_MAX_BODY} characters")
    return cleaned


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split()) if isinstance(name, str) else ""
    if not cleaned or len(cleaned) > 500:
        raise ValidationFailed.for_field("name", "use 1-500 characters")
    return cleaned


def _follow_impact(
    session: Session, *, change: Change, components: Sequence[StatusComponent]
) -> dict[int, tuple[str, str]]:
    """Move following components to the worst impact of their unresolved incidents.

    Returns each given component's (old, new) status. Recomputing from every open incident
    means resolving one incident never clears an outage another still causes.
    """
    ids = [c.id for c in components if c.follow_incidents]
    impacts: dict[int, list[str]] = {component_id: [] for component_id in ids}
    if ids:
        rows = session.execute(
            select(status_incident_component.c.component_id, StatusIncident.impact)
            .join(StatusIncident, StatusIncident.id == status_incident_component.c.incident_id)
            .where(
                status_incident_component.c.component_id.in_(ids),
                StatusIncident.kind == INCIDENT,
                StatusIncident.status.not_in(CLOSED_STATUSES),
            )
        )
        for component_id, impact in rows:
            impacts[component_id].append(IMPACT_COMPONENT_STATUS.get(impact, OPERATIONAL))
    moves: dict[int, tuple[str, str]] = {}
    for component in components:
        old = component.status
        if component.follow_incidents:
            record_status(
                session, change=change, component=component, status=worst(impacts[component.id])
            )
        moves[component.id] = (old, component.status)
    return moves


def _add_update(
    session: Session,
    *,
    change: Change,
    public: StatusIncident,
    status: str,
    body: str,
    notify: bool,
) -> StatusIncidentUpdate:
    """Move the public incident to ``status``, follow its components, and add the update."""
    now = change.now()
    public.status = status
    public.updated_at = now
    if status == "monitoring" and public.monitoring_at is None:
        public.monitoring_at = now
    if status in CLOSED_STATUSES or status == "completed":
        public.resolved_at = public.resolved_at or now
    else:
        public.resolved_at = None
    session.flush()
    if public.kind == INCIDENT:
        moves = _follow_impact(session, change=change, components=public.components)
    else:
        moves = {c.id: (c.status, c.status) for c in public.components}
    update = StatusIncidentUpdate(
        incident=public,
        status=status,
        body=body,
        created_at=now,
        display_at=now,
        affected_components=[
            {
                "code": c.public_id,
                "name": c.name,
                "old_status": moves[c.id][0],
                "new_status": moves[c.id][1],
            }
            for c in public.components
        ],
        deliver_notifications=notify,
        notify_pending=notify,
    )
    session.add(update)
    session.flush()
    public.updates.sort(key=lambda u: (u.display_at, u.id), reverse=True)
    return update


def public_incident_for(session: Session, incident: Incident) -> StatusIncident | None:
    """The public incident published for an internal incident, if any."""
    return session.scalar(select(StatusIncident).where(StatusIncident.incident_id == incident.id))


def publish_incident_update(
    session: Session,
    *,
    change: Change,
    incident: Incident,
    status: str,
    body: str,
    scheme: SeverityScheme = DEFAULT_SCHEME,
) -> StatusIncidentUpdate:
    """Publish a public update for an internal incident, creating its public incident first.

    The impact follows the incident's current severity; components linked to its service
    follow the impact while it is unresolved and return to operational when it resolves.
    Subscribers are notified by the engine (the update is their outbox row).
    """
    clean_status = _choice(status, PUBLISHED_STATUSES, "status")
    clean_body = _clean_body(body)
    now = change.now()
    public = public_incident_for(session, incident)
    linked = components_for_service(session, incident.service)
    if public is None:
        public = StatusIncident(
            kind=INCIDENT,
            incident_id=incident.id,
            name=_clean_name(incident.title),
            status=clean_status,
            impact=impact_for(incident.severity, scheme),
            created_at=now,
            updated_at=now,
            started_at=incident.detected_at,
            components=linked,
            updates=[],
        )
        session.add(public)
    else:
        public.impact = impact_for(incident.severity, scheme)
        public.components.extend(c for c in linked if c not in public.components)
    update = _add_update(
        session, change=change, public=public, status=clean_status, body=clean_body, notify=True
    )
    timeline.append(
        session,
        change=change,
        incident=incident,
        kind="status_page_update",
        data={
            "status_page_incident": public.public_id,
            "update": update.public_id,
            "status": clean_status,
            "body": clean_body,
        },
    )
    _audit(session, change, "publish", public)
    return update


def create_incident(
    session: Session,
    *,
    change: Change,
    name: str,
    status: str,
    body: str,
    impact: str = "minor",
    components: Sequence[str] = (),
    notify: bool = True,
) -> StatusIncident:
    """Open a public incident not tied to an internal one, with its first update."""
    clean_status = _choice(status, INCIDENT_STATUSES, "status")
    clean_impact = _choice(impact, IMPACTS, "impact")
    clean_name, clean_body = _clean_name(name), _clean_body(body)
    affected = find_components(session, components)
    now = change.now()
    public = StatusIncident(
        kind=INCIDENT,
        name=clean_name,
        status=clean_status,
        impact=clean_impact,
        created_at=now,
        updated_at=now,
        started_at=now,
        components=affected,
        updates=[],
    )
    session.add(public)
    _add_update(
        session, change=change, public=public, status=clean_status, body=clean_body, notify=notify
    )
    _audit(session, change, "create", public)
    return public


def add_update(
    session: Session,
    *,
    change: Change,
    public: StatusIncident,
    status: str,
    body: str,
    impact: str | None = None,
    notify: bool = True,
) -> StatusIncidentUpdate:
    """Post an update to a public incident or maintenance (admins; any allowed status)."""
    allowed = INCIDENT_STATUSES if public.kind == INCIDENT else MAINTENANCE_STATUSES
    clean_status = _choice(status, allowed, "status")
    clean_body = _clean_body(body)
    if impact is not None:
        if public.kind != INCIDENT:
            raise ValidationFailed.for_field("impact", "a maintenance's impact is maintenance")
        public.impact = _choice(impact, IMPACTS, "impact")
    update = _add_update(
        session, change=change, public=public, status=clean_status, body=clean_body, notify=notify
    )
    _audit(session, change, "update", public)
    return update


def schedule_maintenance(
    session: Session,
    *,
    change: Change,
    name: str,
    body: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: Sequence[str] = (),
    notify: bool = True,
) -> StatusIncident:
    """Announce a maintenance window; its components show under_maintenance while it runs."""
    if scheduled_for.tzinfo is None or scheduled_until.tzinfo is None:
        raise ValidationFailed.for_field("scheduled_for", "give times with a UTC offset")
    if scheduled_until <= scheduled_for:
        raise ValidationFailed.for_field("scheduled_until", "must be after scheduled_for")
    clean_name, clean_body = _clean_name(name), _clean_body(body)
    affected = find_components(session, components)
    now = change.now()
    public = StatusIncident(
        kind=MAINTENANCE,
        name=clean_name,
        status="scheduled",
        impact=MAINTENANCE,
        created_at=now,
        updated_at=now,
        started_at=scheduled_for,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        components=affected,
        updates=[],
    )
    session.add(public)
    _add_update(
        session, change=change, public=public, status="scheduled", body=clean_body, notify=notify
    )
    _audit(session, change, "schedule", public)
    return public


def maintenance_status(maintenance: StatusIncident, now: datetime) -> str:
    """A maintenance's status at ``now``: set by hand, or moved on by its window.

    Scheduled becomes in_progress at scheduled_for; anything not completed by hand shows
    completed once scheduled_until has passed.
    """
    status = maintenance.status
    if status == "completed":
        return status
    if maintenance.scheduled_until is not None and now >= maintenance.scheduled_until:
        return "completed"
    if status == "scheduled" and maintenance.scheduled_for and now >= maintenance.scheduled_for:
        return "in_progress"
    return status


def get_public_incident(
    session: Session, public_id: str, kind: str | None = None
) -> StatusIncident:
    """The public incident or maintenance with this id, or NotFound."""
    query = select(StatusIncident).where(StatusIncident.public_id == public_id.strip())
    if kind is not None:
        query = query.where(StatusIncident.kind == kind)
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no status page {kind or 'incident'} with id {public_id!r}")
    return found


def delete_public_incident(session: Session, *, change: Change, public: StatusIncident) -> None:
    """Remove a public incident or maintenance (e.g. posted by mistake)."""
    if public.kind == INCIDENT and public.status not in CLOSED_STATUSES:
        raise Conflict("resolve the incident before deleting it, so its components recover")
    _audit(session, change, "delete", public)
    session.delete(public)
    session.flush()


def list_public_incidents(
    session: Session, *, kind: str = INCIDENT, limit: int = 50
) -> list[StatusIncident]:
    """Public incidents (or maintenances), newest first."""
    query = select(StatusIncident).where(StatusIncident.kind == kind)
    order = StatusIncident.scheduled_for if kind == MAINTENANCE else StatusIncident.created_at
    return list(
        session.scalars(query.order_by(order.desc(), StatusIncident.id.desc()).limit(limit))
    )


def _audit(session: Session, change: Change, verb: str, public: StatusIncident) -> None:
    audit.record(
        session,
        change=change,
        action=f"status_{public.kind}.{verb}",
        target=f"status_{public.kind}:{public.public_id}",
        data={"name": public.name, "status": public.status},
    )
