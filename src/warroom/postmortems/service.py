"""Create postmortems, edit and publish them, and keep their due date and reminders current."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.incidents import timeline
from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident
from warroom.postmortems.generator import COMMANDER, Generator
from warroom.postmortems.models import PUBLISHED, ActionItem, Postmortem
from warroom.severity import SeverityScheme
from warroom.users import audit
from warroom.users.models import User
from warroom.users.service import get_user

DRAFT = "draft"
IN_REVIEW = "in_review"
STATUSES = (DRAFT, IN_REVIEW, PUBLISHED)
MAX_BODY = 500_000
# "Due soon" goes this long before the due date; "overdue" repeats this often after it.
REMIND_BEFORE = timedelta(hours=24)
REPEAT_EVERY = timedelta(hours=24)


def find(session: Session, incident: Incident) -> Postmortem | None:
    """The incident's postmortem, if it has one."""
    return session.scalar(select(Postmortem).where(Postmortem.incident_id == incident.id))


def get(session: Session, incident: Incident) -> Postmortem:
    """The incident's postmortem, or NotFound saying how to create one."""
    postmortem = find(session, incident)
    if postmortem is None:
        raise NotFound(
            f"{incident.ref} has no postmortem yet; create one with "
            f"POST /api/v1/incidents/{incident.ref}/postmortem or "
            f"`warroom postmortem generate {incident.ref} --save`"
        )
    return postmortem


def required(incident: Incident, scheme: SeverityScheme) -> bool:
    """Whether the incident's severity requires a postmortem."""
    level = scheme.find(incident.severity)
    return level is not None and level.postmortem_required


def due_for(incident: Incident, scheme: SeverityScheme) -> datetime | None:
    """When the postmortem is due: the resolve time plus the level's ``postmortem_due``."""
    level = scheme.find(incident.severity)
    if incident.resolved_at is None or level is None or level.postmortem_due is None:
        return None
    return incident.resolved_at + level.postmortem_due


