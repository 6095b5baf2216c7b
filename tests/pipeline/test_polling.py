"""The polling module: Statuspage pages and SNS subscription confirmations, over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine as Database
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.pipeline.conftest import add_route
from warroom.alerts.models import Alert, Integration
from warroom.clock import FakeClock
from warroom.db import make_session_factory
from warroom.engine.loop import Engine
from warroom.engine.polling import PollingModule, page_root, subscription_arn
from warroom.incidents.models import Incident
from warroom.pipeline.apply import PipelineSettings
from warroom.severity import DEFAULT_SCHEME

SETTINGS = PipelineSettings(scheme=DEFAULT_SCHEME, quiet_period=timedelta(minutes=15))
TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
SUBSCRIPTION = TOPIC + ":2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
CONFIRM_XML = f"""<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <ConfirmSubscriptionResult><SubscriptionArn>{SUBSCRIPTION}</SubscriptionArn>
  </ConfirmSubscriptionResult>
  <ResponseMetadata><RequestId>075ecce8-8dac-11e1-bf80-f781d96e9307</RequestId></ResponseMetadata>
</ConfirmSubscriptionResponse>""".encode()


class Upstream:
    """What the loopback server answers per path, and the requests it received."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, bytes, float]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.base = ""

    def answer(self, path: str, body: bytes | dict[str, Any], status: int = 200, delay: float = 0):
        """Serve ``body`` at ``path`` from now on."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.answers[path] = (status, data, delay)

    def count(self, prefix: str = "/") -> int:
        """How many requests reached a path starting with ``prefix``."""
        with self.lock:
            return sum(1 for path, _ in self.requests if path.startswith(prefix))


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A real HTTP server on 127.0.0.1 serving what the test sets, in a thread."""
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.requests.append((self.path, self.headers.get("Host", "")))
            status, body, delay = state.answers.get(urlsplit(self.path).path, (404, b"", 0.0))
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class LoopbackTransport(httpx.BaseTransport):
    """Sends requests for sns.*.amazonaws.com to the loopback server over plain HTTP."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(str(request.url))
        if request.url.host.endswith(".amazonaws.com"):
            request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def incident(status: str, impact: str = "major", **extra: Any) -> dict[str, Any]:
    """A Statuspage incident (id inc1) with one update."""
    return {
        "id": "inc1",
        "name": "Elevated API errors",
        "status": status,
        "impact": impact,
        "created_at": "2025-11-01T08:50:00Z",
        "started_at": "2025-11-01T08:50:00Z",
        "resolved_at": "2025-11-01T09:05:00Z" if status == "resolved" else None,
        "shortlink": "https://stspg.io/inc1",
        "incident_updates": [{"id": f"u-{status}", "status": status, "body": f"We are {status}."}],
        "components": [],
        **extra,
    }


def component(status: str) -> dict[str, Any]:
    """The page's one component, API, in ``status``."""
    return {"id": "cmp1", "name": "API", "status": status, "updated_at": "2025-11-01T08:55:00Z"}


MAINTENANCE = incident(
    "in_progress", impact="maintenance", id="mnt1", scheduled_for="2025-11-01T08:00:00Z"
)
PAGE = {"id": "pg1", "name": "Acme", "url": "https://status.acme.example"}


def serve_page(
    upstream: Upstream,
    prefix: str = "/acme",
    incidents: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
) -> None:
    """Serve incidents.json and summary.json for a page under ``prefix``."""
    upstream.answer(f"{prefix}/api/v2/incidents.json", {"page": PAGE, "incidents": incidents or []})
    summary = {
        "page": PAGE,
        "components": components or [component("operational")],
        "incidents": [i for i in incidents or [] if i["status"] not in ("resolved", "postmortem")],
        "scheduled_maintenances": [MAINTENANCE],
    }
    upstream.answer(f"{prefix}/api/v2/summary.json", summary)


def add_page(
    session: Session, clock: FakeClock, url: str, name: str = "acme-status", enabled: bool = True
) -> int:
    """A statuspage integration on checkout-api, due now."""
    route = add_route(session, clock, name=name, source="statuspage")
    row = session.get_one(Integration, route.integration_id)
    row.options = {"url": url, "poll_interval_seconds": 60}
    row.next_poll_at = clock.now()
    row.enabled = enabled
    session.commit()
    return route.integration_id


