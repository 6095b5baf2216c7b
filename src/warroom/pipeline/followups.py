"""Alerts and incidents outside an ingest batch: a person resolves, a sender reports a change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from warroom.actor import Actor, Role
from warroom.alerts.models import Alert
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.models import Incident
from warroom.pipeline.apply import Route
from warroom.pipeline.event import AlertStatus


def resolve_with_incident(session: Session, *, change: Change, incident: Incident) -> int:
    """Resolve the incident's open alerts when a person resolves it, as PagerDuty does."""
    if incident.status != Status.resolved.value:
        return 0
    query = select(Alert).where(Alert.incident_id == incident.id, Alert.status != "resolved")
    alerts = list(session.scalars(query))
    now = change.now()
    for alert in alerts:
        alert.status = AlertStatus.resolved.value
        alert.ended_at = now
        alert.updated_at = now
    if alerts:
        data = {"alert_ids": [a.id for a in alerts], "reason": "the incident was resolved"}
        timeline.append(
            session, change=change, incident=incident, kind="alerts_resolved", data=data
        )
    return len(alerts)


def record_change_event(
    session: Session, *, route: Route, change_event: dict[str, Any], now: datetime
) -> list[str]:
    """Put a change event (a deploy, a config push) on its service's open incidents' timelines."""
    change = Change(
        actor=Actor(kind="integration", name=route.integration_name, role=Role.responder),
        clock=FixedClock(now),
    )
    query = select(Incident).where(
        Incident.service == route.service_name,
        Incident.status.in_([s.value for s in OPEN_STATUSES]),
    )
    incidents_open = list(session.scalars(query.options(lazyload(Incident.roles))))
    for incident in incidents_open:
        timeline.append(
            session, change=change, incident=incident, kind="change_event", data=change_event
        )
    return [incident.ref for incident in incidents_open]
