"""Post status updates, deliver them to responders or the public, and manage subscribers."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.channels.base import Destination
from warroom.comms import cadence
from warroom.comms.models import IncidentSubscriber, StatusUpdate
from warroom.comms.templates import (
    AUDIENCES,
    INTERNAL,
    INTERNAL_FIELDS,
    PUBLIC,
    UpdateTemplates,
    incident_facts,
    when,
)
from warroom.config import Settings
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.notifications.broadcast import enqueue_broadcast
from warroom.notifications.render import Renderer, TemplateProblem
from warroom.statuspage import service as statuspage
from warroom.users import audit
from warroom.users.models import User
from warroom.users.service import get_user

log = logging.getLogger(__name__)

STATUS_UPDATE = "status_update"
PUBLIC_STATUSES = ("investigating", "identified", "monitoring", "resolved")
PUBLIC_STATUS_OF = {
    Status.triggered: "investigating",
    Status.acknowledged: "investigating",
    Status.investigating: "investigating",
    Status.identified: "identified",
    Status.monitoring: "monitoring",
    Status.resolved: "resolved",
    Status.closed: "resolved",
}
RESOLUTION_TEMPLATE = "resolution"
MAX_BODY = 10_000
MAX_VARS = 30
MAX_VAR_LENGTH = 5_000
_VAR_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Posted:
    """An update as stored, and where it went."""

    update: StatusUpdate
    notified: list[str] = field(default_factory=list)
    slack_channel: str | None = None
    published: bool = False


def public_status_of(incident: Incident) -> str:
    """The status page word for the incident's status."""
    return PUBLIC_STATUS_OF[Status(incident.status)]


def _audience(value: str) -> str:
    audience = value.strip().lower() if isinstance(value, str) else ""
    if audience not in AUDIENCES:
        raise ValidationFailed.for_field(
            "audience", f"unknown audience {value!r}; use internal or public"
        )
    return audience


def _status(value: str | None) -> str | None:
    if value is None:
        return None
    status = value.strip().lower()
    if status not in PUBLIC_STATUSES:
        raise ValidationFailed.for_field(
            "status", f"unknown status {value!r}; use one of {', '.join(PUBLIC_STATUSES)}"
        )
    return status


def _variables(values: Mapping[str, str] | None) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    given = dict(values or {})
    if len(given) > MAX_VARS:
        raise ValidationFailed.for_field("vars", f"at most {MAX_VARS} variables")
    for name, value in given.items():
        if not isinstance(name, str) or not _VAR_NAME.match(name):
            raise ValidationFailed.for_field(
                "vars", f"{name!r} is not a variable name; use lowercase letters, digits and _"
            )
        if name in INTERNAL_FIELDS:
            raise ValidationFailed.for_field(
                f"vars.{name}", "is filled from the incident and cannot be given"
            )
        if not isinstance(value, str):
            raise ValidationFailed.for_field(f"vars.{name}", "must be text")
        if len(value) > MAX_VAR_LENGTH:
            raise ValidationFailed.for_field(
                f"vars.{name}", f"must be at most {MAX_VAR_LENGTH} characters"
            )
        cleaned[name] = value.strip()
    return cleaned


def _body(text: str, field_name: str) -> str:
    body = text.strip()
    if not body:
        raise ValidationFailed.for_field(field_name, "must not be empty")
    if len(body) > MAX_BODY:
        raise ValidationFailed.for_field(field_name, f"must be at most {MAX_BODY} characters")
    return body


