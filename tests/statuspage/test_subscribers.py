"""Subscribers: email double opt-in over real SMTP, webhooks to a loopback receiver, bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine as Database
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channels.conftest import Receiver, SmtpServer, receiver, smtp_server  # noqa: F401
from tests.delivery.conftest import delivery_settings, sender  # noqa: F401
from tests.statuspage.conftest import DeclareIncident
from tests.statuspage.contract import check_incident
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.engine.loop import Engine
from warroom.statuspage import service
from warroom.statuspage.models import StatusComponent, StatusSubscriber
from warroom.web.app import create_app

LINK = re.compile(
    r"https://warroom\.example\.com(/status/subscriptions/[^/\s]+/(?:confirm|unsubscribe))"
)


@pytest.fixture
def public(
    delivery_settings: Settings,  # noqa: F811
    clock: FakeClock,
    engine: Database,
) -> Iterator[TestClient]:
    """The app with public_url https://warroom.example.com and loopback delivery."""
    with TestClient(create_app(delivery_settings, clock=clock, engine=engine)) as client:
        yield client


def _emails(smtp: SmtpServer) -> list[EmailMessage]:
    return [
        message_from_bytes(e.original_content, _class=EmailMessage, policy=policy.default)
        for e in smtp.handler.envelopes
    ]


def _text(email: EmailMessage) -> str:
    part = email.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _publish(session: Session, change: Change, declare: DeclareIncident, body: str) -> str:
    incident = declare(title="Checkout down", severity="P1")
    update = service.publish_incident_update(
        session, change=change, incident=incident, status="investigating", body=body
    )
    session.commit()
    return update.incident.public_id


