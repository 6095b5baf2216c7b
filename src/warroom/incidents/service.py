"""Declare incidents and drive them: status, severity, fields, roles and notes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES, Status, allowed_moves, set_milestones
from warroom.incidents.models import Incident, IncidentRefCounter, IncidentRole, TimelineEntry
from warroom.notifications import service as outbox
from warroom.postmortems.models import postmortem_published
from warroom.severity import SeverityScheme
from warroom.users import audit
from warroom.users.models import User
from warroom.users.service import get_user

ROLE_ALIASES = {
    "ic": "incident_commander",
    "commander": "incident_commander",
    "comms": "communications_lead",
    "comms_lead": "communications_lead",
    "eng_lead": "engineering_lead",
    "tech_lead": "engineering_lead",
}
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
EDITABLE_FIELDS = ("title", "summary", "severity", "service", "impact", "customer_facing", "tags")


def parse_status(value: str, field: str = "status") -> Status:
    """The status named ``value``, or a validation error listing the statuses."""
    try:
        return Status(value.strip().lower())
    except (ValueError, AttributeError):
        raise ValidationFailed.for_field(
            field, f"unknown status {value!r}; use one of {', '.join(Status)}"
        ) from None


def normalize_role(role: str) -> str:
    """Canonical role name: lowercase with underscores; common short forms expanded."""
    name = re.sub(r"[\s\-]+", "_", role.strip().lower())
    name = ROLE_ALIASES.get(name, name)
    if not _ROLE.match(name):
        raise ValidationFailed.for_field(
            "role", f"{role!r} is not a role name; use letters, digits and underscores"
        )
    return name


def _clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise ValidationFailed.for_field("title", "must not be empty")
    if len(cleaned) > 500:
        raise ValidationFailed.for_field("title", "must be at most 500 characters")
    return cleaned


def _clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        value = tag.strip()
        if not value or len(value) > 64:
            raise ValidationFailed.for_field("tags", "each tag must have 1-64 characters")
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > 50:
        raise ValidationFailed.for_field("tags", "at most 50 tags")
    return cleaned


def _next_ref(session: Session, day: str) -> str:
    """Allocate the day's next ref; the counter row lock makes concurrent declares gap-free."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(IncidentRefCounter)
        .values(day=day, last_seq=1)
        .on_conflict_do_update(
            index_elements=["day"], set_={"last_seq": IncidentRefCounter.last_seq + 1}
        )
        .returning(IncidentRefCounter.last_seq)
    )
    sequence = session.execute(statement).scalar_one()
    return f"incident-{day}-{sequence:03d}"


def declare(
    session: Session,
    *,
    change: Change,
    scheme: SeverityScheme,
    title: str,
    severity: str,
    summary: str = "",
    service: str | None = None,
    status: str = Status.triggered,
    tags: Sequence[str] = (),
    impact: str = "",
    customer_facing: bool = False,
    detected_at: datetime | None = None,
) -> Incident:
    """Open a new incident with the next ref of the UTC day."""
    now = change.now()
    level = scheme.resolve(severity)
    initial = parse_status(status)
    if initial not in OPEN_STATUSES:
        raise ValidationFailed.for_field(
            "status", f"a new incident starts open: one of {', '.join(OPEN_STATUSES)}"
        )
    if detected_at is not None and detected_at > now:
        raise ValidationFailed.for_field("detected_at", "must not be in the future")
    clean_title, clean_tags = _clean_title(title), _clean_tags(tags)
    incident = Incident(
        ref=_next_ref(session, now.strftime("%Y-%m-%d")),
        title=clean_title,
        summary=summary.strip(),
        severity=level.id,
        status=initial.value,
        service=(service or "").strip() or None,
        impact=impact.strip(),
        customer_facing=customer_facing,
        tags=clean_tags,
        reopen_count=0,
        created_by=str(change.actor),
        detected_at=detected_at or now,
        updated_at=now,
        roles=[],
    )
    set_milestones(incident, initial, now)
    session.add(incident)
    session.flush()
    facts = {
        "title": incident.title,
        "severity": level.id,
        "status": incident.status,
        "service": incident.service,
    }
    timeline.append(session, change=change, incident=incident, kind="declared", data=facts)
    audit.record(session, change=change, action="incident.declare", target=incident.ref, data=facts)
    return incident


