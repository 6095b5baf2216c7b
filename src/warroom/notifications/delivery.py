"""Deliver outbox rows: claim with a lease, send concurrently, retry, fall over, record."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.channels.base import Channel, Destination, Message, SendResult
from warroom.channels.registry import channels
from warroom.clock import Clock, FixedClock
from warroom.config import Settings
from warroom.db import transaction
from warroom.incidents import timeline
from warroom.incidents.models import Incident
from warroom.notifications import throttle
from warroom.notifications.models import Notification
from warroom.notifications.render import Renderer, TemplateProblem, runbook_for
from warroom.notifications.service import PAGE, is_reminder
from warroom.notifications.throttle import Routed
from warroom.users.models import ContactMethod

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
RETRY = "retry"
SENT = "sent"
BUNDLED = "bundled"
FAILED = "failed"
BACKOFF_BASE = timedelta(seconds=40)
MAX_RETRY_AFTER = timedelta(hours=1)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class DeliverySettings:
    """How hard delivery tries."""

    max_attempts: int = 5
    timeout: float = 10.0
    concurrency: int = 32
    rate_per_minute: int = 10


@dataclass(frozen=True)
class Job:
    """One claimed notification, rendered for the contact method it is tried on."""

    notification_id: int
    lease_until: datetime
    message: Message
    destination: Destination
    contact_method_id: int
    bundled: tuple[int, ...] = ()


def backoff(attempts: int, jitter: Callable[[], float] = random.random) -> timedelta:
    """The wait after the ``attempts``-th failure: 40 s doubling, ±25 % jitter, at most 1 h."""
    base: timedelta = BACKOFF_BASE * (2 ** min(max(0, attempts - 1), 6))
    return min(base * (0.75 + jitter() / 2), MAX_BACKOFF)


class Deliverer:
    """Sends due notifications; each send runs in a bounded pool, so a slow one delays no other."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        channels: Mapping[str, Channel],
        renderer: Renderer,
        settings: DeliverySettings = DeliverySettings(),
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.channels = dict(channels)
        self.renderer = renderer
        self._default_renderer = Renderer(renderer.base_url, scheme=renderer.scheme)
        self.settings = settings
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="warroom-send")
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()
        # Set by the engine: a fall-over to the next contact method is tried without waiting.
        self.wake: threading.Event | None = None

    @property
    def lease(self) -> timedelta:
        """How long a claim lasts: a sender that has not reported by then is presumed dead."""
        return timedelta(seconds=self.settings.timeout * 2 + 5)

    def run_due(self, now: datetime, *, wait: bool = False) -> int:
        """Claim what is due and start sending it; ``wait`` also sends what falls over meanwhile."""
        started = 0
        while True:
            free = self.settings.concurrency - len(self._in_flight)
            if free <= 0:
                return started
            with transaction(self.session_factory) as session:
                jobs = self._claim(session, now, free)
            futures: list[Future[None]] = []
            for job in jobs:
                with self._lock:
                    self._in_flight.add(job.notification_id)
                futures.append(self._pool.submit(self._send_and_record, job))
            started += len(jobs)
            if not wait or not jobs:
                return started
            for future in futures:
                future.result()

    def close(self) -> None:
        """Let running sends finish, then stop the pool."""
        self._pool.shutdown(wait=True)

    def _claim(self, session: Session, now: datetime, limit: int) -> list[Job]:
        due = or_(
            and_(Notification.status.in_([PENDING, RETRY]), Notification.due_at <= now),
            and_(Notification.status == SENDING, Notification.lease_until < now),
        )
        query = select(Notification).where(due).order_by(Notification.due_at, Notification.id)
        if self._in_flight:
            query = query.where(Notification.id.not_in(list(self._in_flight)))
        query = query.limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Notification)
        routed: list[Routed] = []
        for notification in session.scalars(query):
            incident = session.get(Incident, notification.incident_id)
            if incident is None:
                notification.status = FAILED
                notification.last_error = "the incident no longer exists"
                continue
            method = self._route(session, notification, incident, now)
            if method is not None:
                routed.append(Routed(notification, incident, method))
        sends = throttle.plan(session, routed, now, self.settings.rate_per_minute)
        return [self._job(session, send, now) for send in sends]

    def _route(
        self, session: Session, notification: Notification, incident: Incident, now: datetime
    ) -> ContactMethod | None:
        """The contact method to try now, or None when there is none (recorded as such)."""
        if notification.kind == PAGE and is_reminder(notification.idempotency_key):
            # A delayed page goes to its own method only, while nobody has acknowledged.
            method_id = notification.contact_method_id
            found = session.get(ContactMethod, method_id) if method_id is not None else None
            skip = f"the incident is {incident.status}" if incident.status != "triggered" else None
            if found is None or found.user_id != notification.user_id:
                skip = skip or "the contact method was removed"
            if skip is not None or found is None:
                notification.status = "skipped"
                notification.lease_until = None
                timeline.append(
                    session,
                    change=Change(actor=SYSTEM, clock=FixedClock(now)),
                    incident=incident,
                    kind="notification_skipped",
                    data={
                        "notification_id": notification.id,
                        "user": notification.user.handle,
                        "kind": notification.kind,
                        "contact_method_id": method_id,
                        "reason": skip,
                    },
                )
                return None
            if notification.method_position > 0:
                reason = f"the delayed {found.type} contact method {found.id} failed"
                _give_up(session, notification, incident, now, reason)
                return None
            method = found
        else:
            methods = _contact_methods(session, notification.user_id)
            if notification.method_position >= len(methods):
                handle = notification.user.handle
                reason = f"every contact method of {handle} failed"
                if not methods:
                    delayed = " without a delay" if notification.user.contact_methods else ""
                    reason = f"{handle} has no contact methods{delayed}"
                _give_up(session, notification, incident, now, reason)
                return None
            method = methods[notification.method_position]
        return method

    def _job(self, session: Session, send: throttle.Send, now: datetime) -> Job:
        """Claim the send's notifications and render its message (a bundle when several)."""
        first, method = send.first.notification, send.first.method
        for item in [send.first, *send.bundled]:
            item.notification.status = SENDING
            item.notification.contact_method_id = method.id
            item.notification.channel = method.type
            item.notification.lease_until = now + self.lease
        incident = send.first.incident
        facts: dict[str, Any] = {
            "kind": first.kind,
            "channel": method.type,
            "incident": incident,
            "idempotency_key": first.idempotency_key,
            "recipient": first.user.name,
            "step": first.step or None,
            "round_number": first.round or None,
            "runbook": runbook_for(session, incident),
            "extra": first.data or {},
        }
        if send.bundled:
            refs = sorted({item.incident.ref for item in [send.first, *send.bundled]})
            facts["kind"] = "bundle"
            facts["idempotency_key"] = f"{first.idempotency_key}:bundle"
            facts["extra"] = {"count": len(send.bundled) + 1, "refs": refs}
        try:
            message = self.renderer.render(**facts)
        except TemplateProblem:
            # A broken custom template must not cost a page: the packaged wording still goes.
            log.exception("custom template failed for %s; using the default", facts["kind"])
            message = self._default_renderer.render(**facts)
        assert first.lease_until is not None
        return Job(
            notification_id=first.id,
            lease_until=first.lease_until,
            message=message,
            destination=Destination(type=method.type, address=method.address, secret=method.secret),
            contact_method_id=method.id,
            bundled=tuple(item.notification.id for item in send.bundled),
        )

    def _send_and_record(self, job: Job) -> None:
        try:
            result = self._send(job)
            with transaction(self.session_factory) as session:
                self._record(session, job, result, self.clock.now())
        except Exception:
            # The lease runs out and the next claim retries: at least once, never dropped.
            log.exception("recording delivery of notification %s failed", job.notification_id)
        finally:
            with self._lock:
                self._in_flight.discard(job.notification_id)

    def _send(self, job: Job) -> SendResult:
        return send_once(self.channels, job.message, job.destination)

    def _record(self, session: Session, job: Job, result: SendResult, now: datetime) -> None:
        notification = session.get(
            Notification, job.notification_id, with_for_update={"of": Notification}
        )
        if notification is None or notification.status != SENDING:
            return
        if notification.lease_until != job.lease_until:
            return  # our lease ran out and another sender owns it now
        wait = backoff(notification.attempts + 1)
        if result.retry_after is not None:
            wait = min(max(timedelta(seconds=result.retry_after), wait), MAX_RETRY_AFTER)
        riders = [session.get(Notification, i) for i in job.bundled]
        for row in [notification, *riders]:
            if row is not None and row.status == SENDING:
                self._record_one(
                    session, row, job, result, now, wait, bundled=row is not notification
                )

    def _record_one(
        self,
        session: Session,
        notification: Notification,
        job: Job,
        result: SendResult,
        now: datetime,
        wait: timedelta,
        *,
        bundled: bool,
    ) -> None:
        incident = session.get(Incident, notification.incident_id)
        assert incident is not None
        change = Change(actor=SYSTEM, clock=FixedClock(now))
        notification.attempts += 1
        notification.lease_until = None
        facts: dict[str, Any] = {
            "notification_id": notification.id,
            "user": notification.user.handle,
            "kind": notification.kind,
            "channel": job.destination.type,
            "contact_method_id": job.contact_method_id,
            "attempts": notification.attempts,
        }
        if bundled:
            facts["bundled_into"] = job.notification_id
        if result.ok:
            # A bundle is one message: its riders are "bundled", so throttling counts it once.
            notification.status = BUNDLED if bundled else SENT
            notification.sent_at = now
            notification.last_error = None
            timeline.append(
                session, change=change, incident=incident, kind="notification_sent", data=facts
            )
            return
        notification.last_error = result.detail[:2000]
        if result.retryable and notification.attempts < self.settings.max_attempts:
            notification.status = RETRY
            notification.due_at = now + wait
            return
        # This contact method is done for; the next one is tried at once.
        timeline.append(
            session,
            change=change,
            incident=incident,
            kind="notification_failed",
            data={**facts, "error": notification.last_error, "falls_over": True},
        )
        notification.method_position += 1
        notification.attempts = 0
        notification.status = PENDING
        notification.due_at = now
        if self.wake is not None:
            self.wake.set()


