"""Apply normalised events in one transaction: dedup, suppress, group into incidents, escalate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.orm import Session, lazyload

from warroom.actor import Actor, Role
from warroom.alerts.models import Alert, AlertDelivery, Suppression
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.escalation import runner
from warroom.incidents import service as incidents
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.models import Incident, TimelineEntry
from warroom.pipeline import bulk, group, suppress
from warroom.pipeline.event import DEFAULT_SEVERITY, AlertStatus, Event, one_line
from warroom.runbooks import suggest
from warroom.severity import SeverityScheme

_OPEN = [s.value for s in OPEN_STATUSES]
_LOOKUP_CHUNK = 400


@dataclass(frozen=True)
class Route:
    """Where one integration's events go: its service and that service's grouping rule."""

    integration_id: int
    integration_name: str
    service_id: int
    service_name: str
    rule: group.GroupingRule = group.DEFAULT_RULE


@dataclass
class Submission:
    """The events of one request, from one integration."""

    route: Route
    events: Sequence[Event]


@dataclass
class Outcome:
    """What became of a submission's events."""

    alert_ids: list[int | None] = field(default_factory=list)
    incident_refs: list[str | None] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    ignored: int = 0


@dataclass(slots=True)
class NewAlert:
    """An alert opened in this batch; written with the others in one INSERT at the end."""

    integration_id: int
    source_format: str
    dedup_key: str
    status: str
    severity: str
    title: str
    description: str
    service: str | None
    resource: str | None
    labels: dict[str, str]
    links: list[dict[str, str]]
    started_at: datetime
    last_event_at: datetime
    raw: Any
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    event_count: int = 1
    incident_id: int | None = None
    suppressed_by: int | None = None
    id: int | None = None

    def row(self) -> dict[str, Any]:
        """The INSERT parameters."""
        return {
            field.name: getattr(self, field.name) for field in fields(self) if field.name != "id"
        }


AnyAlert = Alert | NewAlert


@dataclass(frozen=True)
class PipelineSettings:
    """What the pipeline needs from the configuration."""

    scheme: SeverityScheme
    quiet_period: timedelta = timedelta(minutes=15)


class _Batch:
    """State shared by the events of one transaction (lookups done once, new rows reused)."""

    def __init__(self, session: Session, submissions: Sequence[Submission], now: datetime) -> None:
        self.session = session
        self.now = now
        self.open_alerts = _open_alerts(session, submissions)
        self.seen_deliveries = _seen_deliveries(session, submissions)
        self.incidents_by_key: dict[str, Incident] = {}
        self.resolved_in: dict[int, Change] = {}
        # Timeline entries naming alerts wait for the batch's one flush, which gives alerts ids.
        self.pending_entries: list[tuple[Incident, Change, str, AnyAlert, dict[str, Any]]] = []
        self.new_alerts: list[NewAlert] = []
        self.deliveries: list[dict[str, Any]] = []
        self._suppressions: list[Suppression] | None = None

    def suppressions(self) -> list[Suppression]:
        if self._suppressions is None:
            self._suppressions = suppress.active(self.session, self.now)
        return self._suppressions


def _open_alerts(session: Session, submissions: Sequence[Submission]) -> dict[Any, AnyAlert]:
    keys = {(s.route.integration_id, e.dedup_key) for s in submissions for e in s.events}
    found: dict[Any, AnyAlert] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _LOOKUP_CHUNK):
        chunk = ordered[start : start + _LOOKUP_CHUNK]
        query = (
            select(Alert)
            .where(
                tuple_(Alert.integration_id, Alert.dedup_key).in_(chunk),
                Alert.status != AlertStatus.resolved.value,
            )
            .options(lazyload(Alert.integration))
        )
        found.update(((a.integration_id, a.dedup_key), a) for a in session.scalars(query))
    return found


def _seen_deliveries(session: Session, submissions: Sequence[Submission]) -> set[Any]:
    ids = sorted(
        {(s.route.integration_id, e.delivery_id) for s in submissions for e in s.events}
        - {(s.route.integration_id, None) for s in submissions}
    )
    seen: set[Any] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        query = select(AlertDelivery.integration_id, AlertDelivery.delivery_id).where(
            tuple_(AlertDelivery.integration_id, AlertDelivery.delivery_id).in_(chunk)
        )
        seen.update(tuple(row) for row in session.execute(query))
    return seen


def apply(
    session: Session,
    *,
    submissions: Sequence[Submission],
    now: datetime,
    settings: PipelineSettings,
) -> list[Outcome]:
    """Apply every submission's events in order; the caller commits."""
    batch = _Batch(session, submissions, now)
    outcomes: list[Outcome] = []
    touched: list[list[AnyAlert | None]] = []
    for submission in submissions:
        change = Change(
            actor=Actor(
                kind="integration", name=submission.route.integration_name, role=Role.responder
            ),
            clock=FixedClock(now),
        )
        outcome, alerts = Outcome(), []
        for event in submission.events:
            alerts.append(_apply_event(batch, submission.route, event, change, settings, outcome))
        outcomes.append(outcome)
        touched.append(alerts)
    session.flush()
    _write_new_rows(batch)
    for outcome, alerts in zip(outcomes, touched, strict=True):
        outcome.alert_ids = [a.id if a is not None else None for a in alerts]
    _quiet_resolved_incidents(batch, settings)
    return outcomes


