"""Alert-driven incidents page by their service policy; clearing stops it, a re-fire resumes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.escalation.conftest import INCIDENTS, SERVICES, make_policy
from tests.pipeline.conftest import add_route
from warroom.clock import FakeClock


def _alert(status: str) -> dict[str, Any]:
    labels = {"alertname": "CheckoutErrors", "instance": "web-1", "severity": "critical"}
    return {
        "version": "4",
        "status": status,
        "receiver": "warroom",
        "alerts": [{"status": status, "labels": labels, "annotations": {"summary": "5xx > 5%"}}],
    }


def test_an_alert_pages_stops_when_it_clears_and_resumes_when_it_fires_again(
    client, admin, primary, ticker, outbox, session: Session, clock: FakeClock
) -> None:
    make_policy(
        client, admin, "checkout-oncall", ("0s", [{"schedule": "primary"}]), ("15m", ["carol"])
    )
    created = client.post(
        SERVICES, json={"name": "checkout", "escalation_policy": "checkout-oncall"}, headers=admin
    )
    assert created.status_code == 201
    add_route(session, clock, name="prom-key", service="checkout")
    fired = client.post("/ingest/alertmanager/prom-key", json=_alert("firing"))
    (ref,) = fired.json()["incidents"]
    ticker.tick()
    outbox.expect("alice")

    clock.advance(minutes=5)
    client.post("/ingest/alertmanager/prom-key", json=_alert("resolved"))
    clock.advance(minutes=10)
    ticker.tick()
    outbox.expect_none()
    escalation = client.get(f"{INCIDENTS}/{ref}/escalation", headers=admin).json()
    assert escalation["state"] == "stopped"

    clock.advance(minutes=2)
    again = client.post("/ingest/alertmanager/prom-key", json=_alert("firing"))
    assert again.json()["incidents"] == [ref]
    incident = client.get(f"{INCIDENTS}/{ref}", headers=admin).json()
    assert incident["status"] == "investigating"
    ticker.tick()
    outbox.expect("carol")

    acked = client.post(f"{INCIDENTS}/{ref}/status", json={"status": "acknowledged"}, headers=admin)
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "investigating"  # acknowledged where it stands
    assert acked.json()["acknowledged_at"] is not None
    for _ in range(60):
        clock.advance(minutes=1)
        ticker.tick()
    outbox.expect_none()
