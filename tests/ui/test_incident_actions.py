"""The incident page's one-click forms: each acts as the user, lands on the timeline, and is
refused (writing nothing) without the role, without the CSRF token, or with bad input."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from itertools import cycle

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from warroom.clock import FakeClock

from .incident_helpers import (
    INCIDENTS,
    declare,
    import_demo_runbook,
    make_policy,
    post_form,
    timeline_kinds,
    written,
)

Browser = Callable[[str], TestClient]


def _timeline(page: str) -> str:
    return page[page.index('id="incident-timeline"') :]


def test_quick_actions_act_as_the_user_and_show_on_the_timeline(
    browser: Browser, client: TestClient, admin: dict[str, str], clock: FakeClock
) -> None:
    make_policy(client, admin)
    ref = declare(client, admin, escalation_policy="primary")
    alice = browser("alice")
    escalated = post_form(alice, ref, "escalate")
    assert escalated.status_code == 303
    assert escalated.headers["location"] == f"/incidents/{ref}#incident-paging"
    clock.advance(minutes=3)
    acknowledged = post_form(alice, ref, "acknowledge")
    assert (acknowledged.status_code, acknowledged.headers["location"]) == (
        303,
        f"/incidents/{ref}",
    )
    assert post_form(alice, ref, "acknowledge").status_code == 303  # a double click: no-op
    assert post_form(alice, ref, "severity", severity="sev2").status_code == 303
    moved = post_form(alice, ref, "status", status="identified", note="bad deploy")
    assert moved.status_code == 303
    assert post_form(alice, ref, "resolve").status_code == 303
    assert post_form(alice, ref, "resolve").status_code == 303

    kinds = timeline_kinds(client, admin, ref)
    assert kinds[kinds.index("escalated") :] == [
        "escalated",
        "paged",
        "status_changed",
        "severity_changed",
        "status_changed",
        "status_changed",
    ]
    page = alice.get(f"/incidents/{ref}").text
    timeline = _timeline(page)
    assert "<strong>Escalated by hand</strong>" in timeline
    assert '<strong>Severity changed</strong> · P3 → P2 <span class="muted">by alice</span>' in (
        timeline
    )
    assert "triggered → acknowledged" in timeline
    assert "acknowledged → identified" in timeline
    assert "bad deploy" in timeline
    assert "identified → resolved" in timeline
    assert "status-resolved" in page
    assert "data-shortcut-ack" not in page
    assert f'action="/incidents/{ref}/resolve"' not in page
    moves = re.findall(r'<option value="(\w+)">', page.split('id="status-select"')[1][:400])
    assert moves == ["investigating", "closed"]
    assert "by alice" in page[: page.index('id="incident-roles"')]


def test_roles_notes_and_updates_from_the_page(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    ref = declare(client, admin, severity="P2")
    alice = browser("alice")
    assigned = post_form(alice, ref, "roles", role="commander", user="ada")
    assert (assigned.status_code, assigned.headers["location"]) == (
        303,
        f"/incidents/{ref}#incident-roles",
    )
    roles = alice.get(f"/incidents/{ref}").text
    assert "<strong>Incident commander</strong>: Ada" in roles
    assert "P2 needs: Engineering lead" in roles
    unassigned = post_form(alice, ref, "roles/incident_commander/unassign")
    assert unassigned.status_code == 303
    assert post_form(alice, ref, "notes", text="Checked the\nload balancer").status_code == 303
    internal = post_form(alice, ref, "updates", audience="internal", body="Rollback started")
    assert internal.headers["location"] == f"/incidents/{ref}#updates-title"
    public = post_form(
        alice,
        ref,
        "updates",
        audience="public",
        status="identified",
        template="update",
        var_details="Payments are slow",
        var_eta="",
    )
    assert public.status_code == 303, public.text

    kinds = timeline_kinds(client, admin, ref)
    assert kinds[1:] == [
        "role_assigned",
        "role_unassigned",
        "note",
        "status_update",
        "status_page_update",
        "status_update",
    ]
    page = alice.get(f"/incidents/{ref}").text
    assert "Nobody holds a role yet." in page
    timeline = _timeline(page)
    assert "Incident commander: ada" in timeline
    assert '<p class="prose">Checked the\nload balancer</p>' in timeline
    updates = page[page.index('id="incident-updates"') : page.index("Post an update")]
    assert '<strong>Public</strong> <span class="muted">identified</span>' in updates
    assert "from the update template" in updates
    assert "Payments are slow" in updates
    assert "Rollback started" in updates
    assert updates.index("Payments are slow") < updates.index("Rollback started")


def test_following_a_runbook_and_ticking_its_steps(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    import_demo_runbook(client, admin)
    ref = declare(client, admin, title="Orders database pool", severity="P3")
    alice = browser("alice")
    assert post_form(alice, ref, "runbook/suggest").status_code == 303
    page = alice.get(f"/incidents/{ref}").text
    section = re.search(r'name="section" value="([^"]+)"', page)
    assert section is not None
    assert post_form(alice, ref, "runbook", section=html.unescape(section.group(1))).status_code
    ticked = post_form(alice, ref, "checklist/1/done")
    assert ticked.headers["location"] == f"/incidents/{ref}#incident-runbook"
    assert post_form(alice, ref, "checklist/2/done").status_code == 303
    assert post_form(alice, ref, "checklist/2/undone").status_code == 303
    page = alice.get(f"/incidents/{ref}").text
    assert page.count('aria-pressed="true"') == 1
    assert f'action="/incidents/{ref}/checklist/1/undone"' in page
    assert "by alice</small>" in page
    kinds = timeline_kinds(client, admin, ref)
    assert kinds[-4:] == [
        "runbook_accepted",
        "checklist_item_done",
        "checklist_item_done",
        "checklist_item_undone",
    ]
    assert "runbook_suggested" in kinds
    assert "<strong>Checklist item done</strong> · Step 1: Count connections by state" in page


ACTIONS = [
    ("acknowledge", {}),
    ("resolve", {}),
    ("escalate", {}),
    ("status", {"status": "investigating"}),
    ("severity", {"severity": "P1"}),
    ("roles", {"role": "ic", "user": "alice"}),
    ("roles/incident_commander/unassign", {}),
    ("notes", {"text": "hello"}),
    ("updates", {"audience": "internal", "body": "hello"}),
    ("runbook", {"section": "1:x"}),
    ("runbook/suggest", {}),
    ("checklist/1/done", {}),
    ("checklist/1/undone", {}),
]


@pytest.mark.parametrize(("action", "fields"), ACTIONS)
def test_a_viewer_is_refused_and_nothing_is_written(
    browser: Browser,
    client: TestClient,
    admin: dict[str, str],
    engine: Engine,
    action: str,
    fields: dict[str, str],
) -> None:
    ref = declare(client, admin)
    vera = browser("vera")
    token = re.search(r'name="csrf_token" value="([^"]+)"', vera.get(f"/incidents/{ref}").text)
    assert token is not None  # the sign-out form's, which the viewer does have
    before = written(engine)
    answer = vera.post(
        f"/incidents/{ref}/{action}",
        data={"csrf_token": token.group(1), **fields},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "this needs the responder role" in answer.text
    assert written(engine) == before


# Each action once, missing the token, with an empty one or with another one.
CSRF_CASES = [
    (action, fields, token)
    for (action, fields), token in zip(ACTIONS[:9], cycle([None, "", "not-the-token"]))
]


@pytest.mark.parametrize(("action", "fields", "token"), CSRF_CASES)
def test_a_post_without_the_right_csrf_token_is_refused(
    browser: Browser,
    client: TestClient,
    admin: dict[str, str],
    engine: Engine,
    action: str,
    fields: dict[str, str],
    token: str | None,
) -> None:
    ref = declare(client, admin)
    alice = browser("alice")
    client.post(f"{INCIDENTS}/{ref}/roles", json={"role": "ic", "user": "ada"}, headers=admin)
    before = written(engine)
    data = fields if token is None else {**fields, "csrf_token": token}
    answer = alice.post(f"/incidents/{ref}/{action}", data=data, follow_redirects=False)
    assert answer.status_code == 403
    assert "the form has expired" in answer.text
    assert written(engine) == before


BAD_INPUT = [
    ("severity", {"severity": "P9"}, 422, "severity: unknown severity 'P9'"),
    ("severity", {}, 422, "severity: must not be empty"),
    ("status", {"status": "closed"}, 409, "cannot move from triggered to closed"),
    ("status", {"status": "sideways"}, 422, "status: unknown status 'sideways'"),
    ("status", {"status": "identified", "note": "x" * 2001}, 422, "note: must be at most"),
    ("notes", {"text": "   "}, 422, "text: must not be empty"),
    ("notes", {}, 422, "text: must not be empty"),
    ("roles", {"role": "ic", "user": "nobody"}, 422, "user: no user with handle 'nobody'"),
    ("roles", {"role": "", "user": "alice"}, 422, "role: must not be empty"),
    ("roles", {"role": "1 bad!", "user": "alice"}, 422, "is not a role name"),
    ("roles/ghost/unassign", {}, 404, "nobody holds the role ghost"),
    ("updates", {"audience": "everyone", "body": "x"}, 422, "audience: use one of"),
    ("updates", {"audience": "internal"}, 422, "body: write the update or pick a template"),
    ("updates", {"audience": "internal", "template": "update"}, 422, "needs vars actions"),
    ("updates", {"audience": "internal", "template": "nope"}, 422, "unknown template 'nope'"),
    ("runbook", {"section": "99:nope"}, 404, "no runbook section '99:nope'"),
    ("runbook", {}, 422, "section: must not be empty"),
    ("checklist/abc/done", {}, 422, "item: 'abc' is not a checklist step number"),
    ("checklist/7/done", {}, 404, "has no checklist item 7"),
    ("escalate", {}, 409, "no escalation policy"),
]


@pytest.mark.parametrize(("action", "fields", "status", "words"), BAD_INPUT)
def test_bad_input_is_a_page_naming_the_problem_and_nothing_is_written(
    browser: Browser,
    client: TestClient,
    admin: dict[str, str],
    engine: Engine,
    action: str,
    fields: dict[str, str],
    status: int,
    words: str,
) -> None:
    ref = declare(client, admin)
    alice = browser("alice")
    before = written(engine)
    answer = post_form(alice, ref, action, **fields)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert words in html.unescape(answer.text)
    assert written(engine) == before


def test_acting_on_an_unknown_incident_is_a_404_page(browser: Browser, engine: Engine) -> None:
    alice = browser("alice")
    token = re.search(r'name="csrf_token" value="([^"]+)"', alice.get("/incidents").text)
    assert token is not None
    before = written(engine)
    answer = alice.post(
        "/incidents/incident-2025-11-01-404/notes",
        data={"csrf_token": token.group(1), "text": "hello"},
        follow_redirects=False,
    )
    assert answer.status_code == 404
    assert "no incident" in answer.text
    assert written(engine) == before


def test_signed_out_posts_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    ref = declare(client, admin)
    answer = client.post(f"/incidents/{ref}/acknowledge", follow_redirects=False)
    assert answer.status_code == 401
    assert timeline_kinds(client, admin, ref) == ["declared"]


def test_a_closed_incident_offers_no_moves_and_no_update_form(
    browser: Browser, client: TestClient, admin: dict[str, str]
) -> None:
    ref = declare(client, admin, severity="P4")
    alice = browser("alice")
    assert post_form(alice, ref, "resolve").status_code == 303
    assert post_form(alice, ref, "status", status="closed").status_code == 303
    page = alice.get(f"/incidents/{ref}").text
    assert "status-closed" in page
    for action in ("status", "severity", "resolve", "acknowledge", "updates"):
        assert f'action="/incidents/{ref}/{action}"' not in page
    assert f'action="/incidents/{ref}/notes"' in page
    refused = post_form(alice, ref, "status", status="investigating")
    assert refused.status_code == 409
    assert "it is closed" in html.unescape(refused.text)