def make_engine(database: Database, clock: FakeClock, client: httpx.Client | None = None) -> Engine:
    """An engine running only the polling module."""
    client = client or httpx.Client(timeout=2.0, headers={"User-Agent": "warroom"})
    return Engine(make_session_factory(database), clock, [PollingModule(SETTINGS, client)])


def integration(database: Database, integration_id: int) -> Integration:
    """The integration row as committed."""
    with make_session_factory(database)() as session:
        return session.get_one(Integration, integration_id)


def alerts(database: Database) -> list[Alert]:
    """Every alert, oldest first."""
    with make_session_factory(database)() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def incidents(database: Database) -> list[Incident]:
    """Every incident, oldest first."""
    with make_session_factory(database)() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def test_page_root_accepts_the_root_or_an_api_url():
    assert page_root("https://status.example.com/") == "https://status.example.com"
    assert page_root("https://status.example.com/api/v2/summary.json") == (
        "https://status.example.com"
    )
    assert page_root("https://example.com/status/api/v2/incidents.json") == (
        "https://example.com/status"
    )


def test_subscription_arn_tolerates_absence_and_garbage():
    assert subscription_arn(CONFIRM_XML) == SUBSCRIPTION
    assert subscription_arn(b"<ConfirmSubscriptionResponse/>") is None
    assert subscription_arn(b"not xml") is None


def test_an_upstream_incident_follows_its_page(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream
):
    page = add_page(session, clock, upstream.base + "/acme")
    loop = make_engine(engine, clock)
    serve_page(upstream, incidents=[incident("investigating")])
    assert loop.tick() == {"polling": 1}
    (alert,) = alerts(engine)
    (opened,) = incidents(engine)
    assert (alert.severity, alert.status, alert.dedup_key) == ("P2", "firing", "inc1")
    assert alert.incident_id == opened.id
    assert opened.service == "checkout-api"
    assert alert.links == [{"href": "https://stspg.io/inc1", "text": "status page"}]
    state = integration(engine, page).poll_state
    assert state["last_error"] is None
    assert state["consecutive_failures"] == 0
    assert state["last_polled_at"] == clock.now().isoformat()
    assert integration(engine, page).next_poll_at == clock.now() + timedelta(seconds=60)

    clock.advance(seconds=60)
    serve_page(upstream, incidents=[incident("identified")])
    assert loop.tick() == {"polling": 1}
    (alert,) = alerts(engine)
    assert (alert.status, alert.event_count, alert.description) == (
        "firing",
        2,
        "We are identified.",
    )
    assert len(incidents(engine)) == 1

    clock.advance(seconds=60)  # nothing changed upstream: not a new report
    assert loop.tick() == {"polling": 1}
    assert alerts(engine)[0].event_count == 2

    clock.advance(seconds=60)
    serve_page(upstream, incidents=[incident("resolved")])
    assert loop.tick() == {"polling": 1}
    (alert,) = alerts(engine)
    (opened,) = incidents(engine)
    assert alert.status == "resolved"
    assert opened.status == "monitoring"


def test_a_component_outage_fires_and_clears(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream
):
    add_page(session, clock, upstream.base + "/acme/api/v2/summary.json")
    loop = make_engine(engine, clock)
    serve_page(upstream, components=[component("major_outage")])
    loop.tick()
    (alert,) = alerts(engine)
    assert (alert.severity, alert.status, alert.dedup_key) == ("P1", "firing", "component:cmp1")
    clock.advance(seconds=60)
    serve_page(upstream, components=[component("operational")])
    loop.tick()
    (alert,) = alerts(engine)
    assert alert.status == "resolved"


def test_a_scheduled_maintenance_is_not_an_alert(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream
):
    page = add_page(session, clock, upstream.base + "/acme")
    serve_page(upstream, incidents=[MAINTENANCE])
    assert make_engine(engine, clock).tick() == {"polling": 1}
    assert alerts(engine) == []
    assert integration(engine, page).poll_state["last_error"] is None