def post_update(
    session: Session,
    *,
    change: Change,
    settings: Settings,
    incident: Incident,
    audience: str,
    status: str | None = None,
    body: str | None = None,
    template: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Posted:
    """Write an update from ``body`` or a template, put it on the timeline and send it out."""
    audience = _audience(audience)
    if incident.status == Status.closed:
        raise Conflict(f"{incident.ref} is closed; reopen it to post updates", current="closed")
    if (body is None) == (template is None):
        raise ValidationFailed.for_field("body", "give either body or template (with vars)")
    if variables and template is None:
        raise ValidationFailed.for_field("vars", "vars fill a template; give template too")
    chosen = _status(status)
    if audience == PUBLIC and chosen is None:
        chosen = "resolved" if template == RESOLUTION_TEMPLATE else public_status_of(incident)
    cleaned_vars = _variables(variables)
    now = change.now()
    level = settings.severity_scheme.find(incident.severity)
    final = chosen == "resolved" or Status(incident.status) not in OPEN_STATUSES
    next_update = None if final else cadence.next_due(level, audience, base=now, updated=True)
    if template is not None:
        facts = incident_facts(
            incident,
            audience=audience,
            scheme=settings.severity_scheme,
            status=chosen or incident.status,
            now=now,
            next_update=next_update,
            base_url=settings.base_url,
        )
        rendered = UpdateTemplates(settings.template_dir).render(
            audience=audience, name=template.strip(), facts=facts, variables=cleaned_vars
        )
        text = _body(rendered, "template")
    else:
        text = _body(body or "", "body")
    update = StatusUpdate(
        incident_id=incident.id,
        audience=audience,
        status=chosen,
        body=text,
        template=template.strip() if template else None,
        vars=cleaned_vars,
        author=str(change.actor),
        created_at=now,
    )
    session.add(update)
    session.flush()
    cadence.record_update(session, incident=incident, audience=audience, level=level, now=now)
    posted = (
        _send_internal(session, change, settings, incident, update, next_update)
        if audience == INTERNAL
        else _publish(session, change, settings, incident, update)
    )
    facts_for_log: dict[str, Any] = {
        "update_id": update.id,
        "audience": audience,
        "status": chosen,
        "template": update.template,
    }
    timeline.append(
        session,
        change=change,
        incident=incident,
        kind=STATUS_UPDATE,
        data={**facts_for_log, "body": text, "notified": posted.notified},
    )
    audit.record(
        session,
        change=change,
        action="incident.status_update",
        target=incident.ref,
        data=facts_for_log,
    )
    return posted


def _author_name(session: Session, change: Change) -> str:
    if change.actor.user_id is not None:
        user = session.get(User, change.actor.user_id)
        if user is not None:
            return user.name
    return change.actor.name


def _send_internal(
    session: Session,
    change: Change,
    settings: Settings,
    incident: Incident,
    update: StatusUpdate,
    next_update: datetime | None,
) -> Posted:
    now = change.now()
    recipients = internal_recipients(session, incident)
    data = {
        "message": update.body,
        "by": _author_name(session, change),
        "next_update": when(next_update),
    }
    if recipients:
        outbox.enqueue(
            session,
            incident=incident,
            users=recipients,
            kind=STATUS_UPDATE,
            key=f"update-{update.id}",
            now=now,
            data=data,
        )
    channel = settings.comms_slack_channel or None
    if channel is not None:
        facts: dict[str, Any] = {
            "kind": STATUS_UPDATE,
            "channel": "slack",
            "incident": incident,
            "idempotency_key": f"{incident.ref}:update-{update.id}:slack",
            "extra": data,
        }
        try:
            message = Renderer(
                settings.base_url, settings.template_dir, settings.severity_scheme
            ).render(**facts)
        except TemplateProblem:
            # A broken custom template must not lose the update: the packaged wording goes.
            log.exception("custom template failed for a status update; using the default")
            message = Renderer(settings.base_url, None, settings.severity_scheme).render(**facts)
        enqueue_broadcast(
            session,
            kind=STATUS_UPDATE,
            destination=Destination("slack", channel),
            message=message,
            now=now,
            incident_id=incident.id,
        )
    return Posted(update, [u.handle for u in recipients], channel)


def _publish(
    session: Session, change: Change, settings: Settings, incident: Incident, update: StatusUpdate
) -> Posted:
    assert update.status is not None
    statuspage.publish_incident_update(
        session,
        change=change,
        incident=incident,
        status=update.status,
        body=update.body,
        scheme=settings.severity_scheme,
    )
    return Posted(update, published=True)


def internal_recipients(session: Session, incident: Incident) -> list[User]:
    """Role holders, subscribers, and everyone paged or informed about the incident, once each."""
    people: dict[int, User] = {}
    candidates = [r.user for r in incident.roles]
    candidates += [s.user for s in subscribers(session, incident=incident)]
    candidates += outbox.users_sent(session, [incident.id], [outbox.PAGE, outbox.INFORM])[
        incident.id
    ]
    for user in candidates:
        people.setdefault(user.id, user)
    return list(people.values())


def list_updates(
    session: Session,
    *,
    incident: Incident,
    audience: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[StatusUpdate]:
    """The incident's updates, newest first; ``before_id`` continues a previous page."""
    query = (
        select(StatusUpdate)
        .where(StatusUpdate.incident_id == incident.id)
        .order_by(StatusUpdate.id.desc())
        .limit(limit)
    )
    if audience is not None:
        query = query.where(StatusUpdate.audience == _audience(audience))
    if before_id is not None:
        query = query.where(StatusUpdate.id < before_id)
    return list(session.scalars(query))


def subscribers(session: Session, *, incident: Incident) -> list[IncidentSubscriber]:
    """Who follows the incident, in the order they subscribed."""
    query = select(IncidentSubscriber).where(IncidentSubscriber.incident_id == incident.id)
    return list(session.scalars(query.order_by(IncidentSubscriber.id)))


def _user(session: Session, handle: str) -> User:
    try:
        return get_user(session, handle)
    except NotFound:
        raise ValidationFailed.for_field("user", f"no user with handle {handle!r}") from None


def subscribe(
    session: Session, *, change: Change, incident: Incident, user_handle: str
) -> tuple[IncidentSubscriber, bool]:
    """Make a user follow the incident; returns the subscription and whether it is new."""
    user = _user(session, user_handle)
    existing = session.scalar(
        select(IncidentSubscriber).where(
            IncidentSubscriber.incident_id == incident.id, IncidentSubscriber.user_id == user.id
        )
    )
    if existing is not None:
        return existing, False
    subscription = IncidentSubscriber(
        incident_id=incident.id, user_id=user.id, user=user, created_at=change.now()
    )
    session.add(subscription)
    session.flush()
    data = {"user": user.handle}
    timeline.append(session, change=change, incident=incident, kind="subscribed", data=data)
    audit.record(
        session, change=change, action="incident.subscribe", target=incident.ref, data=data
    )
    return subscription, True


def unsubscribe(session: Session, *, change: Change, incident: Incident, user_handle: str) -> None:
    """Stop a user following the incident."""
    user = _user(session, user_handle)
    existing = session.scalar(
        select(IncidentSubscriber).where(
            IncidentSubscriber.incident_id == incident.id, IncidentSubscriber.user_id == user.id
        )
    )
    if existing is None:
        raise NotFound(f"{user.handle} does not follow {incident.ref}")
    session.delete(existing)
    data = {"user": user.handle}
    timeline.append(session, change=change, incident=incident, kind="unsubscribed", data=data)
    audit.record(
        session, change=change, action="incident.unsubscribe", target=incident.ref, data=data
    )
