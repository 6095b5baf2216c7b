"""Alert queries, and writing silences and maintenance windows (the pipeline only reads them)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert, Integration, Suppression
from warroom.change import Change
from warroom.errors import NotFound, ValidationFailed
from warroom.incidents.models import Incident
from warroom.pipeline.event import AlertStatus
from warroom.pipeline.suppress import MATCH_OPERATORS
from warroom.services.models import Service
from warroom.users import audit

_LABELS = {"silence": "silence", "maintenance": "maintenance window"}


def parse_alert_status(value: str) -> str:
    """A known alert status, or a 422 on ``status`` listing them."""
    cleaned = value.strip().lower()
    if cleaned not in {s.value for s in AlertStatus}:
        raise ValidationFailed.for_field(
            "status",
            f"unknown alert status {value!r}; use one of {', '.join(s.value for s in AlertStatus)}",
        )
    return cleaned


def list_alerts(
    session: Session,
    *,
    integration: str | None = None,
    dedup_key: str | None = None,
    statuses: Sequence[str] = (),
    service: str | None = None,
    incident: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Alert]:
    """Alerts, newest first, filtered; ``service`` is the integration's service."""
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if integration:
        query = query.where(
            Alert.integration_id.in_(
                select(Integration.id).where(Integration.name == integration.strip().lower())
            )
        )
    if dedup_key is not None:
        query = query.where(Alert.dedup_key == dedup_key)
    if statuses:
        query = query.where(Alert.status.in_(list(statuses)))
    if service:
        owned = select(Integration.id).join(Service, Integration.service_id == Service.id)
        query = query.where(Alert.integration_id.in_(owned.where(Service.name == service.strip())))
    if incident:
        by_ref = select(Incident.id).where(Incident.ref == incident.strip().lower())
        query = query.where(Alert.incident_id.in_(by_ref))
    if before_id is not None:
        query = query.where(Alert.id < before_id)
    return list(session.scalars(query))


def get_alert(session: Session, alert_id: int) -> Alert:
    """The alert with this id, or NotFound."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert with id {alert_id}")
    return alert


def alerts_of_incident(session: Session, incident: Incident) -> list[Alert]:
    """The alerts attached to an incident, oldest first."""
    query = select(Alert).where(Alert.incident_id == incident.id).order_by(Alert.id)
    return list(session.scalars(query))


def incident_refs(session: Session, alerts: Sequence[Alert]) -> dict[int, str]:
    """The refs of the incidents these alerts are attached to, by incident id."""
    ids = {a.incident_id for a in alerts if a.incident_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Incident.id, Incident.ref).where(Incident.id.in_(ids)))
    return {row.id: row.ref for row in rows}


def _clean_matcher(index: int, matcher: Mapping[str, Any]) -> dict[str, str]:
    field = f"matchers[{index}]"
    unknown = sorted(set(matcher) - {"name", "value", "op"})
    if unknown:
        raise ValidationFailed.for_field(f"{field}.{unknown[0]}", "unknown; use name, value, op")
    name, value, op = matcher.get("name"), matcher.get("value"), matcher.get("op") or "="
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed.for_field(f"{field}.name", "give a label name")
    if not isinstance(value, str):
        raise ValidationFailed.for_field(f"{field}.value", "must be text")
    if op not in MATCH_OPERATORS:
        raise ValidationFailed.for_field(f"{field}.op", f"use one of {', '.join(MATCH_OPERATORS)}")
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ValidationFailed.for_field(
                f"{field}.value", f"{value!r} is not a regular expression: {exc}"
            ) from None
    return {"name": name.strip(), "value": value, "op": op}


def _check_window(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= now:
        raise ValidationFailed.for_field("ends_at", "must be in the future")
    if ends_at <= starts_at:
        raise ValidationFailed.for_field("ends_at", "must be after starts_at")


def _existing_service(session: Session, name: str) -> str:
    cleaned = name.strip()
    if session.scalar(select(Service.id).where(Service.name == cleaned)) is None:
        raise ValidationFailed.for_field("service", f"no service called {name!r}")
    return cleaned


def _facts(suppression: Suppression) -> dict[str, Any]:
    return {
        "service": suppression.service,
        "matchers": suppression.matchers,
        "starts_at": suppression.starts_at.isoformat(),
        "ends_at": suppression.ends_at.isoformat(),
        "comment": suppression.comment,
    }


def _add(session: Session, change: Change, suppression: Suppression) -> Suppression:
    session.add(suppression)
    session.flush()
    audit.record(
        session,
        change=change,
        action=f"{suppression.kind}.create",
        target=f"{suppression.kind}:{suppression.id}",
        data=_facts(suppression),
    )
    return suppression


def create_silence(
    session: Session,
    *,
    change: Change,
    matchers: Sequence[Mapping[str, Any]],
    service: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime,
    comment: str,
    created_by: str,
) -> Suppression:
    """Silence alerts whose labels match every matcher (and, if given, of one service)."""
    if not matchers:
        raise ValidationFailed.for_field("matchers", "give at least one matcher")
    cleaned = [_clean_matcher(i, m) for i, m in enumerate(matchers)]
    if not comment.strip():
        raise ValidationFailed.for_field("comment", "say why the alerts are silenced")
    now = change.now()
    start = starts_at or now
    _check_window(start, ends_at, now)
    return _add(
        session,
        change,
        Suppression(
            kind="silence",
            service=None if service is None else _existing_service(session, service),
            matchers=cleaned,
            starts_at=start,
            ends_at=ends_at,
            comment=comment.strip(),
            created_by=created_by,
            created_at=now,
        ),
    )


def create_maintenance(
    session: Session,
    *,
    change: Change,
    service: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
) -> Suppression:
    """A maintenance window: alerts of ``service`` open no incident while it lasts."""
    clean_service = _existing_service(session, service)
    now = change.now()
    _check_window(starts_at, ends_at, now)
    if len(description) > 2000:
        raise ValidationFailed.for_field("description", "must be at most 2000 characters")
    return _add(
        session,
        change,
        Suppression(
            kind="maintenance",
            service=clean_service,
            matchers=[],
            starts_at=starts_at,
            ends_at=ends_at,
            comment=description.strip(),
            created_by=str(change.actor),
            created_at=now,
        ),
    )


def list_suppressions(
    session: Session, *, kind: str | None = None, active_at: datetime | None = None
) -> list[Suppression]:
    """Silences and maintenance windows, newest first; ``active_at`` keeps those in force then."""
    query = select(Suppression).order_by(Suppression.id.desc())
    if kind is not None:
        query = query.where(Suppression.kind == kind)
    if active_at is not None:
        query = query.where(Suppression.starts_at <= active_at, Suppression.ends_at > active_at)
    return list(session.scalars(query))


def expire_suppression(
    session: Session, *, change: Change, suppression_id: int, kind: str | None = None
) -> Suppression:
    """End a silence or maintenance window now; ending one already over changes nothing."""
    suppression = session.get(Suppression, suppression_id)
    if suppression is None or (kind is not None and suppression.kind != kind):
        label = _LABELS.get(kind or "", "silence or maintenance window")
        raise NotFound(f"no {label} with id {suppression_id}")
    now = change.now()
    if suppression.ends_at > now:
        suppression.ends_at = now
        suppression.starts_at = min(suppression.starts_at, now)
        session.flush()
        audit.record(
            session,
            change=change,
            action=f"{suppression.kind}.expire",
            target=f"{suppression.kind}:{suppression.id}",
            data=_facts(suppression),
        )
    return suppression