def _write_new_rows(batch: _Batch) -> None:
    """Insert the batch's new alerts, delivery ids and alert timeline entries, each in one go."""
    session = batch.session
    if batch.new_alerts and session.get_bind().dialect.name == "postgresql":
        # Ids first, so one unnest() INSERT needs no RETURNING to match rows back.
        ids = bulk.allocate_ids(session, Alert, len(batch.new_alerts))
        for alert, alert_id in zip(batch.new_alerts, ids, strict=True):
            alert.id = alert_id
        bulk.insert_rows(session, Alert, [{"id": a.id, **a.row()} for a in batch.new_alerts])
    elif batch.new_alerts:
        statement = insert(Alert).returning(Alert.id, sort_by_parameter_order=True)
        returned = session.scalars(statement, [a.row() for a in batch.new_alerts]).all()
        for alert, alert_id in zip(batch.new_alerts, returned, strict=True):
            alert.id = alert_id
    bulk.insert_rows(session, AlertDelivery, batch.deliveries)
    entries = [
        {
            "incident_id": incident.id,
            "at": batch.now,
            "actor": str(change.actor),
            "kind": kind,
            "data": {"alert_id": alert.id, **data},
        }
        for incident, change, kind, alert, data in batch.pending_entries
    ]
    bulk.insert_rows(session, TimelineEntry, entries)


def _apply_event(
    batch: _Batch,
    route: Route,
    event: Event,
    change: Change,
    settings: PipelineSettings,
    outcome: Outcome,
) -> AnyAlert | None:
    if event.delivery_id is not None:
        delivery = (route.integration_id, event.delivery_id)
        if delivery in batch.seen_deliveries:
            _skip(outcome)
            return None
        batch.seen_deliveries.add(delivery)
        batch.deliveries.append(
            {
                "integration_id": route.integration_id,
                "delivery_id": event.delivery_id,
                "received_at": batch.now,
            }
        )
    key = (route.integration_id, event.dedup_key)
    alert = batch.open_alerts.get(key)
    if alert is None:
        if event.status is not AlertStatus.firing:
            # An ack or resolve for nothing open is accepted and dropped, as PagerDuty does.
            _skip(outcome)
            return None
        alert = _open_alert(batch, route, event, change, settings)
        batch.open_alerts[key] = alert
        outcome.created += 1
    else:
        _update_alert(batch, alert, event, change, settings)
        outcome.updated += 1
        if alert.status == AlertStatus.resolved.value:
            del batch.open_alerts[key]
    incident = batch.session.get(Incident, alert.incident_id) if alert.incident_id else None
    outcome.incident_refs.append(incident.ref if incident else None)
    return alert


def _skip(outcome: Outcome) -> None:
    outcome.ignored += 1
    outcome.incident_refs.append(None)


def _labels_text(event: Event) -> dict[str, str]:
    return {str(k): str(v) for k, v in event.labels.items()}


def _open_alert(
    batch: _Batch, route: Route, event: Event, change: Change, settings: PipelineSettings
) -> NewAlert:
    now = batch.now
    started = event.started_at if event.started_at and event.started_at <= now else now
    labels = _labels_text(event)
    alert = NewAlert(
        integration_id=route.integration_id,
        source_format=event.source_format,
        dedup_key=event.dedup_key,
        status=AlertStatus.firing.value,
        severity=event.severity or DEFAULT_SEVERITY,
        title=one_line(event.title) or event.dedup_key[:200],
        description=event.description,
        service=event.service,
        resource=event.resource,
        labels=labels,
        links=[{"href": link.href, "text": link.text} for link in event.links],
        started_at=started,
        last_event_at=now,
        raw=event.raw,
        created_at=now,
        updated_at=now,
    )
    suppression = suppress.suppressing(
        batch.suppressions(), service=route.service_name, labels=labels
    )
    batch.new_alerts.append(alert)
    if suppression is not None:
        alert.suppressed_by = suppression.id
        return alert
    incident = _incident_for(batch, route, alert, change, settings)
    alert.incident_id = incident.id
    batch.pending_entries.append(
        (incident, change, "alert_attached", alert, _alert_facts(alert, route))
    )
    return alert


def _alert_facts(alert: AnyAlert, route: Route) -> dict[str, Any]:
    return {
        "integration": route.integration_name,
        "dedup_key": alert.dedup_key,
        "title": alert.title,
        "severity": alert.severity,
        "status": alert.status,
    }


