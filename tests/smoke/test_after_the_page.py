"""The second half of an incident as a new user lives it: cadence, public page, postmortem."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine as Database

from tests.channels.conftest import SmtpServer, smtp_server  # noqa: F401
from tests.delivery.conftest import delivery_settings, sender  # noqa: F401
from tests.escalation.conftest import make_policy
from tests.oncall.conftest import people  # noqa: F401
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.engine.loop import Engine
from warroom.web.app import create_app

API = "/api/v1"
CONFIRM = re.compile(r"https://warroom\.example\.com(/status/subscriptions/\S+/confirm)")


@pytest.fixture
def app(
    delivery_settings: Settings,  # noqa: F811
    clock: FakeClock,
    engine: Database,
) -> Iterator[TestClient]:
    """The app as served at https://warroom.example.com, mail going to the test SMTP server."""
    with TestClient(create_app(delivery_settings, clock=clock, engine=engine)) as client:
        yield client


def _mail(smtp: SmtpServer, to: str) -> list[EmailMessage]:
    return [
        message_from_bytes(e.original_content, _class=EmailMessage, policy=policy.default)
        for e in smtp.handler.envelopes
        if to in e.rcpt_tos
    ]


def _text(email: EmailMessage) -> str:
    part = email.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _ok(answer, status: int = 200):  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    return answer.json() if "json" in answer.headers.get("content-type", "") else answer.text


def test_a_p1_from_declare_to_postmortem_and_follow_up(
    app: TestClient,
    admin: dict[str, str],
    people: None,  # noqa: F811
    clock: FakeClock,
    sender: Engine,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
):
    for handle in ("alice", "bob"):
        body = {"type": "email", "address": f"{handle}@example.com"}
        _ok(app.post(f"{API}/users/{handle}/contact-methods", json=body, headers=admin), 201)
    make_policy(app, admin, "checkout-oncall", ("0s", ["alice"]))
    service = {"name": "checkout", "escalation_policy": "checkout-oncall"}
    _ok(app.post(f"{API}/services", json=service, headers=admin), 201)
    component = {"name": "Checkout", "services": ["checkout"]}
    _ok(app.post(f"{API}/status-page/components", json=component, headers=admin), 201)
    # A customer subscribes to the status page and confirms by email.
    _ok(app.post("/status/subscribe", data={"email": "reader@example.com"}))
    sender.tick()
    [confirmation] = _mail(smtp_server, "reader@example.com")
    _ok(app.post(CONFIRM.search(_text(confirmation)).group(1)))  # type: ignore[union-attr]

    # Declare a customer-facing P1; bob runs communications.
    incident = {"title": "Checkout down", "severity": "P1", "service": "checkout"}
    ref = _ok(
        app.post(f"{API}/incidents", json={**incident, "customer_facing": True}, headers=admin), 201
    )["ref"]
    role = {"role": "communications_lead", "user": "bob"}
    _ok(app.post(f"{API}/incidents/{ref}/roles", json=role, headers=admin))
    sender.tick()
    [page] = _mail(smtp_server, "alice@example.com")
    assert page["Subject"].startswith("[P1]")

    # 15 minutes without an internal update: bob is reminded, the timeline says it was missed.
    clock.advance(timedelta(minutes=15))
    sender.tick()
    [reminder] = _mail(smtp_server, "bob@example.com")
    assert ref in reminder["Subject"]
    timeline = _ok(app.get(f"{API}/incidents/{ref}/timeline?limit=200", headers=admin))["items"]
    assert [e["data"]["audience"] for e in timeline if e["kind"] == "cadence_missed"] == [
        "internal"
    ]

    # A public update reaches the status page, its JSON and the subscriber.
    update = {"audience": "public", "status": "identified", "body": "We rolled back the deploy."}
    _ok(app.post(f"{API}/incidents/{ref}/updates", json=update, headers=admin), 201)
    assert "We rolled back the deploy." in _ok(app.get("/status"))
    summary = _ok(app.get("/status/api/v2/summary.json"))
    [public] = summary["incidents"]
    assert (public["name"], public["status"], public["impact"]) == (
        "Checkout down",
        "identified",
        "critical",
    )
    assert public["incident_updates"][0]["body"] == "We rolled back the deploy."
    assert [c["status"] for c in summary["components"]] == ["major_outage"]
    sender.tick()
    [_, news] = _mail(smtp_server, "reader@example.com")
    assert "We rolled back the deploy." in _text(news)

    # Resolve: the engine drafts the postmortem, due in 48 hours, built from the timeline.
    clock.advance(timedelta(minutes=20))
    _ok(app.post(f"{API}/incidents/{ref}/status", json={"status": "resolved"}, headers=admin))
    sender.tick()
    draft = _ok(app.get(f"{API}/incidents/{ref}/postmortem", headers=admin))
    assert draft["status"] == "draft"
    resolved_at = _ok(app.get(f"{API}/incidents/{ref}", headers=admin))["resolved_at"]
    assert (
        draft["due_at"].replace("Z", "+00:00")[:16]
        == ((clock.now() + timedelta(hours=48)).isoformat()[:16])
    ), resolved_at
    assert "Checkout down" in draft["body"]
    rows = [line for line in draft["body"].splitlines() if "| token:admin-token |" in line]
    assert "| bob is communications lead | token:admin-token |  |" in rows[2]
    assert rows[3].endswith(
        "| Status page: identified | token:admin-token | We rolled back the deploy. |"
    )
    assert rows[4].endswith("| Public update | token:admin-token | We rolled back the deploy. |")
    closing = app.post(f"{API}/incidents/{ref}/status", json={"status": "closed"}, headers=admin)
    assert closing.status_code == 409

    # An action item that runs past its due date reminds its owner.
    item = {
        "title": "Add a canary stage to checkout deploys",
        "owner": "alice",
        "due": (clock.now() + timedelta(days=2)).isoformat(),
    }
    _ok(app.post(f"{API}/incidents/{ref}/action-items", json=item, headers=admin), 201)
    before = len(_mail(smtp_server, "alice@example.com"))
    clock.advance(timedelta(days=2, minutes=1))
    sender.tick()
    overdue = _mail(smtp_server, "alice@example.com")[before:]
    assert any("Add a canary stage" in _text(m) for m in overdue)
    listed = _ok(app.get(f"{API}/action-items?overdue=true&owner=alice", headers=admin))["items"]
    assert [i["title"] for i in listed] == ["Add a canary stage to checkout deploys"]