@pytest.mark.parametrize(
    ("status", "body", "delay", "error"),
    [
        (500, b"oops", 0.0, "HTTP 500"),
        (200, b"{}", 1.0, "Timeout"),
        (200, b"<html>down</html>", 0.0, "not valid JSON"),
    ],
    ids=["http-500", "timeout", "invalid-json"],
)
def test_a_failing_page_is_recorded_and_polled_again(
    engine: Database,
    session: Session,
    clock: FakeClock,
    upstream: Upstream,
    status: int,
    body: bytes,
    delay: float,
    error: str,
):
    page = add_page(session, clock, upstream.base + "/acme")
    loop = make_engine(engine, clock, httpx.Client(timeout=0.3))
    serve_page(upstream)
    upstream.answer("/acme/api/v2/incidents.json", body, status=status, delay=delay)
    for failures in (1, 2):
        assert loop.tick() == {"polling": 1}  # no exception out of the engine
        row = integration(engine, page)
        assert error in row.poll_state["last_error"]
        assert row.poll_state["consecutive_failures"] == failures
        assert row.next_poll_at == clock.now() + timedelta(seconds=60)
        clock.advance(seconds=30)
        assert loop.tick() == {"polling": 0}  # retried at the normal interval, not sooner
        clock.advance(seconds=30)
    serve_page(upstream, incidents=[incident("investigating")])
    assert loop.tick() == {"polling": 1}
    state = integration(engine, page).poll_state
    assert (state["last_error"], state["consecutive_failures"]) == (None, 0)
    assert len(alerts(engine)) == 1


def test_only_due_and_enabled_pages_are_fetched(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream
):
    add_page(session, clock, upstream.base + "/acme")
    add_page(session, clock, upstream.base + "/off", name="disabled", enabled=False)
    serve_page(upstream)
    serve_page(upstream, "/off")
    loop = make_engine(engine, clock)
    assert loop.tick() == {"polling": 1}
    assert upstream.count("/acme") == 2
    clock.advance(seconds=59)
    assert loop.tick() == {"polling": 0}
    assert upstream.count("/acme") == 2
    clock.advance(seconds=1)
    assert loop.tick() == {"polling": 1}
    assert upstream.count("/acme") == 4
    assert upstream.count("/off") == 0


def add_subscription(session: Session, clock: FakeClock, subscribe_url: str) -> int:
    """A cloudwatch integration with a pending confirmation, as record_subscription leaves it."""
    route = add_route(session, clock, name="alarms", source="cloudwatch")
    row = session.get_one(Integration, route.integration_id)
    pending = {"topic_arn": TOPIC, "subscribe_url": subscribe_url, "message_id": "165545c9"}
    row.poll_state = {"sns_pending": [pending]}
    row.next_poll_at = clock.now()
    session.commit()
    return route.integration_id


SUBSCRIBE_PATH = "/"
SUBSCRIBE_URL = (
    f"https://sns.us-east-1.amazonaws.com{SUBSCRIBE_PATH}?Action=ConfirmSubscription"
    f"&TopicArn={TOPIC}&Token=2336412f37"
)


@pytest.fixture
def transport(upstream: Upstream) -> LoopbackTransport:
    """A transport that takes "SNS" requests to the loopback server."""
    return LoopbackTransport(int(upstream.base.rsplit(":", 1)[1]))


@pytest.fixture
def sns_engine(
    engine: Database, clock: FakeClock, transport: LoopbackTransport
) -> Iterator[Engine]:
    """The polling engine whose client reaches "SNS" on the loopback server."""
    with httpx.Client(transport=transport, timeout=2.0) as client:
        yield make_engine(engine, clock, client)


def test_a_pending_subscription_is_confirmed(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream, sns_engine: Engine
):
    alarms = add_subscription(session, clock, SUBSCRIBE_URL)
    upstream.answer(SUBSCRIBE_PATH, CONFIRM_XML)
    assert sns_engine.tick() == {"polling": 1}
    ((path, host),) = upstream.requests
    assert path.startswith("/?Action=ConfirmSubscription")
    assert "Token=2336412f37" in path
    assert host == "sns.us-east-1.amazonaws.com"
    row = integration(engine, alarms)
    assert row.poll_state["sns_pending"] == []
    assert row.poll_state["sns_confirmed"] == [
        {
            "topic_arn": TOPIC,
            "confirmed_at": clock.now().isoformat(),
            "subscription_arn": SUBSCRIPTION,
        }
    ]
    assert row.poll_state["last_error"] is None
    assert row.next_poll_at is None
    assert sns_engine.tick() == {"polling": 0}
    assert len(upstream.requests) == 1