def _incident_for(
    batch: _Batch, route: Route, alert: NewAlert, change: Change, settings: PipelineSettings
) -> Incident:
    key = group.group_key(
        route.rule, service_id=route.service_id, labels=alert.labels, title=alert.title
    )
    incident = None
    if key is not None:
        incident = batch.incidents_by_key.get(key) or group.open_incident(
            batch.session, key=key, now=batch.now, window=route.rule.window
        )
    if incident is None or incident.status not in _OPEN:
        incident = _declare(batch, route, alert, change, settings, key)
    else:
        _join(batch, incident, alert, change, settings.scheme)
    if key is not None:
        batch.incidents_by_key[key] = incident
    incident.last_alert_at = batch.now
    return incident


def _declare(
    batch: _Batch,
    route: Route,
    alert: NewAlert,
    change: Change,
    settings: PipelineSettings,
    key: str | None,
) -> Incident:
    incident = incidents.declare(
        batch.session,
        change=change,
        scheme=settings.scheme,
        title=one_line(alert.title, 500),
        severity=alert.severity,
        summary=alert.description[:20000],
        service=route.service_name,
        detected_at=alert.started_at,
    )
    incident.group_key = key
    suggest.prepare(
        batch.session,
        change=change,
        scheme=settings.scheme,
        incident=incident,
        labels=alert.labels,
    )
    runner.start(batch.session, change=change, incident=incident)
    return incident


def _join(
    batch: _Batch, incident: Incident, alert: NewAlert, change: Change, scheme: SeverityScheme
) -> None:
    worse = scheme.resolve(alert.severity)
    if scheme.rank(worse.id) < scheme.rank(scheme.resolve(incident.severity).id):
        data = {"from": incident.severity, "to": worse.id, "reason": "a worse alert joined"}
        incident.severity = worse.id
        timeline.append(
            batch.session, change=change, incident=incident, kind="severity_changed", data=data
        )
    if incident.status == Status.monitoring.value and incident.quiet_until is not None:
        # A re-fire during the quiet period: the problem is back, so is the incident.
        incident.status = Status.investigating.value
        incident.quiet_until = None
        incident.updated_at = batch.now
        timeline.append(
            batch.session,
            change=change,
            incident=incident,
            kind="status_changed",
            data={"from": "monitoring", "to": "investigating", "reason": "an alert fired again"},
        )
        runner.resume(batch.session, change=change, incident=incident)


def _update_alert(
    batch: _Batch, alert: AnyAlert, event: Event, change: Change, settings: PipelineSettings
) -> None:
    now = batch.now
    alert.event_count += 1
    alert.last_event_at = now
    alert.updated_at = now
    if event.raw is not None:
        alert.raw = event.raw
    if event.status is AlertStatus.firing:
        # Details follow the latest report; an acknowledged alert stays acknowledged.
        if event.title:
            alert.title = one_line(event.title)
        alert.description = event.description or alert.description
        alert.labels = _labels_text(event) or alert.labels
        alert.severity = event.severity or alert.severity
        return
    incident = batch.session.get(Incident, alert.incident_id) if alert.incident_id else None
    if event.status is AlertStatus.acknowledged:
        if alert.status == AlertStatus.acknowledged.value:
            return
        alert.status = AlertStatus.acknowledged.value
        if incident is not None and incident.status == Status.triggered.value:
            incidents.change_status(
                batch.session,
                change=change,
                scheme=settings.scheme,
                incident=incident,
                status=Status.acknowledged.value,
                note=f"alert {alert.dedup_key} acknowledged by its sender",
            )
        return
    alert.status = AlertStatus.resolved.value
    alert.ended_at = event.ended_at or now
    if incident is not None:
        data = {"dedup_key": alert.dedup_key, "title": alert.title}
        batch.pending_entries.append((incident, change, "alert_resolved", alert, data))
        batch.resolved_in[incident.id] = change


def _quiet_resolved_incidents(batch: _Batch, settings: PipelineSettings) -> None:
    """Incidents whose every alert has resolved enter monitoring for the quiet period."""
    if not batch.resolved_in:
        return
    still_open = _open_alert_counts(batch.session, batch.resolved_in)
    for incident_id, change in sorted(batch.resolved_in.items(), key=lambda item: item[0]):
        incident = batch.session.get(Incident, incident_id)
        if incident is None or still_open.get(incident_id) or incident.status not in _OPEN:
            continue
        quiet_until = batch.now + settings.quiet_period
        data = {
            "from": incident.status,
            "to": Status.monitoring.value,
            "reason": "every alert resolved",
            "resolves_at": quiet_until.isoformat(),
        }
        incident.status = Status.monitoring.value
        incident.quiet_until = quiet_until
        incident.mitigated_at = incident.mitigated_at or batch.now
        incident.updated_at = batch.now
        timeline.append(
            batch.session, change=change, incident=incident, kind="status_changed", data=data
        )
    batch.resolved_in.clear()


def _open_alert_counts(session: Session, incident_ids: Iterable[int]) -> dict[int, int]:
    query = (
        select(Alert.incident_id, func.count())
        .where(Alert.incident_id.in_(list(incident_ids)), Alert.status != "resolved")
        .group_by(Alert.incident_id)
    )
    return {row[0]: row[1] for row in session.execute(query) if row[0] is not None}