def send_once(
    channels: Mapping[str, Channel], message: Message, destination: Destination
) -> SendResult:
    """One attempt through the destination's channel; a channel that raises is retried later."""
    channel = channels.get(destination.type)
    if channel is None:
        return SendResult(ok=False, detail=f"no channel for {destination.type}")
    try:
        return channel.send(message, destination)
    except Exception as exc:
        log.exception("channel %s raised", destination.type)
        return SendResult(ok=False, retryable=True, detail=f"channel error: {type(exc).__name__}")


def delivery_parts(settings: Settings) -> tuple[dict[str, Channel], Renderer]:
    """The channel registry (behind the egress guard and pinned transport) and the renderer."""
    guard = settings.egress_guard
    registry = channels(settings, guard=guard.guard, transport=guard.pinned_transport)
    return registry, Renderer(settings.base_url, settings.template_dir, settings.severity_scheme)


def _contact_methods(session: Session, user_id: int) -> list[ContactMethod]:
    """The immediate chain: the user's methods without a delay, in position order."""
    query = select(ContactMethod).where(
        ContactMethod.user_id == user_id, ContactMethod.delay_minutes == 0
    )
    return list(session.scalars(query.order_by(ContactMethod.position, ContactMethod.id)))


def _give_up(
    session: Session, notification: Notification, incident: Incident, now: datetime, reason: str
) -> None:
    notification.status = FAILED
    notification.last_error = reason
    notification.lease_until = None
    change = Change(actor=SYSTEM, clock=FixedClock(now))
    data = {
        "notification_id": notification.id,
        "user": notification.user.handle,
        "kind": notification.kind,
        "reason": reason,
    }
    timeline.append(
        session, change=change, incident=incident, kind="notification_undeliverable", data=data
    )
