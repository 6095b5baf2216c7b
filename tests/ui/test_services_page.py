"""The services pages: integrations with their ingest URLs and keys, test alerts, suppressions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.alerts import integrations
from warroom.alerts.models import Alert, Integration, Suppression
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.escalation import policies
from warroom.escalation.models import IncidentEscalation
from warroom.escalation.policies import StepSpec
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident
from warroom.services import service as services
from warroom.users import service as users

from .conftest import csrf_of

_COPY = re.compile(
    r'<span>([^<]+)</span> <code>([^<]*)</code> <button type="button" data-copy="([^"]*)"'
)


def copy_fields(html: str) -> dict[str, str]:
    """The first copy field of each label; the code shown and the text copied must agree."""
    found = {}
    for label, shown, copied in _COPY.findall(html):
        assert unescape(shown) == unescape(copied)
        found.setdefault(label, unescape(copied))
    return found


@pytest.fixture
def checkout(session: Session, change: Change, web_users: dict[str, str]) -> None:
    """Service checkout paging by ``primary`` (alice) with a generic integration ``script``."""
    policies.create_policy(
        session,
        change=change,
        name="primary",
        steps=[StepSpec(after="0s", targets=[{"user": "alice"}])],
    )
    services.create_service(
        session, change=change, name="checkout", description="Pay", escalation_policy="primary"
    )
    integrations.create_integration(
        session, change=change, name="script", source="generic", service="checkout"
    )
    session.commit()


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_services_list_shows_policy_open_incidents_and_integrations(
    browser, session: Session, change: Change, settings: Settings, checkout: None
):
    services.create_service(session, change=change, name="search")
    integrations.create_integration(
        session, change=change, name="prom", source="alertmanager", service="checkout"
    )
    scheme = settings.severity_scheme
    for title in ("Slow", "Down"):
        incidents.declare(
            session, change=change, scheme=scheme, title=title, severity="P2", service="checkout"
        )
    done = incidents.declare(
        session, change=change, scheme=scheme, title="Old", severity="P3", service="checkout"
    )
    incidents.change_status(
        session, change=change, scheme=scheme, incident=done, status=Status.resolved
    )
    session.commit()
    listing = browser("vera").get("/services")
    assert listing.status_code == 200
    checkout_row = re.search(r'href="/services/checkout".*?</tr>', listing.text, re.S)
    search_row = re.search(r'href="/services/search".*?</tr>', listing.text, re.S)
    assert checkout_row
    assert search_row
    assert "primary" in checkout_row.group(0)
    assert ">2 open</a>" in checkout_row.group(0)
    assert re.search(r"<td>2</td>\s*</tr>", checkout_row.group(0))
    assert "none: does not page" in search_row.group(0)
    assert re.search(r"<td>0</td>\s*<td>0</td>\s*</tr>", search_row.group(0))
    assert "Register a service" not in listing.text  # viewers do not configure


def test_an_admin_registers_a_service_from_the_list(browser, session: Session, checkout: None):
    ada = browser("ada")
    listing = ada.get("/services")
    answer = ada.post(
        "/services",
        data={
            "csrf_token": csrf_of(listing.text),
            "name": "Payments API",
            "description": "card payments",
            "escalation_policy": "primary",
        },
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/services/Payments%20API")
    created = services.get_service(session, "Payments API")
    assert created.escalation_policy is not None
    assert created.escalation_policy.name == "primary"
    assert "card payments" in ada.get(answer.headers["location"]).text


def test_a_new_integration_shows_its_exact_ingest_url_and_key_once(
    browser, session: Session, checkout: None
):
    ada = browser("ada")
    service_page = ada.get("/services/checkout")
    made = ada.post(
        "/services/checkout/integrations",
        data={"csrf_token": csrf_of(service_page.text), "name": "cron-jobs", "source": "generic"},
    )
    assert made.status_code == 201
    fields = copy_fields(made.text)
    key = fields["Key"]
    assert fields["Ingest URL"] == f"http://testserver/ingest/generic/{key}"
    stored = integrations.get_integration(session, "cron-jobs")
    assert integrations.key_matches(stored, key)
    sent = ada.post(fields["Ingest URL"], json={"title": "Disk full on db-1"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["alerts_opened"] == 1

    later = ada.get("/services/checkout")
    assert key not in later.text
    assert copy_fields(later.text)["Ingest URL"] == "http://testserver/ingest/generic"
    assert f"<code>…{key[-4:]}</code>" in later.text


def test_a_pagerduty_integration_keeps_its_routing_key_and_the_public_url_is_used(
    browser, session: Session, settings: Settings, checkout: None
):
    settings.public_url = "https://warroom.example.com/"
    ada = browser("ada")
    routing_key = "R0123456789abcdef0123456789ABCDE"
    made = ada.post(
        "/services/checkout/integrations",
        data={
            "csrf_token": csrf_of(ada.get("/services/checkout").text),
            "name": "pd",
            "source": "pagerduty",
            "key": routing_key,
        },
    )
    assert made.status_code == 201, made.text
    assert copy_fields(made.text) == {
        "Ingest URL": "https://warroom.example.com/v2/enqueue",
        "Key": routing_key,
    }
    assert "routing_key" in made.text


def test_rotating_a_key_shows_the_new_one_and_the_old_one_stops_working(
    browser, session: Session, checkout: None
):
    ada = browser("ada")
    rotated = ada.post(
        "/services/checkout/integrations/script/rotate-key",
        data={"csrf_token": csrf_of(ada.get("/services/checkout").text)},
    )
    assert rotated.status_code == 200
    fields = copy_fields(rotated.text)
    session.expire_all()
    assert integrations.key_matches(integrations.get_integration(session, "script"), fields["Key"])
    assert fields["Ingest URL"].endswith(f"/ingest/generic/{fields['Key']}")


def test_bad_integration_input_is_a_clear_error_and_writes_nothing(
    browser, session: Session, checkout: None
):
    ada = browser("ada")
    token = csrf_of(ada.get("/services/checkout").text)
    bad = ada.post(
        "/services/checkout/integrations",
        data={"csrf_token": token, "name": "Not A Slug", "source": "generic"},
    )
    assert bad.status_code == 422
    assert "name: use 1-64 lowercase letters" in bad.text
    unknown = ada.post(
        "/services/checkout/integrations",
        data={"csrf_token": token, "name": "nagios", "source": "nagios"},
    )
    assert unknown.status_code == 422
    assert "source: unknown source" in unknown.text
    assert _count(session, Integration) == 1


def test_the_test_alert_goes_through_ingest_and_opens_a_real_incident(
    browser, session: Session, checkout: None
):
    alice = browser("alice")
    page = alice.get("/services/checkout")
    sent = alice.post(
        "/services/checkout/integrations/script/test",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    location = urlsplit(sent.headers["location"])
    assert location.path == "/services/checkout"
    ref = parse_qs(location.query)["incident"][0]
    alert = session.scalar(select(Alert))
    assert alert is not None
    assert alert.title.startswith("Test alert from script")
    assert alert.labels["test"] == "true"
    assert alert.integration.name == "script"
    incident = session.scalar(select(Incident).where(Incident.id == alert.incident_id))
    assert incident is not None
    assert incident.ref == ref
    assert incident.service == "checkout"
    assert "Test alert" in incident.title
    escalation = session.scalar(select(IncidentEscalation))
    assert escalation is not None
    assert escalation.policy == "primary"
    back = alice.get(sent.headers["location"])
    assert f'<a href="/incidents/{ref}">{ref}</a>' in back.text


def test_a_test_alert_in_a_maintenance_window_opens_no_incident(
    browser, session: Session, change: Change, clock: FakeClock, checkout: None
):
    now = clock.now()
    from warroom.alerts import service as alerts

    alerts.create_maintenance(
        session, change=change, service="checkout", starts_at=now, ends_at=now + timedelta(hours=1)
    )
    session.commit()
    alice = browser("alice")
    sent = alice.post(
        "/services/checkout/integrations/script/test",
        data={"csrf_token": csrf_of(alice.get("/services/checkout").text)},
    )
    assert sent.status_code == 200
    assert "it opened no incident" in sent.text
    assert _count(session, Alert) == 1
    assert _count(session, Incident) == 0


def test_test_alerts_need_a_responder_an_enabled_integration_and_the_csrf_token(
    browser, session: Session, change: Change, checkout: None
):
    vera = browser("vera")
    page = vera.get("/services/checkout")
    assert "Send test alert" not in page.text
    refused = vera.post(
        "/services/checkout/integrations/script/test", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    alice = browser("alice")
    forged = alice.post("/services/checkout/integrations/script/test", data={})
    assert forged.status_code == 403
    wrong = alice.post(
        "/services/search/integrations/script/test",
        data={"csrf_token": csrf_of(alice.get("/services/checkout").text)},
    )
    assert wrong.status_code == 404
    found = integrations.get_integration(session, "script")
    integrations.update_integration(session, change=change, integration=found, enabled=False)
    session.commit()
    disabled = alice.post(
        "/services/checkout/integrations/script/test",
        data={"csrf_token": csrf_of(alice.get("/services/checkout").text)},
    )
    assert disabled.status_code == 409
    assert "disabled" in disabled.text
    assert _count(session, Alert) == 0


def test_maintenance_windows_are_made_in_the_admins_zone_and_ended(
    browser, session: Session, change: Change, clock: FakeClock, checkout: None
):
    ada_user = users.get_user(session, "ada")
    users.update_user(
        session,
        change=change,
        user=ada_user,
        name="Ada",
        email="ada@example.com",
        time_zone="Europe/Berlin",
    )
    session.commit()
    ada = browser("ada")
    page = ada.get("/services/checkout")
    assert 'value="2025-11-01T10:00"' in page.text  # 09:00 UTC is 10:00 in Berlin
    made = ada.post(
        "/services/checkout/maintenance",
        data={
            "csrf_token": csrf_of(page.text),
            "starts_at": "2025-11-01T10:00",
            "ends_at": "2025-11-01T12:30",
            "description": "database upgrade",
        },
        follow_redirects=False,
    )
    assert (made.status_code, made.headers["location"]) == (303, "/services/checkout#maintenance")
    window = session.scalar(select(Suppression))
    assert window is not None
    assert window.kind == "maintenance"
    assert window.starts_at == datetime(2025, 11, 1, 9, 0, tzinfo=UTC)
    assert window.ends_at == datetime(2025, 11, 1, 11, 30, tzinfo=UTC)
    listed = ada.get("/services/checkout")
    assert "database upgrade" in listed.text
    assert "<strong>active</strong>" in listed.text
    clock.advance(timedelta(minutes=5))
    ended = ada.post(
        f"/services/checkout/maintenance/{window.id}/end",
        data={"csrf_token": csrf_of(listed.text)},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    session.expire_all()
    assert window.ends_at == clock.now()


def test_maintenance_windows_need_an_admin_and_sensible_times(
    browser, session: Session, checkout: None
):
    alice = browser("alice")
    page = alice.get("/services/checkout")
    assert "Schedule a maintenance window" not in page.text
    times = {"starts_at": "2025-11-01T10:00", "ends_at": "2025-11-01T11:00"}
    refused = alice.post(
        "/services/checkout/maintenance", data={"csrf_token": csrf_of(page.text), **times}
    )
    assert refused.status_code == 403
    ada = browser("ada")
    token = csrf_of(ada.get("/services/checkout").text)
    backwards = ada.post(
        "/services/checkout/maintenance",
        data={"csrf_token": token, "starts_at": "2025-11-01T12:00", "ends_at": "2025-11-01T11:00"},
    )
    assert backwards.status_code == 422
    assert "ends_at: must be after starts_at" in backwards.text
    garbled = ada.post(
        "/services/checkout/maintenance",
        data={"csrf_token": token, "starts_at": "tomorrow", "ends_at": "2025-11-01T11:00"},
    )
    assert garbled.status_code == 422
    assert "starts_at: &#39;tomorrow&#39; is not a date and time" in garbled.text
    no_token = ada.post("/services/checkout/maintenance", data=times)
    assert no_token.status_code == 403
    assert _count(session, Suppression) == 0


def test_a_responder_silences_alerts_and_ends_the_silence(
    browser, session: Session, clock: FakeClock, checkout: None
):
    alice = browser("alice")
    page = alice.get("/services/checkout")
    made = alice.post(
        "/services/checkout/silences",
        data={
            "csrf_token": csrf_of(page.text),
            "matchers": "alertname=HighLatency\n\n env =~ prod-.* ",
            "starts_at": "",
            "ends_at": "2025-11-01T13:00",
            "comment": "fix rolling out",
        },
        follow_redirects=False,
    )
    assert (made.status_code, made.headers["location"]) == (303, "/services/checkout#silences")
    silence = session.scalar(select(Suppression))
    assert silence is not None
    assert silence.kind == "silence"
    assert silence.service == "checkout"
    assert silence.matchers == [
        {"name": "alertname", "value": "HighLatency", "op": "="},
        {"name": "env", "value": "prod-.*", "op": "=~"},
    ]
    assert silence.created_by == "user:alice"
    assert (silence.starts_at, silence.ends_at) == (
        clock.now(),
        datetime(2025, 11, 1, 13, 0, tzinfo=UTC),
    )
    listed = alice.get("/services/checkout")
    assert "<code>env=~prod-.*</code>" in listed.text
    ended = alice.post(
        f"/services/checkout/silences/{silence.id}/end",
        data={"csrf_token": csrf_of(listed.text)},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    session.expire_all()
    assert silence.ends_at == clock.now()
    assert "End now" not in alice.get("/services/checkout").text


def test_a_bad_matcher_line_is_named_and_nothing_is_written(
    browser, session: Session, checkout: None
):
    alice = browser("alice")
    answer = alice.post(
        "/services/checkout/silences",
        data={
            "csrf_token": csrf_of(alice.get("/services/checkout").text),
            "matchers": "alertname=HighLatency\njust words",
            "ends_at": "2025-11-01T13:00",
            "comment": "noise",
        },
    )
    assert answer.status_code == 422
    assert "matchers: line 2: &#39;just words&#39; is not a matcher" in answer.text
    assert _count(session, Suppression) == 0


def test_service_and_description_text_is_escaped(
    browser, session: Session, change: Change, checkout: None
):
    services.create_service(
        session,
        change=change,
        name="<script>alert(1)",
        description="<script>alert(2)</script><img src=x onerror=alert(3)>",
    )
    session.commit()
    vera = browser("vera")
    listing = vera.get("/services")
    assert "<script>alert" not in listing.text
    assert "&lt;script&gt;alert(1)" in listing.text
    assert 'href="/services/%3Cscript%3Ealert%281%29"' in listing.text
    detail = vera.get("/services/%3Cscript%3Ealert%281%29")
    assert detail.status_code == 200
    assert "<script>alert" not in detail.text
    assert "<img src=x" not in detail.text
    assert "&lt;img src=x onerror=alert(3)&gt;" in detail.text


def test_an_unknown_service_is_a_404_page(browser, checkout: None):
    answer = browser("vera").get("/services/nope")
    assert answer.status_code == 404
    assert "no service called" in answer.text