def test_email_double_opt_in_then_updates_then_unsubscribe(
    public: TestClient,
    session: Session,
    change: Change,
    sender: Engine,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    form = {"email": "reader@example.com"}
    answer = public.post("/status/subscribe", data=form)
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    sender.tick()
    [confirmation] = _emails(smtp_server)
    assert confirmation["To"] == "reader@example.com"
    confirm_path = LINK.search(_text(confirmation)).group(1)  # type: ignore[union-attr]
    assert confirm_path.endswith("/confirm")

    # Not confirmed yet: an update reaches no one, and a GET of the link confirms nothing.
    _publish(session, change, declare_incident, "First look.")
    assert public.get(confirm_path).status_code == 200
    sender.tick()
    assert len(_emails(smtp_server)) == 1

    confirmed = public.post(confirm_path)
    assert confirmed.status_code == 200
    assert "Subscribed" in confirmed.text
    incident = declare_incident(title="Login errors", severity="P3", service="login")
    update = service.publish_incident_update(
        session, change=change, incident=incident, status="identified", body="Token cache cold."
    )
    session.commit()
    sender.tick()

    [_, news] = _emails(smtp_server)
    assert news["Subject"] == "[warroom] Login errors: Identified"
    text = _text(news)
    assert "Token cache cold." in text
    assert f"https://warroom.example.com/status/incidents/{update.incident.public_id}" in text
    unsubscribe_path = LINK.search(text.split("Unsubscribe:")[1]).group(1)  # type: ignore[union-attr]
    assert public.get("/status").text.count("Token cache cold.") == 1
    summary = public.get("/status/api/v2/summary.json").json()
    assert "Token cache cold." in [i["incident_updates"][0]["body"] for i in summary["incidents"]]

    assert "Unsubscribe" in public.get(unsubscribe_path).text
    assert public.post(unsubscribe_path).status_code == 200
    assert session.scalars(select(StatusSubscriber)).all() == []
    service.publish_incident_update(
        session, change=change, incident=incident, status="resolved", body="Done."
    )
    session.commit()
    sender.tick()
    assert len(_emails(smtp_server)) == 2


def test_subscribing_twice_answers_the_same_and_sends_one_confirmation(
    public: TestClient,
    sender: Engine,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
):
    first = public.post("/status/subscribe", json={"email": "Reader@Example.COM"})
    second = public.post("/status/subscribe", json={"email": "reader@example.com"})

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json() == {"status": "pending_confirmation"}
    sender.tick()
    assert len(smtp_server.handler.envelopes) == 1


def test_a_webhook_subscriber_gets_statuspage_shaped_incident_and_component_updates(
    public: TestClient,
    session: Session,
    change: Change,
    sender: Engine,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
    admin: dict[str, str],
):
    answer = public.post("/status/subscribe", json={"endpoint": f"{receiver.url}/hook"})
    assert answer.status_code == 202
    assert answer.json() == {"status": "subscribed"}

    public_id = _publish(session, change, declare_incident, "Errors at checkout.")
    sender.tick()

    [request] = receiver.requests
    body = json.loads(request.body)
    assert set(body) == {"meta", "page", "incident"}
    assert body["meta"]["unsubscribe"].startswith(
        "https://warroom.example.com/status/subscriptions/"
    )
    assert body["page"]["status_indicator"] == "critical"
    assert body["page"]["status_description"] == "Major Service Outage"
    check_incident(body["incident"], body["page"]["id"])
    assert body["incident"]["id"] == public_id
    assert request.headers["webhook-id"].startswith("status-update:")

    patched = public.patch(
        f"/api/v1/status-page/components/{checkout.public_id}",
        json={"status": "degraded_performance"},
        headers=admin,
    )
    assert patched.status_code == 200
    sender.tick()
    update = json.loads(receiver.requests[1].body)
    assert set(update) == {"meta", "page", "component_update", "component"}
    assert update["component_update"]["old_status"] == "major_outage"
    assert update["component_update"]["new_status"] == "degraded_performance"
    assert update["component"]["id"] == checkout.public_id
    sender.tick()
    assert len(receiver.requests) == 2


def test_a_component_filter_limits_what_a_subscriber_hears(
    public: TestClient,
    session: Session,
    change: Change,
    sender: Engine,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    from warroom.statuspage import components

    other = components.create_component(session, change=change, name="Search")
    session.commit()
    public.post(
        "/status/subscribe",
        json={"endpoint": f"{receiver.url}/hook", "components": [other.public_id]},
    )

    _publish(session, change, declare_incident, "Checkout only.")
    sender.tick()

    assert receiver.requests == []


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"email": "not-an-email"}, 422, "email"),
        ({"email": "a@b"}, 422, "email"),
        ({"endpoint": "ftp://example.com/x"}, 422, "endpoint"),
        ({"endpoint": "https://user:pw@example.com/x"}, 422, "endpoint"),
        ({"email": "a@example.com", "endpoint": "https://example.com/x"}, 422, "email"),
        ({}, 422, "email"),
        ({"email": "a@example.com", "components": ["nothere12345"]}, 422, "components"),
        ({"email": "a@example.com", "components": "abc"}, 422, "components"),
        ({"email": 42}, 422, "email"),
    ],
)
def test_bad_subscriptions_are_refused_with_a_clear_problem(
    public: TestClient, session: Session, fields: dict[str, object], status: int, field: str
):
    answer = public.post("/status/subscribe", json=fields)

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == field
    assert session.scalars(select(StatusSubscriber)).all() == []


def test_malformed_json_is_a_400_and_a_bad_form_is_a_422_page(public: TestClient):
    broken = public.post(
        "/status/subscribe", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["detail"] == "the body is not valid JSON"

    page = public.post("/status/subscribe", data={"email": "nope"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "give an email address such as name@example.com" in page.text


def test_too_many_subscribe_requests_get_a_429(public: TestClient):
    answers = [
        public.post("/status/subscribe", json={"email": f"r{n}@example.com"}) for n in range(11)
    ]

    assert [a.status_code for a in answers[:10]] == [202] * 10
    assert answers[10].status_code == 429
    assert int(answers[10].headers["retry-after"]) > 0


def test_unknown_tokens_are_a_clear_404_and_unsubscribing_twice_is_fine(public: TestClient):
    assert public.get("/status/subscriptions/nope/confirm").status_code == 404
    assert public.post("/status/subscriptions/nope/confirm").status_code == 404
    assert public.get("/status/subscriptions/nope/unsubscribe").status_code == 404
    assert public.post("/status/subscriptions/nope/unsubscribe").status_code == 200
