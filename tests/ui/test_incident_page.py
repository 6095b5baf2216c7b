"""The incident page: every section with real data, escaping, live regions, bounded queries."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Engine, event

from warroom.clock import FakeClock
from warroom.web.ui import incident_page

from .incident_helpers import (
    CHECKOUT_TITLE,
    IMG,
    INCIDENTS,
    SCRIPT,
    declare,
    fire_alert,
    import_demo_runbook,
    make_policy,
    post_form,
)

Browser = Callable[[str], TestClient]
_ACTION = re.compile(r'<form method="post" action="(/incidents/[^"]+)"')


def _section(page: str, section_id: str) -> str:
    """The HTML of the element with ``id`` up to the next live region or the end."""
    start = page.index(f'id="{section_id}"')
    following = page.find("data-live-region", page.index(">", start))
    return page[start : following if following != -1 else len(page)]


def test_the_header_shows_the_incident_and_its_quick_actions(
    browser: Browser, client: TestClient, admin: dict[str, str], clock: FakeClock
) -> None:
    ref = declare(client, admin, title="Orders slow", severity="P2", impact="Slow checkout")
    clock.advance(minutes=12)
    page = browser("alice").get(f"/incidents/{ref}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    header = _section(page.text, "incident-header")
    assert "<h1" in header
    assert "Orders slow" in header
    assert 'class="sev sev-P2"' in header
    assert "▲" in header
    assert "status-triggered" in header
    assert "ack SLA breached" not in header
    assert "ack due in 18m" in header
    assert "orders" in header
    assert "12m" in header
    assert "Slow checkout" in header
    assert "data-shortcut-ack" in header
    for action in ("acknowledge", "resolve", "severity", "status"):
        assert f'action="/incidents/{ref}/{action}"' in header
    assert f'action="/incidents/{ref}/escalate"' not in header  # no escalation policy
    moves = re.findall(r'<option value="(\w+)">', header.split('name="status"')[1])
    assert moves == ["acknowledged", "investigating", "identified", "monitoring", "resolved"]


def test_live_updates_name_the_incident_and_each_section_is_a_region(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    ref = declare(client, admin)
    page = browser("vera").get(f"/incidents/{ref}").text
    assert f'data-live="/ui/events?incident={ref}"' in page
    for region in (
        "incident-header",
        "incident-roles",
        "incident-paging",
        "incident-postmortem",
        "incident-runbook",
        "incident-alerts",
        "incident-updates",
        "incident-timeline",
    ):
        assert re.search(rf'id="{region}" data-live-region', page), region


def test_alerts_show_source_status_count_and_labels(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    ref = fire_alert(client, admin, instance="web-1", team="payments")
    page = browser("vera").get(f"/incidents/{ref}").text
    alerts = _section(page, "incident-alerts")
    assert 'Alerts <span class="muted">(1)</span>' in alerts
    assert "prom (alertmanager)" in alerts
    assert "alert-firing" in alerts
    assert "1 event " in alerts
    assert "<details>" in alerts
    assert "<dt>team</dt><dd><code>payments</code></dd>" in alerts
    assert "<dt>instance</dt><dd><code>web-1</code></dd>" in alerts
    assert "checkout-api" in _section(page, "incident-header")


def test_paging_shows_the_escalation_who_was_paged_and_who_acknowledged(
    browser: Browser, client: TestClient, admin: dict[str, str], clock: FakeClock
) -> None:
    make_policy(client, admin)
    ref = declare(client, admin, escalation_policy="primary")
    alice = browser("alice")
    before = _section(alice.get(f"/incidents/{ref}").text, "incident-paging")
    assert "primary" in before
    assert "Nobody has been paged." in before
    assert "step 1 of 2, round 1 of 1" in before
    assert "due now" in before
    assert "user alice" in before
    assert "user ada" in before
    clock.advance(minutes=1)
    assert post_form(alice, ref, "escalate").status_code == 303
    paged = _section(alice.get(f"/incidents/{ref}").text, "incident-paging")
    assert "<strong>Alice</strong>" in paged
    assert "delivery-pending" in paged
    assert "step 1, round 1" in paged
    assert "step 2 of 2" in paged
    assert "in 15m" in paged
    assert 'aria-current="step"' in paged

    clock.advance(minutes=2)
    assert post_form(alice, ref, "acknowledge").status_code == 303
    page = alice.get(f"/incidents/{ref}").text
    assert "by alice" in _section(page, "incident-header")
    assert "data-shortcut-ack" not in page
    assert f'action="/incidents/{ref}/escalate"' not in page  # escalation stops on ack
    handed = client.post(f"{INCIDENTS}/{ref}/reassign", json={"user": "ada"}, headers=admin)
    assert handed.status_code == 200
    page = alice.get(f"/incidents/{ref}").text
    assert "data-shortcut-ack" in page  # triggered again: ada must acknowledge
    assert "user:ada" in _section(page, "incident-paging")


def test_runbook_suggestions_become_a_checklist_with_copyable_commands(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    import_demo_runbook(client, admin)
    ref = declare(client, admin, title=CHECKOUT_TITLE, severity="P1", service="checkout-api")
    alice = browser("alice")
    runbook = _section(alice.get(f"/incidents/{ref}").text, "incident-runbook")
    assert "Suggested runbooks" in runbook
    assert "Checkout API down / 502 from the load balancer (P1)" in runbook
    assert re.search(r"score \d+%", runbook)
    section = re.search(r'name="section" value="([^"]+)"', runbook)
    assert section is not None

    answer = post_form(alice, ref, "runbook", section=html.unescape(section.group(1)))
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        f"/incidents/{ref}#incident-runbook",
    )
    runbook = _section(alice.get(f"/incidents/{ref}").text, "incident-runbook")
    assert "Followed: its steps are the checklist above." in runbook
    assert "<pre><code>deployctl history checkout-api --limit 5</code></pre>" in runbook
    assert 'data-copy="deployctl history checkout-api --limit 5"' in runbook
    assert f'action="/incidents/{ref}/checklist/1/done"' in runbook
    assert runbook.count('aria-pressed="false"') >= 6


def test_updates_and_postmortem_are_shown(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    ref = declare(client, admin, severity="P2")
    update = {"audience": "internal", "body": "Rolled back the deploy"}
    assert client.post(f"{INCIDENTS}/{ref}/updates", json=update, headers=admin).status_code == 201
    client.post(f"{INCIDENTS}/{ref}/status", json={"status": "resolved"}, headers=admin)
    created = client.post(f"{INCIDENTS}/{ref}/postmortem", headers=admin)
    assert created.status_code == 201, created.text
    body = f"# Review\n\n## What happened\n\n{SCRIPT}\n\n[link](javascript:alert(1))\n"
    edited = client.put(f"{INCIDENTS}/{ref}/postmortem", json={"body": body}, headers=admin)
    assert edited.status_code == 200, edited.text
    page = browser("vera").get(f"/incidents/{ref}").text
    assert "Rolled back the deploy" in _section(page, "incident-updates")
    postmortem = _section(page, "incident-postmortem")
    assert "draft" in postmortem
    assert "Read the postmortem" in postmortem
    assert "<h3>Review</h3>" in postmortem  # rendered, its headings under the page's h2
    assert "<h4>What happened</h4>" in postmortem
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in postmortem
    assert "<script>" not in postmortem
    assert "javascript:" not in postmortem.replace("[link](javascript:alert(1))", "")


def test_the_timeline_is_newest_first_in_words_and_pages_back(
    browser: Browser,
    client: TestClient,
    admin: dict[str, str],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ref = declare(client, admin)
    for number in range(1, 4):
        clock.advance(minutes=1)
        note = {"text": f"note {number}"}
        assert client.post(f"{INCIDENTS}/{ref}/notes", json=note, headers=admin).status_code == 201
    monkeypatch.setattr(incident_page, "TIMELINE_PAGE", 2)
    alice = browser("alice")
    first = _section(alice.get(f"/incidents/{ref}").text, "incident-timeline")
    assert first.index("note 3") < first.index("note 2")
    assert "note 1" not in first
    assert "Declared" not in first
    assert "<strong>Note</strong>" in first
    assert "by token:admin-token" in first
    older = re.search(r'href="(/incidents/[^"]+\?before=\d+)', alice.get(f"/incidents/{ref}").text)
    assert older is not None
    second = alice.get(older.group(1)).text
    timeline = _section(second, "incident-timeline")
    assert "note 1" in timeline
    assert "<strong>Declared</strong> · Orders slow" in timeline
    assert "Newest entries" in second


def test_a_viewer_sees_everything_but_no_forms(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    make_policy(client, admin)
    ref = declare(client, admin, escalation_policy="primary")
    client.post(f"{INCIDENTS}/{ref}/roles", json={"role": "ic", "user": "alice"}, headers=admin)
    page = browser("vera").get(f"/incidents/{ref}").text
    assert "Incident commander" in page
    assert "primary" in page
    assert _ACTION.findall(page) == []
    assert "data-shortcut-ack" not in page
    responder = browser("alice").get(f"/incidents/{ref}").text
    assert len(_ACTION.findall(responder)) >= 10


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_user_data_is_escaped_everywhere(
    browser: Browser, client: TestClient, admin: dict[str, str], payload: str
) -> None:
    ref = fire_alert(client, admin, team=payload, summary=payload)
    client.patch(f"{INCIDENTS}/{ref}", json={"title": payload, "impact": payload}, headers=admin)
    client.post(f"{INCIDENTS}/{ref}/notes", json={"text": payload}, headers=admin)
    alice = browser("alice")
    assert post_form(alice, ref, "notes", text=payload).status_code == 303
    update = {"audience": "internal", "body": payload}
    client.post(f"{INCIDENTS}/{ref}/updates", json=update, headers=admin)
    page = alice.get(f"/incidents/{ref}").text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    escaped = str(escape(payload))
    assert page.count(escaped) >= 5, escaped
    assert f"<title>{ref} · {escaped} · warroom</title>" in page
    assert f"<dt>team</dt><dd><code>{escaped}</code></dd>" in page


def test_an_unknown_incident_is_a_404_page(browser: Browser) -> None:
    answer = browser("vera").get("/incidents/incident-2025-11-01-999")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "no incident" in answer.text


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_page_runs_the_same_queries_however_much_the_incident_has(
    browser: Browser, client: TestClient, admin: dict[str, str], engine: Engine
) -> None:
    import_demo_runbook(client, admin)
    make_policy(client, admin)
    ref = fire_alert(client, admin)
    client.patch(f"{INCIDENTS}/{ref}", json={"title": CHECKOUT_TITLE}, headers=admin)
    client.post(f"{INCIDENTS}/{ref}/reassign", json={"escalation_policy": "primary"}, headers=admin)

    def grow(handle: str, count: int) -> None:
        role = {"role": f"role_{handle}", "user": handle}
        client.post(f"{INCIDENTS}/{ref}/roles", json=role, headers=admin)
        for number in range(count):
            client.post(f"{INCIDENTS}/{ref}/notes", json={"text": f"n{number}"}, headers=admin)
            update = {"audience": "internal", "body": f"u{handle}{number}"}
            client.post(f"{INCIDENTS}/{ref}/updates", json=update, headers=admin)
        assert client.post(f"{INCIDENTS}/{ref}/escalate", headers=admin).status_code == 200

    grow("alice", 1)
    suggestions = client.get(f"{INCIDENTS}/{ref}/runbook", headers=admin).json()["suggestions"]
    accept = {"section": suggestions[0]["section_id"]}
    assert client.post(f"{INCIDENTS}/{ref}/runbook", json=accept, headers=admin).status_code == 201
    alice = browser("alice")
    with _statements(engine) as few:
        assert alice.get(f"/incidents/{ref}").status_code == 200
    grow("ada", 15)
    with _statements(engine) as many:
        page = alice.get(f"/incidents/{ref}")
    assert page.status_code == 200
    assert "uada14" in page.text
    assert "Role ada" in page.text
    assert len(many) == len(few), "\n".join(many)
