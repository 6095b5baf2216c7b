"""Read the figures of the analytics report: three queries, the rest computed in memory."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, desc, distinct, func, select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert, Integration
from warroom.analytics import stats
from warroom.analytics.schemas import (
    AckTimes,
    AnalyticsReport,
    Filters,
    IncidentCounts,
    Mtta,
    Mttr,
    NoisyAlert,
    OncallLoad,
    ResolveTimes,
    ServiceCount,
    SeverityAckTimes,
    SeverityCount,
    SeverityResolveTimes,
    SlaCompliance,
    SlaReport,
    WeekCount,
)
from warroom.errors import ValidationFailed
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.notifications.models import Notification
from warroom.services.models import Service
from warroom.severity import SeverityLevel, SeverityScheme
from warroom.users.models import User

DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)
NOISY_ALERTS = 10
# An unencoded '+' in a query string arrives as a space: "...T09:00:00 01:00".
_SPACED_OFFSET = re.compile(r"(T[\d:.]+) (\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class ReportQuery:
    """What the report covers: incidents detected in [start, end), optionally filtered."""

    start: datetime
    end: datetime
    service: str | None = None
    severity: str | None = None


class IncidentFacts(NamedTuple):
    """The columns of an incident the figures need."""

    severity: str
    service: str | None
    detected_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


def parse_moment(value: str, field: str) -> datetime:
    """An ISO-8601 date (midnight UTC) or date-time (UTC when it has no offset), in UTC."""
    text = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationFailed.for_field(
            field,
            f"{value!r} is not an ISO-8601 date or date-time; "
            "use e.g. 2026-11-01 or 2026-11-01T09:00:00+01:00",
        ) from None


def parse_query(
    *,
    scheme: SeverityScheme,
    now: datetime,
    start: str | None = None,
    end: str | None = None,
    service: str | None = None,
    severity: str | None = None,
) -> ReportQuery:
    """Check the report's parameters; by default the 30 days up to ``now``."""
    end_at = parse_moment(end, "to") if end is not None else now
    start_at = parse_moment(start, "from") if start is not None else end_at - DEFAULT_RANGE
    if start_at >= end_at:
        raise ValidationFailed.for_field(
            "from", f"must be before to ({end_at.isoformat()}); the range is [from, to)"
        )
    if end_at - start_at > MAX_RANGE:
        raise ValidationFailed.for_field(
            "to", f"must be at most 366 days after from ({start_at.isoformat()})"
        )
    level = scheme.resolve(severity) if severity is not None else None
    return ReportQuery(
        start=start_at,
        end=end_at,
        service=(service or "").strip() or None,
        severity=level.id if level else None,
    )


def build_report(
    session: Session, *, scheme: SeverityScheme, query: ReportQuery, now: datetime
) -> AnalyticsReport:
    """Every figure of the report; SLA targets still open are judged at ``now``."""
    incidents = incident_facts(session, query)
    levels = [scheme.get(query.severity)] if query.severity else list(scheme.levels)
    return AnalyticsReport(
        start=query.start,
        end=query.end,
        generated_at=now,
        filters=Filters(service=query.service, severity=query.severity),
        incidents=count_incidents(incidents, levels, query),
        mtta=time_to_acknowledge(incidents, levels),
        mttr=time_to_resolve(incidents, levels),
        sla=SlaReport(
            ack=sla_compliance(incidents, levels, now, kind="ack"),
            resolve=sla_compliance(incidents, levels, now, kind="resolve"),
        ),
        oncall=oncall_load(session, query),
        noisy_alerts=noisy_alerts(session, query),
    )


def _incident_conditions(query: ReportQuery) -> list[ColumnElement[bool]]:
    conditions = [Incident.detected_at >= query.start, Incident.detected_at < query.end]
    if query.service:
        conditions.append(Incident.service == query.service)
    if query.severity:
        conditions.append(Incident.severity == query.severity)
    return conditions


def incident_facts(session: Session, query: ReportQuery) -> list[IncidentFacts]:
    """The figures' columns of every incident the query covers, in one query."""
    rows = session.execute(
        select(
            Incident.severity,
            Incident.service,
            Incident.detected_at,
            Incident.acknowledged_at,
            Incident.resolved_at,
        ).where(*_incident_conditions(query))
    )
    return [IncidentFacts(*row) for row in rows]