def test_an_unavailable_sns_is_retried_with_backoff(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream, sns_engine: Engine
):
    alarms = add_subscription(session, clock, SUBSCRIBE_URL)
    upstream.answer(SUBSCRIBE_PATH, b"busy", status=503)
    for attempts, wait in ((1, 60), (2, 120), (3, 240)):
        assert sns_engine.tick() == {"polling": 1}
        row = integration(engine, alarms)
        (entry,) = row.poll_state["sns_pending"]
        assert (entry["topic_arn"], entry["attempts"]) == (TOPIC, attempts)
        assert "HTTP 503" in row.poll_state["last_error"]
        assert row.next_poll_at == clock.now() + timedelta(seconds=wait)
        clock.advance(seconds=wait)
    assert upstream.count() == 3
    upstream.answer(SUBSCRIBE_PATH, CONFIRM_XML)
    sns_engine.tick()
    row = integration(engine, alarms)
    assert row.poll_state["sns_pending"] == []
    assert row.poll_state["sns_confirmed"][0]["subscription_arn"] == SUBSCRIPTION


def test_a_refused_subscription_is_dropped(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream, sns_engine: Engine
):
    alarms = add_subscription(session, clock, SUBSCRIBE_URL)
    sns_engine.tick()  # nothing is served at the path: 404
    row = integration(engine, alarms)
    assert row.poll_state["sns_pending"] == []
    assert row.poll_state.get("sns_confirmed") == []
    assert "HTTP 404" in row.poll_state["last_error"]
    assert row.next_poll_at is None


def test_a_subscribe_url_off_aws_is_never_visited(
    engine: Database,
    session: Session,
    clock: FakeClock,
    upstream: Upstream,
    transport: LoopbackTransport,
    sns_engine: Engine,
):
    evil = "https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription"
    alarms = add_subscription(session, clock, evil)
    assert sns_engine.tick() == {"polling": 1}
    assert transport.sent == []
    assert upstream.requests == []
    row = integration(engine, alarms)
    assert row.poll_state["sns_pending"] == []
    assert "not an https URL on sns" in row.poll_state["last_error"]
    assert row.next_poll_at is None


def test_two_engines_fetch_each_due_page_once(
    engine: Database, session: Session, clock: FakeClock, upstream: Upstream
):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: several engines need PostgreSQL's SKIP LOCKED")
    pages = [f"/page{number}" for number in range(8)]
    for number, prefix in enumerate(pages):
        add_page(session, clock, upstream.base + prefix, name=f"page-{number}")
        serve_page(upstream, prefix)
        upstream.answer(f"{prefix}/api/v2/incidents.json", {"incidents": []}, delay=0.05)
    loops = [
        Engine(
            make_session_factory(engine),
            clock,
            [PollingModule(SETTINGS, httpx.Client(timeout=2.0), batch_size=2)],
        )
        for _ in range(2)
    ]
    handled = [0, 0]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(number: int) -> None:
        try:
            start.wait()
            while count := loops[number].tick()["polling"]:
                handled[number] += count
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(handled) == len(pages)
    assert all(handled), "both engines took a share"
    for prefix in pages:
        assert upstream.count(prefix + "/") == 2  # incidents.json and summary.json, once each
    with engine.connect() as connection:
        due = connection.scalar(
            select(func.count())
            .select_from(Integration)
            .where(Integration.next_poll_at <= clock.now())
        )
    assert due == 0


def test_a_failing_apply_keeps_the_lease(
    engine: Database,
    session: Session,
    clock: FakeClock,
    upstream: Upstream,
    monkeypatch: pytest.MonkeyPatch,
):
    page = add_page(session, clock, upstream.base + "/acme")
    serve_page(upstream, incidents=[incident("investigating")])

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("pipeline bug")

    monkeypatch.setattr("warroom.engine.polling.apply", broken)
    loop = make_engine(engine, clock)
    assert loop.tick() == {"polling": 1}
    row = integration(engine, page)
    assert "pipeline bug" in row.poll_state["last_error"]
    assert row.next_poll_at == clock.now() + timedelta(seconds=60)
    assert loop.tick() == {"polling": 0}
    monkeypatch.undo()
    clock.advance(seconds=60)
    assert loop.tick() == {"polling": 1}
    assert len(alerts(engine)) == 1
