"""Subscribers: email (double opt-in) and webhook; the messages they are sent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.channels.base import Destination, Message
from warroom.errors import NotFound, ValidationFailed
from warroom.notifications.broadcast import enqueue_broadcast
from warroom.statuspage.components import find_components
from warroom.statuspage.models import StatusComponentChange, StatusIncidentUpdate, StatusSubscriber
from warroom.statuspage.page import PageInfo, PageState
from warroom.statuspage.shapes import component_shape, incident_shape, iso
from warroom.users import audit

EMAIL = "email"
WEBHOOK = "webhook"
KIND_CONFIRM = "status_subscription"
KIND_INCIDENT = "status_incident"
KIND_COMPONENT = "status_component"
# A new confirmation email for the same address at most this often.
CONFIRMATION_INTERVAL = timedelta(minutes=10)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")
_STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "postmortem": "Postmortem",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}


def clean_email(value: str) -> str:
    """An email address, or a validation error saying what a valid one looks like."""
    cleaned = value.strip() if isinstance(value, str) else ""
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise ValidationFailed.for_field("email", "give an email address such as name@example.com")
    # Lowercased whole: mail systems treat local parts case-blind, so one person is one row.
    return cleaned.lower()


def clean_webhook(value: str) -> str:
    """An http(s) URL a webhook can be POSTed to."""
    cleaned = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(cleaned)
    if len(cleaned) > 2000 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.for_field(
            "endpoint", "give an http(s) URL such as https://example.com/hook"
        )
    if parts.username or parts.password:
        raise ValidationFailed.for_field("endpoint", "the URL must not contain a user or password")
    return cleaned


def subscribe(
    session: Session,
    *,
    info: PageInfo,
    now: datetime,
    email: str | None = None,
    endpoint: str | None = None,
    components: Sequence[str] = (),
) -> None:
    """Subscribe an address; the answer is the same whether it was subscribed already.

    An email address is stored unconfirmed and sent a confirmation link; a webhook is
    confirmed at once (it cannot click a link).
    """
    if bool(email and email.strip()) == bool(endpoint and endpoint.strip()):
        raise ValidationFailed.for_field("email", "give either an email address or a webhook URL")
    kind, address = (
        (EMAIL, clean_email(email or "")) if email else (WEBHOOK, clean_webhook(endpoint or ""))
    )
    component_ids = [c.public_id for c in find_components(session, components)]
    subscriber = session.scalar(
        select(StatusSubscriber).where(
            StatusSubscriber.kind == kind, StatusSubscriber.address == address
        )
    )
    if subscriber is None:
        subscriber = StatusSubscriber(
            kind=kind,
            address=address,
            component_ids=component_ids,
            created_at=now,
            confirmed_at=now if kind == WEBHOOK else None,
        )
        try:
            with session.begin_nested():
                session.add(subscriber)
        except IntegrityError:
            return  # subscribed by a concurrent request just now
    if subscriber.confirmed_at is not None:
        return
    sent = subscriber.confirmation_sent_at
    if sent is not None and now - sent < CONFIRMATION_INTERVAL:
        return
    subscriber.confirmation_sent_at = now
    session.flush()
    _queue(session, subscriber, confirmation_message(info, subscriber, now), now, None)


def by_token(session: Session, token: str) -> StatusSubscriber:
    """The subscriber a confirm or unsubscribe link names, or NotFound."""
    subscriber = (
        session.scalar(select(StatusSubscriber).where(StatusSubscriber.token == token))
        if 0 < len(token) <= 64
        else None
    )
    if subscriber is None:
        raise NotFound("this link is not valid any more; subscribe again from the status page")
    return subscriber


def confirm(session: Session, *, token: str, now: datetime) -> StatusSubscriber:
    """Confirm an email subscription (again is fine)."""
    subscriber = by_token(session, token)
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
    return subscriber


def unsubscribe(session: Session, *, token: str) -> None:
    """Remove a subscriber."""
    session.delete(by_token(session, token))
    session.flush()


def remove_subscriber(session: Session, *, change: Change, subscriber_id: int) -> None:
    """Remove a subscriber by id (admins)."""
    subscriber = session.get(StatusSubscriber, subscriber_id)
    if subscriber is None:
        raise NotFound(f"no status page subscriber {subscriber_id}")
    session.delete(subscriber)
    session.flush()
    audit.record(
        session,
        change=change,
        action="status_subscriber.delete",
        target=f"status_subscriber:{subscriber_id}",
        data={"kind": subscriber.kind},
    )


def list_subscribers(session: Session) -> list[StatusSubscriber]:
    """Every subscriber, oldest first."""
    return list(session.scalars(select(StatusSubscriber).order_by(StatusSubscriber.id)))


def unsubscribe_url(info: PageInfo, subscriber: StatusSubscriber) -> str:
    """The link that removes the subscriber."""
    return f"{info.url}/subscriptions/{subscriber.token}/unsubscribe"


def confirmation_message(info: PageInfo, subscriber: StatusSubscriber, now: datetime) -> Message:
    """The email asking to confirm a subscription."""
    link = f"{info.url}/subscriptions/{subscriber.token}/confirm"
    text = (
        f"Someone, hopefully you, asked to receive updates from the {info.name} status page "
        f"at this address.\n\nConfirm the subscription here:\n{link}\n\n"
        "If you did not ask for this, ignore this email and nothing more will be sent.\n"
    )
    return Message(
        kind=KIND_CONFIRM,
        idempotency_key=f"status-confirm:{subscriber.id}:{int(now.timestamp())}",
        incident_ref=f"status-{info.id}",
        severity="",
        subject=f"Confirm your subscription to {info.name}",
        text=text,
        url=link,
    )


def _wants(subscriber: StatusSubscriber, component_ids: set[str]) -> bool:
    return (
        not subscriber.component_ids
        or not component_ids
        or bool(component_ids & set(subscriber.component_ids))
    )


def _meta(info: PageInfo, subscriber: StatusSubscriber, state: PageState) -> dict[str, Any]:
    return {
        "meta": {
            "unsubscribe": unsubscribe_url(info, subscriber),
            "documentation": f"{info.url}/subscribe",
        },
        "page": {
            "id": info.id,
            "status_indicator": state.indicator,
            "status_description": state.description,
        },
    }


def _queue(
    session: Session,
    subscriber: StatusSubscriber,
    message: Message,
    now: datetime,
    incident_id: int | None,
) -> bool:
    return enqueue_broadcast(
        session,
        kind=message.kind,
        destination=Destination(subscriber.kind, subscriber.address),
        message=message,
        now=now,
        incident_id=incident_id,
    )


def notify_update(
    session: Session,
    *,
    state: PageState,
    update: StatusIncidentUpdate,
    subscribers: Sequence[StatusSubscriber],
) -> int:
    """Queue one message per interested subscriber about a public update."""
    info, public = state.info, update.incident
    wanted = {c.public_id for c in public.components}
    shape = incident_shape(state, public)
    status = _STATUS_WORDS.get(update.status, update.status)
    subject = f"[{info.name}] {public.name}: {status}"
    affected = ", ".join(c.name for c in public.components)
    queued = 0
    for subscriber in subscribers:
        if not _wants(subscriber, wanted):
            continue
        text = (
            f"{public.name}\n{status} - {iso(update.display_at, info.zone)}\n\n{update.body}\n\n"
            + (f"Affected: {affected}\n" if affected else "")
            + f"Details: {info.incident_url(public.public_id)}\n\n"
            f"Unsubscribe: {unsubscribe_url(info, subscriber)}\n"
        )
        message = Message(
            kind=KIND_INCIDENT,
            idempotency_key=f"status-update:{update.public_id}:{subscriber.id}",
            incident_ref=f"status-{public.public_id}",
            severity=public.impact,
            subject=subject,
            text=text,
            url=info.incident_url(public.public_id),
            payload={**_meta(info, subscriber, state), "incident": shape},
        )
        queued += _queue(session, subscriber, message, state.now, public.incident_id)
    return queued


def notify_component_change(
    session: Session,
    *,
    state: PageState,
    change: StatusComponentChange,
    subscribers: Sequence[StatusSubscriber],
) -> int:
    """Queue one message per interested subscriber about a component set by hand."""
    info = state.info
    component = next((c for c in state.components if c.id == change.component_id), None)
    if component is None:
        return 0
    old = (change.old_status or "operational").replace("_", " ")
    new = change.status.replace("_", " ")
    queued = 0
    for subscriber in subscribers:
        if not _wants(subscriber, {component.public_id}):
            continue
        update = {
            "created_at": iso(change.at, info.zone),
            "new_status": change.status,
            "old_status": change.old_status,
            "id": f"{component.public_id}-{change.id}",
            "component_id": component.public_id,
        }
        message = Message(
            kind=KIND_COMPONENT,
            idempotency_key=f"status-component:{change.id}:{subscriber.id}",
            incident_ref=f"status-{component.public_id}",
            severity="",
            subject=f"[{info.name}] {component.name} is now {new}",
            text=(
                f"{component.name} changed from {old} to {new}.\n\nStatus page: {info.url}\n\n"
                f"Unsubscribe: {unsubscribe_url(info, subscriber)}\n"
            ),
            url=info.url,
            payload={
                **_meta(info, subscriber, state),
                "component_update": update,
                "component": component_shape(state, component),
            },
        )
        queued += _queue(session, subscriber, message, state.now, None)
    return queued
