"""The admin pages: users, escalation policies as text lines, schedules; admins only."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.clock import FakeClock
from warroom.escalation import policies
from warroom.escalation.policies import StepSpec
from warroom.oncall import service as oncall
from warroom.oncall.layers import LayerSpec
from warroom.oncall.models import Override, Schedule
from warroom.users import service as users
from warroom.users.models import AuditEntry, User

from .conftest import PASSWORD, csrf_of, sign_in_as

ADMIN_PAGES = [
    "/admin",
    "/admin/users",
    "/admin/policies",
    "/admin/policies/new",
    "/admin/policies/primary/edit",
    "/admin/schedules",
    "/admin/schedules/day-shift/edit",
]
STEPS = "0m: user:alice, schedule:day-shift\n15m: user:ada, role:incident_commander"


@pytest.fixture
def configured(session: Session, change: Change, clock: FakeClock, web_users: dict[str, str]):
    """Schedule ``day-shift`` (alice, vera; an override for ada) and policy ``primary``."""
    schedule = oncall.create_schedule(
        session,
        change=change,
        name="day-shift",
        time_zone="Europe/Berlin",
        layers=[
            LayerSpec(
                name="main", kind="weekly", handoff="2025-11-03T09:00", users=["alice", "vera"]
            )
        ],
    )
    start = clock.now() + timedelta(hours=2)
    oncall.add_override(
        session,
        change=change,
        schedule=schedule,
        user_handle="ada",
        start=start,
        end=start + timedelta(hours=8),
    )
    policies.create_policy(
        session,
        change=change,
        name="primary",
        repeat=1,
        steps=[StepSpec(after="5m", targets=[{"user": "alice"}, {"schedule": "day-shift"}])],
    )
    session.commit()


def _audits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _stored_steps(session: Session, name: str) -> list[dict[str, object]]:
    session.expire_all()
    return policies.get_policy(session, name).steps


def test_admin_pages_list_real_data(
    browser, session: Session, change: Change, clock: FakeClock, configured: None
):
    users.create_user(session, change=change, handle="nopass", name="No Pass", email="n@x.org")
    locked = users.get_user(session, "alice")
    locked.locked_until = clock.now() + timedelta(minutes=10)
    session.commit()
    ada = browser("ada")
    for path in ADMIN_PAGES:
        assert ada.get(path).status_code == 200, path
    listed = ada.get("/admin/users").text
    nopass = listed.split('id="user-nopass"')[1].split("</tr>")[0]
    assert "No Pass" in nopass
    assert "n@x.org" in nopass
    assert "UTC" in nopass
    assert '<option value="responder" selected>' in nopass
    assert "none" in nopass
    assert "open" in nopass
    alice = listed.split('id="user-alice"')[1].split("</tr>")[0]
    assert "<strong>locked</strong>" in alice
    assert "Unlock" in alice
    assert "set" in listed.split('id="user-ada"')[1].split("</tr>")[0]

    shown = ada.get("/admin/policies").text
    assert (
        "after <strong>5m</strong>: <code>user:alice</code>, <code>schedule:day-shift</code>"
        in (shown)
    )
    assert "Repeat: 1 more round after the last step" in shown

    schedules = ada.get("/admin/schedules").text
    assert "alice, vera" in schedules
    assert "2025-11-03T09:00" in schedules
    assert "Europe/Berlin" in schedules
    assert "weekly" in schedules
    assert "ada: <time" in schedules


def test_an_admin_adds_a_user_who_can_then_sign_in(browser, session: Session, client: TestClient):
    ada = browser("ada")
    token = csrf_of(ada.get("/admin/users").text)
    made = ada.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "handle": "bob",
            "name": "Bob Builder",
            "email": "bob@example.com",
            "time_zone": "Europe/Paris",
            "role": "viewer",
        },
        follow_redirects=False,
    )
    assert (made.status_code, made.headers["location"]) == (303, "/admin/users#user-bob")
    bob = users.get_user(session, "bob")
    assert (bob.name, bob.email, bob.time_zone, bob.role) == (
        "Bob Builder",
        "bob@example.com",
        "Europe/Paris",
        "viewer",
    )
    promoted = ada.post(
        "/admin/users/bob/role",
        data={"csrf_token": token, "role": "admin"},
        follow_redirects=False,
    )
    assert promoted.status_code == 303
    new_password = "a long and new secret"
    set_answer = ada.post(
        "/admin/users/bob/password",
        data={"csrf_token": token, "password": new_password},
        follow_redirects=False,
    )
    assert set_answer.status_code == 303
    session.expire_all()
    assert users.get_user(session, "bob").role == "admin"
    sign_in_as(client, "bob", new_password)
    assert client.get("/admin/users").status_code == 200


def test_user_form_errors_name_the_field_and_write_nothing(browser, session: Session):
    ada = browser("ada")
    token = csrf_of(ada.get("/admin/users").text)
    before = _audits(session)
    short = ada.post("/admin/users/alice/password", data={"csrf_token": token, "password": "short"})
    assert short.status_code == 422
    assert "password: must be at least 10 characters long" in short.text
    bad_zone = ada.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "handle": "carl",
            "name": "Carl",
            "email": "carl@example.com",
            "time_zone": "Mars/Olympus",
        },
    )
    assert bad_zone.status_code == 422
    assert "time_zone: unknown time zone" in bad_zone.text
    taken = ada.post(
        "/admin/users",
        data={"csrf_token": token, "handle": "alice", "name": "A", "email": "a2@example.com"},
    )
    assert taken.status_code == 409
    bad_role = ada.post("/admin/users/alice/role", data={"csrf_token": token, "role": "root"})
    assert bad_role.status_code == 422
    assert "role: unknown role" in bad_role.text
    session.expire_all()
    assert session.scalar(select(User).where(User.handle == "carl")) is None
    assert users.get_user(session, "alice").role == "responder"
    assert _audits(session) == before


def test_the_only_admin_cannot_give_up_the_role(browser, session: Session):
    ada = browser("ada")
    answer = ada.post(
        "/admin/users/ada/role",
        data={"csrf_token": csrf_of(ada.get("/admin/users").text), "role": "responder"},
    )
    assert answer.status_code == 409
    assert "only admin" in answer.text
    session.expire_all()
    assert users.get_user(session, "ada").role == "admin"


def test_an_admin_unlocks_a_locked_out_user(browser, session: Session, client: TestClient):
    for _ in range(5):
        form = client.get("/login")
        client.post(
            "/login",
            data={"username": "alice", "password": "guess", "csrf_token": csrf_of(form.text)},
        )
    assert users.get_user(session, "alice").locked_until is not None
    ada = browser("ada")
    answer = ada.post(
        "/admin/users/alice/unlock",
        data={"csrf_token": csrf_of(ada.get("/admin/users").text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    session.expire_all()
    assert users.get_user(session, "alice").locked_until is None
    sign_in_as(client, "alice", PASSWORD)


def test_a_policy_round_trips_through_the_text_syntax(
    browser, session: Session, configured: None, admin: dict[str, str], client: TestClient
):
    ada = browser("ada")
    form = ada.get("/admin/policies/primary/edit")
    assert "5m: user:alice, schedule:day-shift</textarea>" in form.text
    saved = ada.post(
        "/admin/policies/primary",
        data={
            "csrf_token": csrf_of(form.text),
            "description": "Checkout team",
            "repeat": "2",
            "steps": f"# who first\n{STEPS}\n\n1h30m: user:vera\n",
        },
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/admin/policies#policy-primary")
    api = client.get("/api/v1/escalation-policies/primary", headers=admin).json()
    assert api["repeat"] == 2
    assert api["description"] == "Checkout team"
    assert api["steps"] == [
        {"after": "0s", "targets": [{"user": "alice"}, {"schedule": "day-shift"}]},
        {"after": "15m", "targets": [{"user": "ada"}, {"role": "incident_commander"}]},
        {"after": "1h30m", "targets": [{"user": "vera"}]},
    ]
    again = ada.get("/admin/policies/primary/edit").text
    assert (
        "0s: user:alice, schedule:day-shift\n15m: user:ada, role:incident_commander\n"
        "1h30m: user:vera</textarea>"
    ) in again


def test_a_new_policy_is_created_from_text(browser, session: Session, configured: None):
    ada = browser("ada")
    token = csrf_of(ada.get("/admin/policies/new").text)
    made = ada.post(
        "/admin/policies",
        data={
            "csrf_token": token,
            "name": "checkout",
            "repeat": "",
            "steps": STEPS,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert _stored_steps(session, "checkout") == [
        {"after_seconds": 0, "targets": [{"user": "alice"}, {"schedule": "day-shift"}]},
        {"after_seconds": 900, "targets": [{"user": "ada"}, {"role": "incident_commander"}]},
    ]
    duplicate = ada.post(
        "/admin/policies", data={"csrf_token": token, "name": "checkout", "steps": STEPS}
    )
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.text


@pytest.mark.parametrize(
    ("steps", "said"),
    [
        ("0m: user:alice\n15m user:ada", "steps: line 2: &#39;15m user&#39; is not a delay"),
        ("0m: user:alice\n\n15m: ada", "steps: line 3: &#39;ada&#39; is not a target"),
        ("0m: user:alice\n15m: user:nobody", "steps: line 2: no user with handle &#39;nobody&#39;"),
        ("# first\nsoon: user:alice", "steps: line 2: &#39;soon&#39; is not a delay"),
        ("0m: user:alice\n8d: user:ada", "steps: line 2: must be at most 7d"),
        ("0m: schedule:nightly", "steps: line 1: no schedule called &#39;nightly&#39;"),
        ("0m:", "steps: line 1: a step needs at least one target"),
        ("# nothing", "steps: a policy needs at least one step"),
    ],
)
def test_an_invalid_policy_line_is_a_422_naming_it_and_nothing_is_written(
    browser, session: Session, configured: None, steps: str, said: str
):
    before = (_stored_steps(session, "primary"), _audits(session))
    ada = browser("ada")
    answer = ada.post(
        "/admin/policies/primary",
        data={
            "csrf_token": csrf_of(ada.get("/admin/policies/primary/edit").text),
            "repeat": "3",
            "steps": steps,
        },
    )
    assert answer.status_code == 422
    assert said in answer.text
    assert f">{steps.replace(chr(39), '&#39;')}</textarea>" in answer.text  # the form keeps it
    assert 'aria-invalid="true"' in answer.text
    assert (_stored_steps(session, "primary"), _audits(session)) == before
    assert policies.get_policy(session, "primary").repeat == 1


def test_responders_and_viewers_get_403_on_every_admin_page_and_post(
    browser, session: Session, configured: None
):
    override_id = session.scalar(select(Override.id))
    posts = {
        "/admin/users": {"handle": "eve", "name": "Eve", "email": "eve@example.com"},
        "/admin/users/alice/role": {"role": "admin"},
        "/admin/users/alice/password": {"password": "a long and new secret"},
        "/admin/users/alice/unlock": {},
        "/admin/policies": {"name": "sneaky", "steps": "0m: user:alice"},
        "/admin/policies/primary": {"steps": "0m: user:alice"},
        "/admin/schedules": {
            "name": "sneaky",
            "time_zone": "UTC",
            "participants": "alice",
            "start": "2025-11-03T09:00",
            "shift_length": "1d",
        },
        f"/admin/schedules/day-shift/overrides/{override_id}/delete": {},
        "/admin/schedules/day-shift": {"document": "schedules: []"},
    }
    before = _audits(session)
    for handle in ("alice", "vera"):
        client = browser(handle)
        assert "/admin" not in client.get("/incidents").text.split("</nav>")[0]
        token = csrf_of(client.get("/incidents").text)
        for path in ADMIN_PAGES:
            answer = client.get(path)
            assert answer.status_code == 403, path
            assert "this needs the admin role" in answer.text
        for path, fields in posts.items():
            assert client.post(path, data={"csrf_token": token, **fields}).status_code == 403, path
    assert _audits(session) == before
    assert _stored_steps(session, "primary")[0]["after_seconds"] == 300
    assert session.scalar(select(func.count()).select_from(Override)) == 1


def test_admin_posts_without_the_csrf_token_are_refused(
    browser, session: Session, configured: None
):
    ada = browser("ada")
    before = _audits(session)
    fields = {"handle": "eve", "name": "Eve", "email": "eve@example.com", "csrf_token": "forged"}
    assert ada.post("/admin/users", data=fields).status_code == 403
    assert ada.post("/admin/policies/primary", data={"steps": "0m: user:ada"}).status_code == 403
    assert _audits(session) == before
    assert session.scalar(select(User).where(User.handle == "eve")) is None


def test_an_admin_adds_a_schedule_with_one_rotation(browser, session: Session, configured: None):
    ada = browser("ada")
    token = csrf_of(ada.get("/admin/schedules").text)
    made = ada.post(
        "/admin/schedules",
        data={
            "csrf_token": token,
            "name": "nights",
            "time_zone": "America/New_York",
            "participants": "vera, alice ,ada",
            "start": "2025-11-03T21:00",
            "shift_length": "12h",
        },
        follow_redirects=False,
    )
    assert (made.status_code, made.headers["location"]) == (303, "/admin/schedules#schedule-nights")
    nights = oncall.get_schedule(session, "nights")
    (layer,) = nights.layers
    assert (nights.time_zone, layer.kind, layer.length_seconds, layer.handoff) == (
        "America/New_York",
        "custom",
        12 * 3600,
        "2025-11-03T21:00",
    )
    assert [m.user.handle for m in layer.members] == ["vera", "alice", "ada"]
    daily = ada.post(
        "/admin/schedules",
        data={
            "csrf_token": token,
            "name": "days",
            "time_zone": "UTC",
            "participants": "ada",
            "start": "2025-11-03T09:00",
            "shift_length": "1d",
        },
    )
    assert daily.status_code == 200
    assert oncall.get_schedule(session, "days").layers[0].kind == "daily"
    assert "vera, alice, ada" in daily.text


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("participants", "alice, nobody", "participants: no user with handle &#39;nobody&#39;"),
        ("shift_length", "soon", "shift_length: &#39;soon&#39; is not a duration"),
        ("shift_length", "30m", "shift_length: must be between 1h and 366d"),
        ("start", "next monday", "start: &#39;next monday&#39; is not a local date-time"),
        ("time_zone", "Mars/Olympus", "time_zone: unknown time zone"),
        ("name", "Night Shift", "name: use 1-64 lowercase letters"),
    ],
)
def test_schedule_form_errors_name_the_field_and_write_nothing(
    browser, session: Session, configured: None, field: str, value: str, said: str
):
    ada = browser("ada")
    fields = {
        "csrf_token": csrf_of(ada.get("/admin/schedules").text),
        "name": "nights",
        "time_zone": "UTC",
        "participants": "alice",
        "start": "2025-11-03T21:00",
        "shift_length": "12h",
        field: value,
    }
    answer = ada.post("/admin/schedules", data=fields)
    assert answer.status_code == 422
    assert said in answer.text
    assert session.scalar(select(func.count()).select_from(Schedule)) == 1


def test_an_admin_deletes_an_override(browser, session: Session, configured: None):
    override_id = session.scalar(select(Override.id))
    ada = browser("ada")
    page = ada.get("/admin/schedules")
    assert f"/admin/schedules/day-shift/overrides/{override_id}/delete" in page.text
    gone = ada.post(
        f"/admin/schedules/day-shift/overrides/{override_id}/delete",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert (gone.status_code, gone.headers["location"]) == (
        303,
        "/admin/schedules#schedule-day-shift",
    )
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Override)) == 0
    again = ada.post(
        f"/admin/schedules/day-shift/overrides/{override_id}/delete",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert again.status_code == 404
    assert "has no override" in again.text
    assert "No current or coming overrides" in ada.get("/admin/schedules").text


def test_user_names_are_escaped_on_the_admin_pages(browser, session: Session, change: Change):
    users.create_user(
        session,
        change=change,
        handle="mallory",
        name="<script>alert(1)</script>",
        email="m@example.com",
    )
    session.commit()
    listed = browser("ada").get("/admin/users").text
    assert "<script>alert(1)" not in listed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed


def _schedule_document(ada: TestClient) -> str:
    form = ada.get("/admin/schedules/day-shift/edit")
    assert form.status_code == 200
    found = re.search(
        r'<textarea id="document" name="document"[^>]*>(.*?)</textarea>', form.text, re.S
    )
    assert found is not None
    return html.unescape(found.group(1))


def test_a_schedule_is_edited_as_yaml_and_keeps_its_overrides(
    browser, session: Session, configured: None
):
    ada = browser("ada")
    document = _schedule_document(ada)
    assert "name: day-shift" in document
    assert "- alice\n    - vera" in document
    edited = document.replace("- alice\n    - vera", "- vera\n    - ada").replace(
        "kind: weekly", "kind: daily"
    )
    token = csrf_of(ada.get("/admin/schedules").text)
    answer = ada.post(
        "/admin/schedules/day-shift",
        data={"csrf_token": token, "document": edited},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    schedule = oncall.get_schedule(session, "day-shift")
    session.refresh(schedule)
    (layer,) = schedule.layers
    assert (layer.kind, [m.user.handle for m in layer.members]) == ("daily", ["vera", "ada"])
    assert session.scalar(select(func.count()).select_from(Override)) == 1


@pytest.mark.parametrize(
    ("change_text", "message"),
    [
        (lambda d: d.replace("- vera", "- nobody"), "nobody"),
        (lambda d: d.replace("name: day-shift", "name: other-shift"), "exactly one entry"),
        (
            lambda d: d + "users:\n- handle: eve\n  name: Eve\n  email: eve@example.com\n",
            "exactly one entry",
        ),
        (lambda d: d.replace("kind: weekly", "kind: fortnightly"), "fortnightly"),
        (lambda d: "schedules: [", "schedules"),
    ],
)
def test_a_bad_schedule_edit_is_a_422_keeping_the_text_and_writing_nothing(
    browser, session: Session, configured: None, change_text, message: str
):
    ada = browser("ada")
    bad = change_text(_schedule_document(ada))
    before = _audits(session)
    token = csrf_of(ada.get("/admin/schedules").text)
    answer = ada.post("/admin/schedules/day-shift", data={"csrf_token": token, "document": bad})
    assert answer.status_code == 422
    assert message in html.unescape(answer.text)
    assert html.escape(bad, quote=False).splitlines()[0] in answer.text
    assert _audits(session) == before
    schedule = oncall.get_schedule(session, "day-shift")
    session.refresh(schedule)
    assert [m.user.handle for m in schedule.layers[0].members] == ["alice", "vera"]
