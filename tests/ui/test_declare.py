"""The declare page: the form, the severity assessment, declaring, validation and roles."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.escalation import policies
from warroom.escalation.models import IncidentEscalation
from warroom.incidents.models import Incident, TimelineEntry
from warroom.services.service import create_service
from warroom.users.models import AuditEntry

from .conftest import csrf_of

Browser = Callable[[str], TestClient]


@pytest.fixture
def services(session: Session, change: Change, web_users: dict[str, str]) -> None:
    """checkout pages alice through the ops policy; search has no policy."""
    policies.create_policy(
        session, change=change, name="ops", steps=[policies.StepSpec("0s", [{"user": "alice"}])]
    )
    create_service(session, change=change, name="checkout", escalation_policy="ops")
    create_service(session, change=change, name="search")
    session.commit()


def _form(client: TestClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(client.get("/incidents/new").text), **fields}


def _selected_severity(page: str) -> str | None:
    found = re.search(r'<option value="([^"]+)" selected>[^<]*· ', page)
    return found.group(1) if found else None


def _incident_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Incident)) or 0


def test_the_form_lists_services_and_levels_with_their_meaning(browser: Browser, services):
    page = browser("alice").get("/incidents/new")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    text = page.text
    assert '<option value="checkout"' in text
    assert '<option value="search"' in text
    for level in ("P1", "P2", "P3", "P4"):
        assert f'<option value="{level}"' in text
    assert "Complete outage for all users" in text  # the P1 description
    for name in ("title", "users_affected_pct", "error_rate_pct", "data_loss", "security"):
        assert f'name="{name}"' in text
    assert 'name="action" value="assess"' in text
    assert "<script>" not in text  # behaviour lives in app.js only
    assert _selected_severity(text) is None


def test_declaring_creates_the_incident_and_starts_the_service_escalation(
    browser: Browser, services, session: Session
):
    alice = browser("alice")
    answer = alice.post(
        "/incidents/new",
        data=_form(
            alice,
            title="  Checkout   returns 500s ",
            service="checkout",
            summary="Card payments fail",
            impact="Nobody can pay",
            customer_facing="1",
            severity="P2",
            action="declare",
        ),
        follow_redirects=False,
    )
    assert answer.status_code == 303
    incident = session.scalars(select(Incident)).one()
    assert answer.headers["location"] == f"/incidents/{incident.ref}"
    assert (incident.title, incident.severity, incident.service) == (
        "Checkout returns 500s",
        "P2",
        "checkout",
    )
    assert (incident.summary, incident.impact, incident.customer_facing) == (
        "Card payments fail",
        "Nobody can pay",
        True,
    )
    assert incident.created_by == "user:alice"
    escalation = session.scalars(select(IncidentEscalation)).one()
    assert (escalation.incident_id, escalation.policy) == (incident.id, "ops")
    kinds = session.scalars(
        select(TimelineEntry.kind).where(TimelineEntry.incident_id == incident.id)
    ).all()
    assert {"declared", "escalation_started"} <= set(kinds)
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.declare"))
    assert audit.one().actor == "user:alice"


def test_a_service_is_optional(browser: Browser, services, session: Session):
    alice = browser("alice")
    data = _form(alice, title="Something odd", severity="P4", service="")
    assert alice.post("/incidents/new", data=data, follow_redirects=False).status_code == 303
    incident = session.scalars(select(Incident)).one()
    assert (incident.service, incident.severity, incident.customer_facing) == (None, "P4", False)


@pytest.mark.parametrize(
    ("answers", "level", "reason"),
    [
        ({"users_affected_pct": "100"}, "P1", "all users affected"),
        ({"users_affected_pct": "5", "security": "1"}, "P1", "security incident"),
        ({"users_affected_pct": "0", "data_loss": "1"}, "P1", "data loss or data breach"),
        ({"users_affected_pct": "60", "workaround": "1"}, "P3", "workaround exists"),
        ({"users_affected_pct": "60"}, "P2", "more than 50 % of users affected"),
        ({"users_affected_pct": "10", "error_rate_pct": "7.5"}, "P2", "error rate above 5 %"),
        ({"users_affected_pct": "0"}, "P4", "no user impact"),
    ],
)
def test_suggest_severity_preselects_the_assessed_level_and_keeps_the_input(
    browser: Browser, services, session: Session, answers, level, reason
):
    alice = browser("alice")
    data = _form(alice, title="Half the site is down", service="search", action="assess")
    answer = alice.post("/incidents/new", data={**data, **answers})
    assert answer.status_code == 200
    assert _selected_severity(answer.text) == level
    assert f'data-level="{level}"' in answer.text
    assert reason in html.unescape(answer.text)
    assert 'value="Half the site is down"' in answer.text
    assert '<option value="search" selected>' in answer.text
    for name in ("security", "data_loss", "workaround"):
        ticked = f'name="{name}" value="1" checked' in answer.text
        assert ticked == (name in answers)
    assert _incident_count(session) == 0


def test_suggest_without_the_share_of_users_asks_for_it(browser: Browser, services):
    alice = browser("alice")
    answer = alice.post("/incidents/new", data=_form(alice, title="x", action="assess"))
    assert answer.status_code == 422
    assert "answer this to get a suggestion" in answer.text
    assert _selected_severity(answer.text) is None


def test_the_assess_fragment_answers_the_script(browser: Browser, services):
    alice = browser("alice")
    fragment = alice.get("/incidents/new/assess?users_affected_pct=70&workaround=1")
    assert fragment.status_code == 200
    assert 'id="assessment"' in fragment.text
    assert 'data-level="P3"' in fragment.text
    assert "<html" not in fragment.text
    blank = alice.get("/incidents/new/assess")
    assert (blank.status_code, 'data-level=""' in blank.text) == (200, True)
    wrong = alice.get("/incidents/new/assess?users_affected_pct=140")
    assert wrong.status_code == 422
    assert "must be between 0 and 100" in wrong.text
    assert browser("vera").get("/incidents/new/assess?users_affected_pct=1").status_code == 403


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "   "}, "title", "enter a title"),
        ({"title": "x" * 501}, "title", "must be at most 500 characters"),
        ({"service": "nonexistent"}, "service", "no service called"),
        ({"severity": ""}, "severity", "choose a severity"),
        ({"severity": "P9"}, "severity", "unknown severity"),
        ({"users_affected_pct": "101"}, "users_affected_pct", "must be between 0 and 100"),
        ({"users_affected_pct": "-1"}, "users_affected_pct", "must be between 0 and 100"),
        ({"users_affected_pct": "nan"}, "users_affected_pct", "must be between 0 and 100"),
        ({"users_affected_pct": "lots"}, "users_affected_pct", "enter a number"),
        ({"error_rate_pct": "250"}, "error_rate_pct", "must be between 0 and 100"),
    ],
)
def test_bad_input_rerenders_the_form_with_the_error_by_its_field_and_writes_nothing(
    browser: Browser, services, session: Session, fields, field, message
):
    alice = browser("alice")
    good = {
        "title": "Search is slow",
        "service": "search",
        "summary": "p99 at 4s",
        "severity": "P3",
        "users_affected_pct": "20",
        "workaround": "1",
        "action": "declare",
    }
    answer = alice.post("/incidents/new", data=_form(alice, **{**good, **fields}))
    assert answer.status_code == 422
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', answer.text)
    assert error
    assert message in html.unescape(error.group(1))
    assert f'aria-describedby="{field}-error"' in answer.text
    kept = {**good, **fields}
    if field != "title":
        assert 'value="Search is slow"' in answer.text
    assert ">p99 at 4s</textarea>" in answer.text
    assert 'name="workaround" value="1" checked' in answer.text
    if field not in ("users_affected_pct",):
        assert f'value="{kept["users_affected_pct"]}"' in answer.text
    assert _incident_count(session) == 0


def test_a_script_in_the_title_is_escaped_when_the_form_comes_back(
    browser: Browser, services, session: Session
):
    alice = browser("alice")
    title = '"><script>alert(1)</script>'
    answer = alice.post(
        "/incidents/new", data=_form(alice, title=title, severity="", action="declare")
    )
    assert answer.status_code == 422
    assert "<script>alert(1)</script>" not in answer.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in answer.text
    assert _incident_count(session) == 0


def test_a_viewer_may_neither_see_nor_post_the_form(browser: Browser, services, session: Session):
    vera = browser("vera")
    assert vera.get("/incidents/new").status_code == 403
    token = csrf_of(vera.get("/incidents").text)
    answer = vera.post(
        "/incidents/new",
        data={"csrf_token": token, "title": "x", "severity": "P1", "action": "declare"},
    )
    assert answer.status_code == 403
    assert "responder role" in answer.text
    assert _incident_count(session) == 0


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(
    browser: Browser, services, session: Session
):
    alice = browser("alice")
    fields = {"title": "Forged", "severity": "P1", "action": "declare"}
    assert alice.post("/incidents/new", data=fields).status_code == 403
    wrong = {**fields, "csrf_token": "not-the-token"}
    assert alice.post("/incidents/new", data=wrong).status_code == 403
    assert _incident_count(session) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient, web_users):
    answer = client.get("/incidents/new", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/login?next=%2Fincidents%2Fnew",
    )
