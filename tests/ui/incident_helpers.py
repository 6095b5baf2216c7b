"""Building incidents for the incident page tests through the API, as users and senders do."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from warroom.incidents.models import TimelineEntry
from warroom.users.models import AuditEntry

from .conftest import csrf_of

INCIDENTS = "/api/v1/incidents"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
CHECKOUT_TITLE = "Checkout API down: 502 from the load balancer"


def declare(client: TestClient, admin: dict[str, str], **fields: Any) -> str:
    """Declare an incident through the API; returns its ref."""
    body = {"title": "Orders slow", "severity": "P3", "service": "orders", **fields}
    answer = client.post(INCIDENTS, json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["ref"])


def make_policy(client: TestClient, admin: dict[str, str]) -> None:
    """``primary``: alice at once, ada 15 minutes later."""
    policy = {
        "name": "primary",
        "steps": [
            {"after": "0s", "targets": [{"user": "alice"}]},
            {"after": "15m", "targets": [{"user": "ada"}]},
        ],
    }
    answer = client.post("/api/v1/escalation-policies", json=policy, headers=admin)
    assert answer.status_code == 201, answer.text


def import_demo_runbook(client: TestClient, admin: dict[str, str]) -> None:
    """The packaged demo runbook (checkout, orders database, webhooks, ...)."""
    runbook = files("warroom").joinpath("demo_runbook.md").read_bytes()
    answer = client.post(
        "/api/v1/runbooks?source=demo/shop-runbook.md",
        content=runbook,
        headers={**admin, "content-type": "text/markdown"},
    )
    assert answer.status_code == 201, answer.text


def fire_alert(client: TestClient, admin: dict[str, str], **labels: str) -> str:
    """An Alertmanager alert on checkout-api through the ingest API; returns the incident ref."""
    assert client.post("/api/v1/services", json={"name": "checkout-api"}, headers=admin)
    integration = {
        "name": "prom",
        "source": "alertmanager",
        "service": "checkout-api",
        "key": "prom-key-0001",
    }
    created = client.post("/api/v1/integrations", json=integration, headers=admin)
    assert created.status_code == 201, created.text
    alert = {
        "status": "firing",
        "labels": {"alertname": "CheckoutDown", "severity": "critical", **labels},
        "annotations": {"summary": labels.get("summary", "Checkout answers 502")},
        "startsAt": "2025-11-01T08:59:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
    }
    body = {
        "receiver": "warroom",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": "{}",
        "truncatedAlerts": 0,
    }
    fired = client.post(
        "/ingest/alertmanager", json=body, headers={"Authorization": "Bearer prom-key-0001"}
    )
    assert fired.status_code == 200, fired.text
    (ref,) = fired.json()["incidents"]
    return str(ref)


def post_form(
    browser: TestClient, ref: str, action: str, **fields: str
) -> Any:  # the TestClient response
    """Post a form of the incident page with the page's CSRF token, without following."""
    token = csrf_of(browser.get(f"/incidents/{ref}").text)
    return browser.post(
        f"/incidents/{ref}/{action}", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def written(engine: Engine) -> tuple[int, int]:
    """How many timeline and audit entries exist: what any change writes."""
    with engine.connect() as connection:
        entries = connection.scalar(select(func.count()).select_from(TimelineEntry)) or 0
        audits = connection.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return entries, audits


def timeline_kinds(client: TestClient, admin: dict[str, str], ref: str) -> list[str]:
    """The incident's timeline kinds, oldest first, from the API."""
    answer = client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin)
    return [entry["kind"] for entry in answer.json()["items"]]
