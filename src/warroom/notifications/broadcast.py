"""Messages to addresses rather than users (a Slack channel, status page subscribers)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.channels.base import Channel, Destination, Message, SendResult
from warroom.clock import Clock, FixedClock
from warroom.db import transaction
from warroom.incidents import timeline
from warroom.incidents.models import Incident
from warroom.notifications.delivery import MAX_RETRY_AFTER, backoff, send_once
from warroom.notifications.models import Broadcast

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
RETRY = "retry"
SENT = "sent"
FAILED = "failed"


def enqueue_broadcast(
    session: Session,
    *,
    kind: str,
    destination: Destination,
    message: Message,
    now: datetime,
    incident_id: int | None = None,
) -> bool:
    """Queue one message to an address, keyed by its idempotency key; False if queued before."""
    key = message.idempotency_key
    if session.scalar(select(Broadcast.id).where(Broadcast.idempotency_key == key)) is not None:
        return False
    session.add(
        Broadcast(
            kind=kind,
            incident_id=incident_id,
            idempotency_key=key,
            destination_type=destination.type,
            address=destination.address,
            secret=destination.secret,
            message=asdict(message),
            status=PENDING,
            attempts=0,
            created_at=now,
            due_at=now,
        )
    )
    return True


@dataclass(frozen=True)
class _Job:
    broadcast_id: int
    lease_until: datetime
    message: Message
    destination: Destination


class Broadcaster:
    """Sends due broadcasts in its own small pool, so a subscriber list never delays a page."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        channels: Mapping[str, Channel],
        *,
        max_attempts: int = 5,
        timeout: float = 10.0,
        concurrency: int = 8,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.channels = dict(channels)
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=timeout * 2 + 5)
        self.concurrency = concurrency
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="warroom-broadcast")
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()

    def run_due(self, now: datetime, *, wait: bool = False) -> int:
        """Claim what is due and start sending it; ``wait`` blocks until the sends are recorded."""
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        with transaction(self.session_factory) as session:
            jobs = self._claim(session, now, free)
        futures = []
        for job in jobs:
            with self._lock:
                self._in_flight.add(job.broadcast_id)
            futures.append(self._pool.submit(self._send_and_record, job))
        if wait:
            for future in futures:
                future.result()
        return len(jobs)

    def close(self) -> None:
        """Let running sends finish, then stop the pool."""
        self._pool.shutdown(wait=True)

    def _claim(self, session: Session, now: datetime, limit: int) -> list[_Job]:
        due = or_(
            and_(Broadcast.status.in_([PENDING, RETRY]), Broadcast.due_at <= now),
            and_(Broadcast.status == SENDING, Broadcast.lease_until < now),
        )
        query = select(Broadcast).where(due).order_by(Broadcast.due_at, Broadcast.id)
        if self._in_flight:
            query = query.where(Broadcast.id.not_in(list(self._in_flight)))
        query = query.limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Broadcast)
        jobs = []
        for row in session.scalars(query):
            row.status = SENDING
            row.lease_until = now + self.lease
            jobs.append(
                _Job(
                    broadcast_id=row.id,
                    lease_until=row.lease_until,
                    message=Message(**row.message),
                    destination=Destination(row.destination_type, row.address, row.secret),
                )
            )
        return jobs

    def _send_and_record(self, job: _Job) -> None:
        try:
            result = self._send(job)
            with transaction(self.session_factory) as session:
                self._record(session, job, result, self.clock.now())
        except Exception:
            # The lease runs out and the next claim retries: at least once, never dropped.
            log.exception("recording broadcast %s failed", job.broadcast_id)
        finally:
            with self._lock:
                self._in_flight.discard(job.broadcast_id)

    def _send(self, job: _Job) -> SendResult:
        return send_once(self.channels, job.message, job.destination)

    def _record(self, session: Session, job: _Job, result: SendResult, now: datetime) -> None:
        row = session.get(Broadcast, job.broadcast_id, with_for_update={"of": Broadcast})
        if row is None or row.status != SENDING or row.lease_until != job.lease_until:
            return  # our lease ran out and another sender owns it now
        row.attempts += 1
        row.lease_until = None
        if result.ok:
            row.status, row.sent_at, row.last_error = SENT, now, None
            return
        row.last_error = result.detail[:2000]
        if result.retryable and row.attempts < self.max_attempts:
            wait = backoff(row.attempts)
            if result.retry_after is not None:
                wait = min(max(timedelta(seconds=result.retry_after), wait), MAX_RETRY_AFTER)
            row.status, row.due_at = RETRY, now + wait
            return
        row.status = FAILED
        incident = session.get(Incident, row.incident_id) if row.incident_id else None
        if incident is not None:
            data: dict[str, Any] = {
                "broadcast_id": row.id,
                "kind": row.kind,
                "channel": row.destination_type,
                "attempts": row.attempts,
                "error": row.last_error,
            }
            change = Change(actor=SYSTEM, clock=FixedClock(now))
            timeline.append(
                session, change=change, incident=incident, kind="broadcast_failed", data=data
            )
