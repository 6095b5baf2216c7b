"""The Statuspage public API v2 JSON shapes, field for field, so existing consumers work.

Shapes: https://developer.statuspage.io/ and every Statuspage-hosted page's ``/api``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from warroom.statuspage.models import StatusComponent, StatusIncident, StatusIncidentUpdate
from warroom.statuspage.page import PageState
from warroom.statuspage.service import MAINTENANCE

Document = dict[str, Any]


def iso(moment: datetime | None, zone: tzinfo) -> str | None:
    """ISO-8601 with the page's UTC offset and milliseconds, as Statuspage writes times."""
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat(timespec="milliseconds")


def page_shape(state: PageState) -> Document:
    """The ``page`` object every endpoint starts with."""
    info = state.info
    return {
        "id": info.id,
        "name": info.name,
        "url": info.url,
        "time_zone": info.time_zone,
        "updated_at": iso(state.updated_at, info.zone),
    }


def status_shape(state: PageState) -> Document:
    """The overall ``status`` object."""
    return {"indicator": state.indicator, "description": state.description}


def component_shape(state: PageState, component: StatusComponent) -> Document:
    """One component; a group also lists its members' ids."""
    zone = state.info.zone
    shape: Document = {
        "id": component.public_id,
        "name": component.name,
        "status": state.status_of(component),
        "created_at": iso(component.created_at, zone),
        "updated_at": iso(component.updated_at, zone),
        "position": component.position,
        "description": component.description or None,
        "showcase": component.showcase,
        "start_date": component.start_date.isoformat() if component.start_date else None,
        "group_id": state.group_public_ids.get(component.group_id or 0),
        "page_id": state.info.id,
        "group": component.is_group,
        "only_show_if_degraded": component.only_show_if_degraded,
    }
    if component.is_group:
        shape["components"] = [c.public_id for c in state.children.get(component.id, [])]
    return shape


def components_shape(state: PageState) -> list[Document]:
    """Every component and group in page order."""
    return [component_shape(state, c) for c in state.components]


def update_shape(update: StatusIncidentUpdate, incident_public_id: str, zone: tzinfo) -> Document:
    """One incident update."""
    return {
        "id": update.public_id,
        "status": update.status,
        "body": update.body,
        "incident_id": incident_public_id,
        "created_at": iso(update.created_at, zone),
        "updated_at": iso(update.created_at, zone),
        "display_at": iso(update.display_at, zone),
        "affected_components": [dict(a) for a in update.affected_components] or None,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_shape(state: PageState, incident: StatusIncident) -> Document:
    """One incident or scheduled maintenance, updates newest first."""
    zone = state.info.zone
    maintenance = incident.kind == MAINTENANCE
    status = state.maintenance_status(incident) if maintenance else incident.status
    updates = sorted(incident.updates, key=lambda u: (u.display_at, u.id), reverse=True)
    shape: Document = {
        "id": incident.public_id,
        "name": incident.name,
        "status": status,
        "created_at": iso(incident.created_at, zone),
        "updated_at": iso(incident.updated_at, zone),
        "monitoring_at": iso(incident.monitoring_at, zone),
        "resolved_at": iso(incident.resolved_at, zone),
        "impact": incident.impact,
        "shortlink": state.info.incident_url(incident.public_id),
        "started_at": iso(incident.started_at, zone),
        "page_id": state.info.id,
        "incident_updates": [update_shape(u, incident.public_id, zone) for u in updates],
        "components": [component_shape(state, c) for c in incident.components],
    }
    if maintenance:
        shape["scheduled_for"] = iso(incident.scheduled_for, zone)
        shape["scheduled_until"] = iso(incident.scheduled_until, zone)
    return shape


def incidents_shape(state: PageState, incidents: Sequence[StatusIncident]) -> list[Document]:
    """A list of incidents or maintenances."""
    return [incident_shape(state, i) for i in incidents]


def summary_document(state: PageState) -> Document:
    """``summary.json``: page, components, unresolved incidents, current and coming maintenance."""
    return {
        "page": page_shape(state),
        "components": components_shape(state),
        "incidents": incidents_shape(state, state.unresolved),
        "scheduled_maintenances": incidents_shape(state, state.maintenances),
        "status": status_shape(state),
    }


def status_document(state: PageState) -> Document:
    """``status.json``."""
    return {"page": page_shape(state), "status": status_shape(state)}


def components_document(state: PageState) -> Document:
    """``components.json``."""
    return {"page": page_shape(state), "components": components_shape(state)}


def incidents_document(state: PageState, incidents: Sequence[StatusIncident]) -> Document:
    """``incidents.json`` and ``incidents/unresolved.json``."""
    return {"page": page_shape(state), "incidents": incidents_shape(state, incidents)}


def maintenances_document(state: PageState, maintenances: Sequence[StatusIncident]) -> Document:
    """``scheduled-maintenances*.json``."""
    return {
        "page": page_shape(state),
        "scheduled_maintenances": incidents_shape(state, maintenances),
    }