def get(session: Session, ref: str) -> Incident:
    """The incident with this ref, or NotFound."""
    incident = session.scalar(select(Incident).where(Incident.ref == ref.strip().lower()))
    if incident is None:
        raise NotFound(f"no incident {ref!r}")
    return incident


def list_incidents(
    session: Session,
    *,
    statuses: Sequence[Status] = (),
    severities: Sequence[str] = (),
    service: str | None = None,
    open_only: bool = False,
    since: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Incident]:
    """Incidents, newest first, filtered; ``before_id`` continues a previous page."""
    query = select(Incident).order_by(Incident.id.desc()).limit(limit)
    if statuses:
        query = query.where(Incident.status.in_([s.value for s in statuses]))
    if open_only:
        query = query.where(Incident.status.in_([s.value for s in OPEN_STATUSES]))
    if severities:
        query = query.where(Incident.severity.in_(severities))
    if service:
        query = query.where(Incident.service == service)
    if since:
        query = query.where(Incident.detected_at >= since)
    if before_id is not None:
        query = query.where(Incident.id < before_id)
    return list(session.scalars(query))


def change_status(
    session: Session,
    *,
    change: Change,
    scheme: SeverityScheme,
    incident: Incident,
    status: str,
    note: str | None = None,
) -> Incident:
    """Move the incident along its status machine; invalid moves are a Conflict."""
    target = parse_status(status)
    current = Status(incident.status)
    if target is Status.acknowledged and _acknowledgeable_in_place(incident, current):
        return _acknowledge_in_place(session, change=change, incident=incident, note=note)
    moves = allowed_moves(current)
    if target not in moves:
        raise Conflict(
            f"{incident.ref} cannot move from {current} to {target}"
            + (f"; allowed: {', '.join(moves)}" if moves else "; it is closed"),
            current=current.value,
            allowed=[m.value for m in moves],
        )
    if target is Status.closed:
        _check_closable(session, incident, scheme)
    now = change.now()
    data: dict[str, Any] = {"from": current.value, "to": target.value}
    if note:
        data["note"] = note.strip()
    kind = "status_changed"
    if current is Status.resolved and target is Status.investigating:
        kind = "reopened"
        resolved_at = incident.resolved_at
        data["previously_resolved_at"] = resolved_at.isoformat() if resolved_at else None
        incident.resolved_at = None
        incident.reopen_count += 1
    incident.status = target.value
    incident.updated_at = now
    set_milestones(incident, target, now)
    timeline.append(session, change=change, incident=incident, kind=kind, data=data)
    audit.record(session, change=change, action=f"incident.{kind}", target=incident.ref, data=data)
    if target in (Status.acknowledged, Status.resolved):
        tell_paged(session, change=change, incident=incident, kind=target.value)
    return incident


def tell_paged(session: Session, *, change: Change, incident: Incident, kind: str) -> None:
    """Let those paged know the incident was acknowledged or resolved, and by whom."""
    actor = change.actor
    person = session.get(User, actor.user_id) if actor.user_id is not None else None
    by = (
        person.name if person is not None else ("warroom" if actor.kind == "system" else actor.name)
    )
    outbox.enqueue_status_notice(
        session, incident=incident, kind=kind, by=by, by_user_id=actor.user_id, now=change.now()
    )


def _acknowledgeable_in_place(incident: Incident, current: Status) -> bool:
    """An alert re-fire can reopen investigation before anyone acknowledged the incident."""
    return (
        incident.acknowledged_at is None
        and current in OPEN_STATUSES
        and current is not Status.triggered
    )


def _acknowledge_in_place(
    session: Session, *, change: Change, incident: Incident, note: str | None
) -> Incident:
    now = change.now()
    incident.acknowledged_at = now
    incident.updated_at = now
    data: dict[str, Any] = {"status": incident.status}
    if note:
        data["note"] = note.strip()
    timeline.append(session, change=change, incident=incident, kind="acknowledged", data=data)
    audit.record(
        session, change=change, action="incident.acknowledged", target=incident.ref, data=data
    )
    tell_paged(session, change=change, incident=incident, kind=Status.acknowledged.value)
    return incident


def _check_closable(session: Session, incident: Incident, scheme: SeverityScheme) -> None:
    """Refuse to close an incident whose severity requires a postmortem that is not published."""
    level = scheme.find(incident.severity)
    if level is None or not level.postmortem_required:
        return
    if not postmortem_published(session, incident.id):
        raise Conflict(
            f"{incident.ref} is {incident.severity}, which requires a postmortem before it can "
            f"be closed; publish its postmortem first (GET /api/v1/incidents/{incident.ref}"
            "/postmortem)",
            current=incident.status,
            allowed=[Status.investigating.value],
        )