def count_incidents(
    incidents: Sequence[IncidentFacts], levels: Sequence[SeverityLevel], query: ReportQuery
) -> IncidentCounts:
    """Counts by severity (scheme order), by service (most first) and by ISO week (in order)."""
    by_severity = Counter(i.severity for i in incidents)
    known = [level.id for level in levels]
    # Incidents keep the level id they were stored with, even after the scheme changed.
    retired = sorted(set(by_severity) - set(known))
    by_service = Counter(i.service for i in incidents)
    by_week = Counter(stats.iso_week(i.detected_at) for i in incidents)
    return IncidentCounts(
        total=len(incidents),
        by_severity=[SeverityCount(severity=s, count=by_severity[s]) for s in known + retired],
        by_service=[
            ServiceCount(service=name, count=count)
            for name, count in sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0] or ""))
        ],
        by_week=[
            WeekCount(
                week=stats.iso_week(monday), starts_at=monday, count=by_week[stats.iso_week(monday)]
            )
            for monday in stats.week_starts(query.start, query.end)
        ],
    )


def _durations(
    incidents: Sequence[IncidentFacts], milestone: Callable[[IncidentFacts], datetime | None]
) -> tuple[dict[str, Any], int]:
    """DurationStats fields over the incidents that reached ``milestone``; how many did not."""
    seconds = sorted(
        (reached - i.detected_at).total_seconds()
        for i in incidents
        if (reached := milestone(i)) is not None
    )
    fields = {
        "count": len(seconds),
        "mean_seconds": stats.mean(seconds),
        "p50_seconds": stats.nearest_rank(seconds, 50),
        "p90_seconds": stats.nearest_rank(seconds, 90),
    }
    return fields, len(incidents) - len(seconds)


def _by_level(
    incidents: Sequence[IncidentFacts], levels: Sequence[SeverityLevel]
) -> list[tuple[SeverityLevel, list[IncidentFacts]]]:
    grouped: defaultdict[str, list[IncidentFacts]] = defaultdict(list)
    for incident in incidents:
        grouped[incident.severity].append(incident)
    return [(level, grouped[level.id]) for level in levels]


def _acknowledged(incident: IncidentFacts) -> datetime | None:
    return incident.acknowledged_at


def _resolved(incident: IncidentFacts) -> datetime | None:
    return incident.resolved_at


def time_to_acknowledge(
    incidents: Sequence[IncidentFacts], levels: Sequence[SeverityLevel]
) -> Mtta:
    """Detected to acknowledged, overall and per level; never acknowledged counted apart."""
    fields, missing = _durations(incidents, _acknowledged)
    per_level = []
    for level, group in _by_level(incidents, levels):
        level_fields, level_missing = _durations(group, _acknowledged)
        per_level.append(
            SeverityAckTimes(severity=level.id, unacknowledged=level_missing, **level_fields)
        )
    return Mtta(overall=AckTimes(unacknowledged=missing, **fields), by_severity=per_level)


def time_to_resolve(incidents: Sequence[IncidentFacts], levels: Sequence[SeverityLevel]) -> Mttr:
    """Detected to resolved, overall and per level; incidents not resolved counted apart."""
    fields, missing = _durations(incidents, _resolved)
    per_level = []
    for level, group in _by_level(incidents, levels):
        level_fields, level_missing = _durations(group, _resolved)
        per_level.append(
            SeverityResolveTimes(severity=level.id, unresolved=level_missing, **level_fields)
        )
    return Mttr(overall=ResolveTimes(unresolved=missing, **fields), by_severity=per_level)


def ack_outcome(incident: IncidentFacts, level: SeverityLevel, now: datetime) -> stats.Outcome:
    """The acknowledge SLA; resolving an incident nobody acknowledged answers it too."""
    # The SLA engine stops watching an incident's ack target once it is resolved.
    answered = incident.acknowledged_at or incident.resolved_at
    return stats.sla_outcome(
        detected_at=incident.detected_at, done_at=answered, target=level.ack_sla, now=now
    )


def resolve_outcome(incident: IncidentFacts, level: SeverityLevel, now: datetime) -> stats.Outcome:
    """The resolve SLA, judged by the (latest) resolved milestone."""
    return stats.sla_outcome(
        detected_at=incident.detected_at,
        done_at=incident.resolved_at,
        target=level.resolve_sla,
        now=now,
    )


