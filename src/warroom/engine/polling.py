"""Engine module: poll Statuspage pages and confirm SNS subscriptions, each integration when due."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts.models import Integration
from warroom.pipeline.apply import PipelineSettings, Submission, apply
from warroom.pipeline.event import Event, VerificationFailed
from warroom.pipeline.route import known
from warroom.sources import statuspage
from warroom.sources.sns import check_cert_url

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
# httpx timeouts bound each read, not a whole body trickled in a byte at a time.
DEADLINE_SECONDS = 10.0
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_SNS_BYTES = 64 * 1024
DEFAULT_INTERVAL = timedelta(seconds=60)
SNS_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
MAX_WORKERS = 4
_API_PATH = re.compile(r"/api/v2/[^/]*\.json$")

CONFIRMED, RETRY, DROP = "confirmed", "retry", "drop"


class FetchError(Exception):
    """An upstream answer that cannot be used (too large, too slow)."""


@dataclass(frozen=True)
class _Job:
    """What the fetching threads need, copied off the ORM row (rows stay on the session thread)."""

    name: str
    statuspage: bool
    root: str | None
    pending: list[dict[str, Any]]


@dataclass(frozen=True)
class _Confirmation:
    """The outcome of visiting one SubscribeURL; ``detail`` is the SubscriptionArn or the error."""

    entry: dict[str, Any]
    outcome: str
    detail: str | None = None


@dataclass
class _Fetched:
    """What the upstreams answered for one integration."""

    confirmations: list[_Confirmation] = field(default_factory=list)
    events: list[Event] | None = None
    error: str | None = None


def page_root(url: str) -> str:
    """The page root of a Statuspage URL given as the root or as any ``/api/v2/*.json`` URL."""
    parts = urlsplit(url.strip())
    path = _API_PATH.sub("", parts.path.rstrip("/")).rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def subscription_arn(body: bytes) -> str | None:
    """The ``<SubscriptionArn>`` of a ConfirmSubscription XML answer, if it has one."""
    try:
        document = ET.fromstring(body)
    except ET.ParseError:
        return None
    for element in document.iter():
        if element.tag.rsplit("}", 1)[-1] == "SubscriptionArn" and (element.text or "").strip():
            return (element.text or "").strip()
    return None


def _interval(integration: Integration) -> timedelta:
    value = (integration.options or {}).get("poll_interval_seconds")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    return DEFAULT_INTERVAL


def _backoff(attempts: int) -> timedelta:
    return min(SNS_BACKOFF * (1 << min(attempts, 16)), MAX_BACKOFF)


def _fingerprint(event: Event) -> str:
    facts = [event.status.value, event.severity, event.title, event.description]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def _get(client: httpx.Client, url: str, *, follow: bool, limit: int) -> tuple[int, bytes]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    with client.stream("GET", url, follow_redirects=follow) as response:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(f"{url} answered more than {limit} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"{url} took longer than {DEADLINE_SECONDS:g}s to answer")
            chunks.append(chunk)
        return response.status_code, b"".join(chunks)


class PollingModule:
    """Visits each due integration once across any number of engines: pages and SubscribeURLs."""

    name = "polling"

    def __init__(
        self, settings: PipelineSettings, client: httpx.Client | None = None, batch_size: int = 4
    ) -> None:
        self.settings = settings
        self.client = client or httpx.Client(
            timeout=TIMEOUT_SECONDS, follow_redirects=False, headers={"User-Agent": "warroom"}
        )
        self.batch_size = batch_size

    def run(self, session: Session, now: datetime) -> int:
        """Claim due integrations, fetch their upstreams concurrently, then apply in order."""
        query = (
            select(Integration)
            .where(Integration.enabled.is_(True), Integration.next_poll_at <= now)
            .order_by(Integration.next_poll_at, Integration.id)
            .limit(self.batch_size)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Rows another engine holds are skipped, not waited for: each is fetched once.
            query = query.with_for_update(skip_locked=True, of=Integration)
        due = list(session.scalars(query))
        if not due:
            return 0
        jobs = []
        for integration in due:
            integration.next_poll_at = now + _interval(integration)  # the lease
            jobs.append(self._job(integration))
        session.flush()
        # The claimed rows stay locked while upstreams answer, so a slow page must cost one
        # timeout per tick rather than one per integration; threads only do HTTP and parsing.
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(jobs))) as pool:
            results = list(pool.map(self._fetch, jobs))
        for integration, job, fetched in zip(due, jobs, results, strict=True):
            self._record(session, integration, job, fetched, now)
        return len(due)

    def _job(self, integration: Integration) -> _Job:
        state = integration.poll_state or {}
        url = (integration.options or {}).get("url")
        pending = state.get("sns_pending")
        return _Job(
            name=integration.name,
            statuspage=integration.source == statuspage.FORMAT,
            root=page_root(url) if isinstance(url, str) and url.strip() else None,
            pending=[dict(p) for p in pending if isinstance(p, dict)]
            if isinstance(pending, list)
            else [],
        )

    def _fetch(self, job: _Job) -> _Fetched:
        fetched = _Fetched(confirmations=[self._confirm(entry) for entry in job.pending])
        if job.statuspage:
            try:
                fetched.events = self._poll_page(job)
            except Exception as exc:  # one bad upstream must not stop the engine
                fetched.error = getattr(exc, "detail", None) or repr(exc)
        return fetched

    def _poll_page(self, job: _Job) -> list[Event]:
        if job.root is None:
            raise FetchError("the integration has no url option")
        bodies = []
        for name in ("incidents", "summary"):
            url = f"{job.root}/api/v2/{name}.json"
            status, body = _get(self.client, url, follow=True, limit=MAX_PAGE_BYTES)
            if status != 200:
                raise FetchError(f"GET {url} answered HTTP {status}")
            bodies.append(body)
        incidents, summary = bodies
        return statuspage.parse_incidents(incidents, page_url=job.root) + (
            statuspage.parse_components(summary)
        )

    def _confirm(self, entry: dict[str, Any]) -> _Confirmation:
        url = entry.get("subscribe_url")
        try:
            check_cert_url(url if isinstance(url, str) else "")
        except VerificationFailed:
            detail = f"SubscribeURL {url!r} is not an https URL on sns.<region>.amazonaws.com"
            return _Confirmation(entry, DROP, detail)
        assert isinstance(url, str)
        topic = entry.get("topic_arn")
        try:
            status, body = _get(self.client, url, follow=False, limit=MAX_SNS_BYTES)
        except (httpx.HTTPError, FetchError) as exc:
            return _Confirmation(entry, RETRY, f"confirming {topic} failed: {exc!r}")
        if status >= 500 or status == 429:
            return _Confirmation(entry, RETRY, f"confirming {topic} answered HTTP {status}")
        if status != 200:
            return _Confirmation(entry, DROP, f"confirming {topic} answered HTTP {status}")
        return _Confirmation(entry, CONFIRMED, subscription_arn(body))

    def _record(
        self,
        session: Session,
        integration: Integration,
        job: _Job,
        fetched: _Fetched,
        now: datetime,
    ) -> None:
        state = dict(integration.poll_state or {})
        due_again: list[datetime] = []
        if fetched.confirmations:
            due_again += self._record_confirmations(state, fetched.confirmations, now)
            if state["last_error"]:
                log.warning("integration %s: %s", job.name, state["last_error"])
        if job.statuspage:
            error = fetched.error
            if error is None and fetched.events is not None:
                error = self._apply(session, integration, fetched.events, state, now)
            state["last_polled_at"] = now.isoformat()
            state["last_error"] = error
            failures = state.get("consecutive_failures")
            failures = failures if isinstance(failures, int) else 0
            state["consecutive_failures"] = 0 if error is None else failures + 1
            if error is not None:
                log.warning("statuspage integration %s: %s", job.name, error)
            due_again.append(now + _interval(integration))
        integration.poll_state = state
        integration.next_poll_at = min(due_again) if due_again else None

    def _record_confirmations(
        self, state: dict[str, Any], confirmations: list[_Confirmation], now: datetime
    ) -> list[datetime]:
        pending: list[dict[str, Any]] = []
        confirmed = [c for c in state.get("sns_confirmed") or [] if isinstance(c, dict)]
        errors: list[str] = []
        retry_at: list[datetime] = []
        for item in confirmations:
            topic = item.entry.get("topic_arn")
            if item.outcome == CONFIRMED:
                confirmed = [c for c in confirmed if c.get("topic_arn") != topic]
                confirmed.append(
                    {
                        "topic_arn": topic,
                        "confirmed_at": now.isoformat(),
                        "subscription_arn": item.detail,
                    }
                )
                continue
            errors.append(item.detail or item.outcome)
            if item.outcome == RETRY:
                attempts = int(item.entry.get("attempts") or 0) + 1
                pending.append({**item.entry, "attempts": attempts})
                retry_at.append(now + _backoff(attempts))
        state["sns_pending"] = pending
        state["sns_confirmed"] = confirmed
        state["last_error"] = "; ".join(errors) or None
        return retry_at

    def _apply(
        self,
        session: Session,
        integration: Integration,
        events: list[Event],
        state: dict[str, Any],
        now: datetime,
    ) -> str | None:
        seen = state.get("fingerprints")
        seen = seen if isinstance(seen, dict) else {}
        current = {event.dedup_key: _fingerprint(event) for event in events}
        # Only what changed since the last poll: an unchanged page is not a new report.
        changed = [
            event for event in events if seen.get(event.dedup_key) != current[event.dedup_key]
        ]
        if changed:
            route = known(integration).route
            savepoint = session.begin_nested()
            try:
                apply(
                    session,
                    submissions=[Submission(route=route, events=changed)],
                    now=now,
                    settings=self.settings,
                )
                savepoint.commit()
            except Exception as exc:
                # Keep the lease (taken before the savepoint) so a failing page cannot spin.
                savepoint.rollback()
                log.exception("applying statuspage integration %s failed", integration.name)
                return f"applying the page's events failed: {exc!r}"
        state["fingerprints"] = current
        return None