def update(
    session: Session,
    *,
    change: Change,
    scheme: SeverityScheme,
    incident: Incident,
    fields: dict[str, Any],
) -> Incident:
    """Change editable fields; each change is recorded with its old and new value."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "cannot be changed here")
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None and name in ("title", "severity", "customer_facing", "tags"):
            raise ValidationFailed.for_field(name, "cannot be null")
        if name == "title":
            cleaned[name] = _clean_title(value)
        elif name == "severity":
            cleaned[name] = scheme.resolve(value).id
        elif name == "tags":
            cleaned[name] = _clean_tags(value)
        elif name == "service":
            cleaned[name] = (value or "").strip() or None
        elif name in ("summary", "impact"):
            cleaned[name] = (value or "").strip()
        else:
            cleaned[name] = bool(value)
    changes = {
        name: {"from": getattr(incident, name), "to": value}
        for name, value in cleaned.items()
        if getattr(incident, name) != value
    }
    if not changes:
        return incident
    for name, diff in changes.items():
        setattr(incident, name, diff["to"])
    incident.updated_at = change.now()
    severity = changes.get("severity")
    field_changes = {name: diff for name, diff in changes.items() if name != "severity"}
    if severity is not None:
        timeline.append(
            session, change=change, incident=incident, kind="severity_changed", data=severity
        )
    if field_changes:
        timeline.append(
            session,
            change=change,
            incident=incident,
            kind="updated",
            data={"fields": field_changes},
        )
    audit.record(
        session, change=change, action="incident.update", target=incident.ref, data=changes
    )
    return incident


def assign_role(
    session: Session, *, change: Change, incident: Incident, role: str, user_handle: str
) -> IncidentRole:
    """Give ``role`` on the incident to a user, replacing whoever held it."""
    name = normalize_role(role)
    try:
        user = get_user(session, user_handle)
    except NotFound:
        raise ValidationFailed.for_field("user", f"no user with handle {user_handle!r}") from None
    holder = next((r for r in incident.roles if r.role == name), None)
    previous = holder.user.handle if holder else None
    if holder is not None and holder.user_id == user.id:
        return holder
    now = change.now()
    if holder is None:
        holder = IncidentRole(role=name, user_id=user.id, assigned_at=now)
        incident.roles.append(holder)
    else:
        holder.user_id = user.id
        holder.assigned_at = now
    holder.user = user
    incident.updated_at = now
    data = {"role": name, "user": user.handle, "previous": previous}
    timeline.append(session, change=change, incident=incident, kind="role_assigned", data=data)
    audit.record(session, change=change, action="incident.assign", target=incident.ref, data=data)
    session.flush()
    return holder


def unassign_role(session: Session, *, change: Change, incident: Incident, role: str) -> None:
    """Take a role away from whoever holds it."""
    name = normalize_role(role)
    holder = next((r for r in incident.roles if r.role == name), None)
    if holder is None:
        raise NotFound(f"nobody holds the role {name} on {incident.ref}")
    data = {"role": name, "user": holder.user.handle}
    incident.roles.remove(holder)
    session.delete(holder)
    incident.updated_at = change.now()
    timeline.append(session, change=change, incident=incident, kind="role_unassigned", data=data)
    audit.record(session, change=change, action="incident.unassign", target=incident.ref, data=data)


def add_note(session: Session, *, change: Change, incident: Incident, text: str) -> TimelineEntry:
    """Add a free-text note to the timeline."""
    body = text.strip()
    if not body:
        raise ValidationFailed.for_field("text", "must not be empty")
    if len(body) > 20000:
        raise ValidationFailed.for_field("text", "must be at most 20000 characters")
    entry = timeline.append(
        session, change=change, incident=incident, kind="note", data={"text": body}
    )
    audit.record(session, change=change, action="incident.note", target=incident.ref, data={})
    session.flush()
    return entry


def missing_roles(incident: Incident, scheme: SeverityScheme) -> list[str]:
    """Roles the incident's severity requires that nobody holds."""
    held = {r.role for r in incident.roles}
    return [r for r in scheme.get(incident.severity).required_roles if r not in held]