def first_reminder(due_at: datetime | None, now: datetime) -> datetime | None:
    """The first reminder slot at or after ``now``: 24 h before due, at due, then daily."""
    if due_at is None:
        return None
    soon = due_at - REMIND_BEFORE
    if now <= soon:
        return soon
    if now <= due_at:
        return due_at
    missed = -((due_at - now) // REPEAT_EVERY)
    return due_at + missed * REPEAT_EVERY


def slot_at(due_at: datetime, now: datetime) -> tuple[str, datetime]:
    """The latest reminder slot at or before ``now`` (``due_soon`` or ``overdue``) and its time."""
    if now < due_at:
        return "due_soon", due_at - REMIND_BEFORE
    return "overdue", due_at + ((now - due_at) // REPEAT_EVERY) * REPEAT_EVERY


def next_slot_after(due_at: datetime, now: datetime) -> datetime:
    """The reminder slot after the one that is due at ``now``."""
    which, slot = slot_at(due_at, now)
    return due_at if which == "due_soon" else slot + REPEAT_EVERY


def _owner(session: Session, handle: str | None, incident: Incident) -> User | None:
    if handle is None:
        return next((r.user for r in incident.roles if r.role == COMMANDER), None)
    try:
        return get_user(session, handle)
    except NotFound:
        raise ValidationFailed.for_field("owner", f"no user with handle {handle!r}") from None


def create(
    session: Session,
    *,
    change: Change,
    scheme: SeverityScheme,
    generator: Generator,
    incident: Incident,
    owner: str | None = None,
) -> Postmortem:
    """Store a generated draft for the incident; its owner defaults to the incident commander."""
    if find(session, incident) is not None:
        raise Conflict(
            f"{incident.ref} already has a postmortem; edit it with "
            f"PUT /api/v1/incidents/{incident.ref}/postmortem"
        )
    now = change.now()
    due_at = due_for(incident, scheme)
    holder = _owner(session, owner, incident)
    postmortem = Postmortem(
        incident_id=incident.id,
        status=DRAFT,
        owner_id=holder.id if holder else None,
        owner=holder,
        created_by=str(change.actor),
        resolved_at=incident.resolved_at,
        due_at=due_at,
        next_reminder_at=first_reminder(due_at, now),
        created_at=now,
        updated_at=now,
    )
    postmortem.body = generator.markdown(session, incident, postmortem)
    # A concurrent create loses on the unique incident_id (the API answers 409 for it).
    session.add(postmortem)
    session.flush()
    session.execute(
        update(ActionItem)
        .where(ActionItem.incident_id == incident.id, ActionItem.postmortem_id.is_(None))
        .values(postmortem_id=postmortem.id)
    )
    data = {
        "owner": holder.handle if holder else None,
        "due_at": due_at.isoformat() if due_at else None,
    }
    timeline.append(session, change=change, incident=incident, kind="postmortem_drafted", data=data)
    audit.record(session, change=change, action="postmortem.create", target=incident.ref, data=data)
    return postmortem


def _check_move(incident: Incident, postmortem: Postmortem, target: str) -> None:
    if target not in STATUSES:
        raise ValidationFailed.for_field(
            "status", f"unknown postmortem status {target!r}; use one of {', '.join(STATUSES)}"
        )
    closed = incident.status == Status.closed.value
    if postmortem.status == PUBLISHED and target != PUBLISHED and closed:
        raise Conflict(
            f"{incident.ref} is closed, so its postmortem stays published",
            current=postmortem.status,
        )


def update_postmortem(
    session: Session,
    *,
    change: Change,
    incident: Incident,
    postmortem: Postmortem,
    body: str | None = None,
    status: str | None = None,
    owner: str | None = None,
) -> Postmortem:
    """Replace the body, move the status or change the owner; each change goes on the timeline."""
    if body is None and status is None and owner is None:
        raise ValidationFailed.for_field("body", "give at least one of body, status or owner")
    target = status.strip().lower() if status is not None else postmortem.status
    _check_move(incident, postmortem, target)
    if body is not None:
        if not body.strip():
            raise ValidationFailed.for_field("body", "must not be empty")
        if len(body) > MAX_BODY:
            raise ValidationFailed.for_field("body", f"must be at most {MAX_BODY} characters")
        if target == PUBLISHED and postmortem.status == PUBLISHED and body != postmortem.body:
            raise Conflict(
                "the postmortem is published; move it back to in_review to edit it",
                current=PUBLISHED,
            )
    holder = _owner(session, owner, incident) if owner is not None else postmortem.owner
    now = change.now()
    changes: dict[str, Any] = {}
    if target != postmortem.status:
        changes["status"] = {"from": postmortem.status, "to": target}
        postmortem.status = target
        postmortem.published_at = now if target == PUBLISHED else None
        postmortem.next_reminder_at = (
            None if target == PUBLISHED else first_reminder(postmortem.due_at, now)
        )
    if body is not None and body != postmortem.body:
        changes["body"] = {"characters": len(body)}
        postmortem.body = body
    if holder is not None and holder.id != postmortem.owner_id:
        previous = postmortem.owner.handle if postmortem.owner else None
        changes["owner"] = {"from": previous, "to": holder.handle}
        postmortem.owner_id, postmortem.owner = holder.id, holder
    if not changes:
        return postmortem
    postmortem.updated_at = now
    kind = "postmortem_published" if target == PUBLISHED and "status" in changes else None
    timeline.append(
        session,
        change=change,
        incident=incident,
        kind=kind or "postmortem_updated",
        data=changes,
    )
    audit.record(
        session, change=change, action="postmortem.update", target=incident.ref, data=changes
    )
    return postmortem


def follow_resolve(
    *,
    postmortem: Postmortem,
    incident: Incident,
    due_at: datetime | None,
    now: datetime,
) -> None:
    """After a re-resolve, move the due date and reminders; the body is never regenerated."""
    postmortem.resolved_at = incident.resolved_at
    postmortem.due_at = due_at
    if postmortem.status != PUBLISHED:
        postmortem.next_reminder_at = first_reminder(due_at, now)
    postmortem.updated_at = now