def sla_compliance(
    incidents: Sequence[IncidentFacts],
    levels: Sequence[SeverityLevel],
    now: datetime,
    *,
    kind: str,
) -> list[SlaCompliance]:
    """Met, breached and not-yet-due counts per level for the ``ack`` or ``resolve`` target."""
    judge = ack_outcome if kind == "ack" else resolve_outcome
    report = []
    for level, group in _by_level(incidents, levels):
        outcomes = Counter(judge(incident, level, now) for incident in group)
        target = level.ack_sla if kind == "ack" else level.resolve_sla
        met, breached = outcomes[stats.Outcome.met], outcomes[stats.Outcome.breached]
        report.append(
            SlaCompliance(
                severity=level.id,
                target_seconds=target.total_seconds(),
                met=met,
                breached=breached,
                not_yet_due=outcomes[stats.Outcome.not_yet_due],
                compliance_pct=stats.compliance_pct(met, breached),
            )
        )
    return report


def _zone(name: str, cache: dict[str, ZoneInfo]) -> ZoneInfo:
    if name not in cache:
        try:
            cache[name] = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            cache[name] = ZoneInfo("UTC")
    return cache[name]


def oncall_load(session: Session, query: ReportQuery) -> list[OncallLoad]:
    """Pages per person for the report's incidents; delayed reminders are not extra pages."""
    rows = session.execute(
        select(
            User.handle,
            User.name,
            User.time_zone,
            Notification.idempotency_key,
            Notification.created_at,
        )
        .join(Notification, Notification.user_id == User.id)
        .join(Incident, Incident.id == Notification.incident_id)
        .where(Notification.kind == outbox.PAGE, *_incident_conditions(query))
    )
    zones: dict[str, ZoneInfo] = {}
    people: dict[str, tuple[str, str]] = {}
    pages: defaultdict[str, set[str]] = defaultdict(set)
    late: defaultdict[str, set[str]] = defaultdict(set)
    for handle, name, time_zone, key, created_at in rows:
        if outbox.is_reminder(key):
            continue
        people[handle] = (name, time_zone)
        pages[handle].add(key)
        if stats.out_of_hours(created_at, _zone(time_zone, zones)):
            late[handle].add(key)
    return [
        OncallLoad(
            user=handle,
            name=people[handle][0],
            time_zone=people[handle][1],
            pages=len(keys),
            out_of_hours_pages=len(late[handle]),
        )
        for handle, keys in sorted(pages.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def _noisy_alerts_query(query: ReportQuery) -> Select[Any]:
    alertname = func.nullif(Alert.labels["alertname"].as_string(), "")
    named = (
        select(
            Integration.name.label("integration"),
            func.coalesce(alertname, Alert.title).label("alert"),
            Alert.event_count,
            Alert.id,
            Alert.incident_id,
        )
        .join(Integration, Integration.id == Alert.integration_id)
        .where(Alert.started_at >= query.start, Alert.started_at < query.end)
    )
    if query.service:
        named = named.join(Service, Service.id == Integration.service_id).where(
            Service.name == query.service
        )
    if query.severity:
        named = named.where(Alert.severity == query.severity)
    # Grouping a subquery's column, not the JSON expression: PostgreSQL would see the
    # expression's two bound "alertname" parameters as different expressions.
    alerts = named.subquery()
    occurrences = func.sum(alerts.c.event_count).label("occurrences")
    return (
        select(
            alerts.c.integration,
            alerts.c.alert,
            occurrences,
            func.count(alerts.c.id),
            func.count(distinct(alerts.c.incident_id)),
        )
        .group_by(alerts.c.integration, alerts.c.alert)
        .order_by(desc(occurrences), alerts.c.integration, alerts.c.alert)
        .limit(NOISY_ALERTS)
    )


def noisy_alerts(session: Session, query: ReportQuery) -> list[NoisyAlert]:
    """The ten alert kinds with the most occurrences among alerts that started in the range."""
    return [
        NoisyAlert(
            integration=integration,
            alert=alert,
            occurrences=int(occurrences),
            alerts=count,
            incidents=incidents,
        )
        for integration, alert, occurrences, count, incidents in session.execute(
            _noisy_alerts_query(query)
        )
    ]
