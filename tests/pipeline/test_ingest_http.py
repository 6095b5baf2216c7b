"""Ingest over HTTP as senders do it: keys, status codes, sender-specific answers, quiet period."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert, Integration
from warroom.clock import FakeClock
from warroom.engine.monitoring import MonitoringModule
from warroom.incidents.models import Incident

from .conftest import add_route


def _alertmanager(status: str, *names: str, alertname: str = "HighLatency") -> dict[str, Any]:
    alerts = [
        {
            "status": status,
            "labels": {"alertname": alertname, "instance": name, "severity": "critical"},
            "annotations": {"summary": f"{alertname} on {name}"},
            "startsAt": "2025-11-01T08:59:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
        }
        for name in names
    ]
    return {
        "receiver": "warroom",
        "status": status,
        "alerts": alerts,
        "groupLabels": {"alertname": alertname},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
    }


def _count(session: Session, model: type[Any]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_alertmanager_group_fires_resolves_and_the_incident_resolves_after_quiet(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock)
    bearer = {"Authorization": "Bearer prom"}
    body = _alertmanager("firing", "a", "b")
    fired = client.post("/ingest/alertmanager", json=body, headers=bearer)
    assert fired.status_code == 200, fired.text
    assert fired.json()["alerts_opened"] == 2
    (ref,) = fired.json()["incidents"]
    clock.advance(timedelta(minutes=3))
    cleared = client.post("/ingest/alertmanager/prom", json=_alertmanager("resolved", "a", "b"))
    assert cleared.status_code == 200
    incident = session.scalars(select(Incident)).one()
    assert (incident.ref, incident.status, incident.severity) == (ref, "monitoring", "P1")
    clock.advance(timedelta(minutes=15))
    MonitoringModule().run(session, clock.now())
    session.commit()
    session.refresh(incident)
    assert incident.status == "resolved"


def test_keys_are_checked_before_the_body_is_read(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock)
    add_route(session, clock, name="dd", source="datadog")
    body = _alertmanager("firing", "a")
    missing = client.post("/ingest/alertmanager", json=body)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.post("/ingest/alertmanager/nope", json=body).status_code == 401
    wrong = client.post("/ingest/alertmanager/dd", json=body)
    assert wrong.status_code == 403
    assert "datadog" in wrong.json()["detail"]
    assert client.post("/ingest/nagios/prom", json=body).status_code == 404
    session.execute(Integration.__table__.update().values(enabled=False))
    session.commit()
    client.app.state.integrations._cache.clear()  # type: ignore[attr-defined]
    assert client.post("/ingest/alertmanager/prom", json=body).status_code == 403
    assert _count(session, Alert) == 0


def test_bad_bodies_are_4xx_and_write_nothing(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock)
    url = "/ingest/alertmanager/prom"
    cases = {
        b"{not json": 400,
        b'{"alerts": "x"}': 400,
        b"[" * 5000 + b"]" * 5000: 400,
        b'{"alerts": [{"status": "bogus", "labels": {}}]}': 400,
    }
    for body, status in cases.items():
        answer = client.post(url, content=body, headers={"content-type": "application/json"})
        assert answer.status_code == status, (body[:40], answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    big = b'{"alerts": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert client.post(url, content=big).status_code == 413
    assert _count(session, Alert) == 0


def test_pagerduty_events_v2_compatible_answers(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock, name="p" * 32, source="pagerduty")
    trigger = {
        "routing_key": "p" * 32,
        "event_action": "trigger",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "error"},
    }
    accepted = client.post("/v2/enqueue", json=trigger)
    assert accepted.status_code == 202
    answer = accepted.json()
    assert (answer["status"], answer["message"]) == ("success", "Event processed")
    resolve = {"routing_key": "p" * 32, "event_action": "resolve", "dedup_key": answer["dedup_key"]}
    assert client.post("/v2/enqueue", json=resolve).status_code == 202
    assert session.scalars(select(Alert)).one().status == "resolved"
    unknown = client.post("/v2/enqueue", json={**trigger, "routing_key": "q" * 32})
    assert unknown.status_code == 400
    assert unknown.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Invalid routing key"],
    }
    invalid = client.post("/v2/enqueue", json={**trigger, "event_action": "explode"})
    assert invalid.status_code == 400
    assert invalid.json()["status"] == "invalid event"


def test_opsgenie_create_and_close_by_alias(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock, name="genie-key", source="opsgenie")
    key = {"Authorization": "GenieKey genie-key"}
    alert = {"message": "Queue backlog", "alias": "q-1", "priority": "P2"}
    created = client.post("/v2/alerts", json=alert, headers=key)
    assert created.status_code == 202
    assert created.json()["result"] == "Request will be processed"
    closed = client.post("/v2/alerts/q-1/close?identifierType=alias", json={}, headers=key)
    assert closed.status_code == 202
    alert = session.scalars(select(Alert)).one()
    assert (alert.status, alert.severity) == ("resolved", "P2")
    assert client.post("/v2/alerts", json={"message": "x"}).status_code == 401


def test_grafana_hmac_is_required_when_the_integration_has_a_secret(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock, name="graf", source="grafana")
    session.execute(Integration.__table__.update().values(secret="s3cret-value"))
    session.commit()
    body = json.dumps({**_alertmanager("firing", "a"), "version": "1"}).encode()
    signature = hmac.new(b"s3cret-value", body, hashlib.sha256).hexdigest()
    unsigned = client.post("/ingest/grafana/graf", content=body)
    assert unsigned.status_code == 401
    signed = client.post(
        "/ingest/grafana/graf",
        content=body,
        headers={"X-Grafana-Alerting-Signature": signature},
    )
    assert signed.status_code == 200, signed.text
    assert _count(session, Alert) == 1


def test_a_rate_limited_integration_gets_429_with_retry_after(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock, name="gen", source="generic")
    session.execute(Integration.__table__.update().values(options={"rate_limit_per_minute": 2}))
    session.commit()
    answers = [
        client.post("/ingest/generic/gen", json={"title": f"report {n}"}).status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]
    limited = client.post("/ingest/generic/gen", json={"title": "again"})
    assert int(limited.headers["retry-after"]) >= 1
    assert _count(session, Alert) == 2


def test_resolving_the_incident_resolves_its_alerts_and_a_new_trigger_opens_a_new_one(
    client: TestClient, session: Session, clock: FakeClock, admin: dict[str, str]
) -> None:
    add_route(session, clock)
    fired = client.post("/ingest/alertmanager/prom", json=_alertmanager("firing", "a"))
    (ref,) = fired.json()["incidents"]
    moved = client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "resolved"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    assert session.scalars(select(Alert)).one().status == "resolved"
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    assert "alerts_resolved" in [e["kind"] for e in timeline]
    again = client.post("/ingest/alertmanager/prom", json=_alertmanager("firing", "a"))
    assert again.json()["incidents"] != [ref]
    assert _count(session, Incident) == 2


def test_the_rate_limit_counts_events_and_an_integration_can_be_unlimited(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    add_route(session, clock)
    session.execute(Integration.__table__.update().values(options={"rate_limit_per_minute": 3}))
    session.commit()
    group = client.post("/ingest/alertmanager/prom", json=_alertmanager("firing", "a", "b", "c"))
    assert group.status_code == 200
    assert (
        client.post("/ingest/alertmanager/prom", json=_alertmanager("firing", "d")).status_code
        == 429
    )
    client.app.state.ingest_rate_limit = 1  # type: ignore[attr-defined]
    session.execute(Integration.__table__.update().values(options={"rate_limit_per_minute": 0}))
    session.commit()
    client.app.state.integrations._cache.clear()  # type: ignore[attr-defined]
    for name in ("e", "f", "g"):
        answer = client.post("/ingest/alertmanager/prom", json=_alertmanager("firing", name))
        assert answer.status_code == 200


def test_unknown_ingest_paths_are_problem_404s(client: TestClient) -> None:
    for path in ("/v2/nothing", "/ingest/alertmanager/a/b/c"):
        answer = client.post(path, json={})
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.get("/ingest/alertmanager/x").status_code == 405


def test_storage_down_is_a_503_senders_retry(tmp_path, clock: FakeClock) -> None:
    from warroom.config import load_settings
    from warroom.web.app import create_app

    unreachable = load_settings(database_url=f"sqlite:///{tmp_path}/missing/dir/w.db")
    with TestClient(create_app(unreachable, clock=clock)) as client:
        answer = client.post("/ingest/alertmanager/prom", json=_alertmanager("firing", "a"))
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        assert answer.headers["content-type"] == "application/problem+json"
        pd = client.post(
            "/v2/enqueue",
            json={"routing_key": "p" * 32, "event_action": "resolve", "dedup_key": "x"},
        )
        assert pd.status_code == 503


def test_a_pagerduty_change_event_lands_on_the_services_open_incidents(
    client: TestClient, session: Session, clock: FakeClock, admin: dict[str, str]
) -> None:
    add_route(session, clock, name="p" * 32, source="pagerduty")
    trigger = {
        "routing_key": "p" * 32,
        "event_action": "trigger",
        "payload": {"summary": "Checkout 5xx", "source": "web-1", "severity": "critical"},
    }
    client.post("/v2/enqueue", json=trigger)
    ref = session.scalars(select(Incident.ref)).one()
    deploy = {
        "routing_key": "p" * 32,
        "payload": {"summary": "Deployed checkout v42", "source": "ci"},
        "links": [{"href": "https://ci.example.com/builds/42", "text": "build"}],
    }
    answer = client.post("/v2/change/enqueue", json=deploy)
    assert answer.status_code == 202
    entries = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    (noted,) = [e for e in entries if e["kind"] == "change_event"]
    assert noted["data"]["summary"] == "Deployed checkout v42"
    assert noted["actor"] == f"integration:{'p' * 32}"
    assert _count(session, Alert) == 1  # context, never an alert
    bad = client.post("/v2/change/enqueue", json={"routing_key": "p" * 32, "payload": {}})
    assert bad.status_code == 400
    assert bad.json()["status"] == "invalid event"
