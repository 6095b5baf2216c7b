"""Action items: follow-ups with an owner, a due date, a priority and a status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import NotFound, ValidationFailed
from warroom.incidents import timeline
from warroom.incidents.models import Incident
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.users import audit
from warroom.users.models import User
from warroom.users.service import get_user

PRIORITIES = ("high", "medium", "low")
STATUSES = ("open", "in_progress", "done", "wont_do")
OPEN = ("open", "in_progress")
EDITABLE = ("title", "description", "owner", "due", "priority", "status")
# A due date without a time means "by the end of that day" in the display time zone.
END_OF_DAY = time(23, 59)


def parse_due(value: str | datetime | date, zone: ZoneInfo) -> datetime:
    """A due time from ``2025-11-05`` (end of that day in ``zone``) or an ISO time with offset."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, END_OF_DAY, tzinfo=zone)
    else:
        text = str(value).strip()
        try:
            moment = (
                datetime.combine(date.fromisoformat(text), END_OF_DAY, tzinfo=zone)
                if len(text) == 10
                else datetime.fromisoformat(text.replace("Z", "+00:00"))
            )
        except ValueError:
            raise ValidationFailed.for_field(
                "due", f"{text!r} is not a date; use YYYY-MM-DD or an ISO time with offset"
            ) from None
    if moment.tzinfo is None:
        raise ValidationFailed.for_field("due", "give the time's UTC offset, e.g. ...T17:00+01:00")
    return moment.astimezone(UTC)


def _choice(field: str, value: str, allowed: Sequence[str]) -> str:
    cleaned = str(value).strip().lower().replace("-", "_")
    if cleaned not in allowed:
        raise ValidationFailed.for_field(
            field, f"unknown {field} {value!r}; use one of {', '.join(allowed)}"
        )
    return cleaned


def _owner(session: Session, handle: str) -> User:
    try:
        return get_user(session, handle)
    except NotFound:
        raise ValidationFailed.for_field("owner", f"no user with handle {handle!r}") from None


def _title(value: str) -> str:
    cleaned = " ".join(str(value).split())
    if not cleaned:
        raise ValidationFailed.for_field("title", "must not be empty")
    if len(cleaned) > 500:
        raise ValidationFailed.for_field("title", "must be at most 500 characters")
    return cleaned


def _future(due_at: datetime, now: datetime) -> datetime:
    if due_at <= now:
        raise ValidationFailed.for_field("due", "must be in the future")
    return due_at


def _facts(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "owner": item.owner.handle,
        "priority": item.priority,
        "status": item.status,
        "due_at": item.due_at.isoformat(),
    }


def create(
    session: Session,
    *,
    change: Change,
    incident: Incident,
    title: str,
    owner: str,
    due: str | datetime | date,
    zone: ZoneInfo,
    priority: str = "medium",
    description: str = "",
) -> ActionItem:
    """Add an action item to the incident (and its postmortem, if it has one)."""
    now = change.now()
    user = _owner(session, owner)
    due_at = _future(parse_due(due, zone), now)
    postmortem_id = session.scalar(
        select(Postmortem.id).where(Postmortem.incident_id == incident.id)
    )
    item = ActionItem(
        incident_id=incident.id,
        postmortem_id=postmortem_id,
        title=_title(title),
        description=description.strip(),
        owner_id=user.id,
        owner=user,
        priority=_choice("priority", priority, PRIORITIES),
        status="open",
        due_at=due_at,
        next_reminder_at=due_at,
        created_by=str(change.actor),
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    facts = _facts(item)
    timeline.append(session, change=change, incident=incident, kind="action_item_added", data=facts)
    audit.record(
        session,
        change=change,
        action="action_item.create",
        target=f"action_item:{item.id}",
        data={"incident": incident.ref, **facts},
    )
    return item


def get(session: Session, item_id: int) -> ActionItem:
    """The action item with this id, or NotFound."""
    item = session.get(ActionItem, item_id)
    if item is None:
        raise NotFound(f"no action item {item_id}")
    return item


def incident_of(session: Session, item: ActionItem) -> Incident:
    """The incident an action item follows up."""
    incident = session.get(Incident, item.incident_id)
    assert incident is not None  # the foreign key cascades deletes
    return incident


def update(
    session: Session,
    *,
    change: Change,
    item: ActionItem,
    fields: dict[str, Any],
    zone: ZoneInfo,
) -> ActionItem:
    """Change some fields; done or wont_do completes the item and stops its reminders."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "cannot be changed here")
    now = change.now()
    new: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            raise ValidationFailed.for_field(name, "cannot be null")
        if name == "title":
            new["title"] = _title(value)
        elif name == "description":
            new["description"] = str(value).strip()
        elif name == "owner":
            new["owner"] = _owner(session, value)
        elif name == "due":
            new["due_at"] = _future(parse_due(value, zone), now)
        elif name == "priority":
            new["priority"] = _choice("priority", value, PRIORITIES)
        else:
            new["status"] = _choice("status", value, STATUSES)
    changes: dict[str, Any] = {}
    for name, value in new.items():
        before = getattr(item, name)
        if before != value:
            changes[name] = {"from": _plain(before), "to": _plain(value)}
            setattr(item, name, value)
    if not changes:
        return item
    if "owner" in changes:
        item.owner_id = item.owner.id
    if item.status in OPEN:
        item.completed_at = None
        if "due_at" in changes or "status" in changes:
            item.next_reminder_at = max(item.due_at, now)
    else:
        item.completed_at = item.completed_at or now
        item.next_reminder_at = None
    item.updated_at = now
    incident = incident_of(session, item)
    data = {"id": item.id, "title": item.title, "changes": changes}
    timeline.append(
        session, change=change, incident=incident, kind="action_item_updated", data=data
    )
    audit.record(
        session,
        change=change,
        action="action_item.update",
        target=f"action_item:{item.id}",
        data={"incident": incident.ref, "changes": changes},
    )
    return item


def _plain(value: Any) -> Any:
    """A changed value as the timeline and audit log record it."""
    if isinstance(value, User):
        return value.handle
    return value.isoformat() if isinstance(value, datetime) else value


def list_items(
    session: Session,
    *,
    now: datetime,
    owner: str | None = None,
    statuses: Sequence[str] = (),
    overdue: bool = False,
    incident: Incident | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[ActionItem]:
    """Action items, newest first, filtered; ``before_id`` continues a previous page."""
    query = select(ActionItem).order_by(ActionItem.id.desc()).limit(limit)
    if owner:
        query = query.where(ActionItem.owner_id == _owner(session, owner).id)
    if statuses:
        wanted = [_choice("status", s, STATUSES) for s in statuses]
        query = query.where(ActionItem.status.in_(wanted))
    if overdue:
        query = query.where(ActionItem.status.in_(OPEN), ActionItem.due_at <= now)
    if incident is not None:
        query = query.where(ActionItem.incident_id == incident.id)
    if before_id is not None:
        query = query.where(ActionItem.id < before_id)
    return list(session.scalars(query))


def for_incident(session: Session, incident: Incident) -> list[ActionItem]:
    """The incident's action items, oldest first."""
    query = select(ActionItem).where(ActionItem.incident_id == incident.id)
    return list(session.scalars(query.order_by(ActionItem.id)))
