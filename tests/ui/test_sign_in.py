"""Sign-in: passwords, sessions, lockout, CSRF, session fixation and roles."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.clock import FakeClock
from warroom.users.models import User, WebSession

from .conftest import PASSWORD, csrf_of, sign_in_as


def _post_login(client: TestClient, username: str, password: str) -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def test_signed_out_visitors_are_sent_to_the_sign_in_page(client, web_users):
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/login")
    deep = client.get("/incidents?status=open", follow_redirects=False)
    assert deep.headers["location"] == "/login?next=%2Fincidents%3Fstatus%3Dopen"
    form = client.get("/login")
    assert 'name="username"' in form.text
    assert 'name="password"' in form.text


def test_signing_in_by_handle_or_email_sets_a_safe_cookie_and_lands_on_incidents(client, web_users):
    answer = _post_login(client, "alice", PASSWORD)
    assert (answer.status_code, answer.headers["location"]) == (303, "/incidents")
    cookie = answer.headers["set-cookie"]
    assert "warroom_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; behind TLS it is Secure
    listing = client.get("/incidents")
    assert listing.status_code == 200
    assert "Alice" in listing.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/incidents"
    other = TestClient(client.app)
    assert _post_login(other, "ALICE@example.com", PASSWORD).status_code == 303


def test_the_cookie_is_secure_behind_tls(client, web_users):
    tls = TestClient(client.app, base_url="https://testserver")
    answer = _post_login(tls, "alice", PASSWORD)
    assert "Secure" in answer.headers["set-cookie"]


def test_a_wrong_password_or_unknown_user_gets_the_same_answer(client, web_users):
    wrong = _post_login(client, "alice", "not the password")
    unknown = _post_login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "the username or password is not right" in wrong.text
    assert "the username or password is not right" in unknown.text
    assert "warroom_session" not in wrong.headers.get("set-cookie", "")


def test_empty_fields_are_a_clear_error(client, web_users):
    answer = _post_login(client, "", "")
    assert answer.status_code == 422
    assert "enter your username" in answer.text


def test_five_failures_lock_the_account_for_fifteen_minutes(
    client, web_users, clock: FakeClock, session: Session
):
    for _ in range(5):
        assert _post_login(client, "alice", "guess").status_code == 401
    locked = _post_login(client, "alice", PASSWORD)
    assert locked.status_code == 401
    assert "too many failed sign-ins" in locked.text
    clock.advance(timedelta(minutes=16))
    assert _post_login(client, "alice", PASSWORD).status_code == 303
    user = session.scalar(select(User).where(User.handle == "alice"))
    session.refresh(user)
    assert user.failed_sign_ins == 0
    assert user.locked_until is None


def test_the_login_form_needs_its_csrf_cookie(client, web_users):
    token = csrf_of(client.get("/login").text)
    stranger = TestClient(client.app)  # a cross-site form post has no login cookie
    answer = stranger.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "expired" in answer.text


def test_sign_in_issues_a_new_session_and_ignores_one_the_client_brought(client, web_users):
    client.cookies.set("warroom_session", "planted-by-an-attacker", domain="testserver.local")
    assert client.get("/incidents", follow_redirects=False).status_code == 303
    sign_in_as(client, "alice")
    assert client.cookies.get("warroom_session") != "planted-by-an-attacker"
    first = client.cookies.get("warroom_session")
    sign_in_as(client, "alice")
    assert client.cookies.get("warroom_session") != first


def test_sign_out_ends_the_session_on_the_server(client, web_users, session: Session):
    sign_in_as(client, "alice")
    stolen = client.cookies.get("warroom_session")
    page = client.get("/incidents")
    answer = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    replay = TestClient(client.app)
    replay.cookies.set("warroom_session", stolen)
    assert replay.get("/incidents", follow_redirects=False).status_code == 303
    assert session.scalars(select(WebSession)).all() == []


def test_sign_out_without_the_csrf_token_is_refused(client, web_users):
    sign_in_as(client, "alice")
    answer = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert answer.status_code == 403
    assert client.get("/incidents").status_code == 200


def test_sessions_expire_after_twelve_hours(client, web_users, clock: FakeClock):
    sign_in_as(client, "alice")
    clock.advance(timedelta(hours=12, seconds=1))
    assert client.get("/incidents", follow_redirects=False).status_code == 303


def test_a_new_password_ends_existing_sessions(client, web_users, session, change):
    from warroom.users import service, sign_in

    sign_in_as(client, "alice")
    user = service.get_user(session, "alice")
    sign_in.set_password(session, change=change, user=user, password="another long secret")
    session.commit()
    assert client.get("/incidents", follow_redirects=False).status_code == 303


def test_the_next_target_is_only_ever_a_local_path(client, web_users):
    token = csrf_of(client.get("/login?next=https://evil.example/").text)
    answer = client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/incidents"


def test_pages_carry_a_strict_content_security_policy(client, web_users):
    answer = client.get("/login")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_set_password_reads_stdin_and_refuses_short_passwords(tmp_path, settings, engine):
    env = {"WARROOM_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "warroom"]
    created = subprocess.run(
        [
            *cli,
            "user",
            "create",
            "--handle",
            "zoe",
            "--name",
            "Zoe",
            "--email",
            "z@example.com",
            "--role",
            "viewer",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    short = subprocess.run(
        [*cli, "user", "set-password", "zoe"],
        input="short\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert short.returncode != 0
    assert "at least 10 characters" in short.stdout + short.stderr
    done = subprocess.run(
        [*cli, "user", "set-password", "zoe"],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    client = TestClient(__import__("warroom.web.app", fromlist=["create_app"]).create_app(settings))
    assert _post_login(client, "zoe", PASSWORD).status_code == 303
    bad_role = subprocess.run(
        [*cli, "user", "set-role", "zoe", "boss"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad_role.returncode != 0
    assert "unknown role" in bad_role.stdout + bad_role.stderr


def test_the_last_admin_cannot_be_demoted_by_any_path(web_users, session, change):
    from warroom.errors import Conflict
    from warroom.users import service, sign_in

    ada = service.get_user(session, "ada")
    with pytest.raises(Conflict, match="ada is the only admin"):
        sign_in.set_role(session, change=change, user=ada, role="viewer")
    assert ada.role == "admin"
    sign_in.set_role(session, change=change, user=service.get_user(session, "vera"), role="admin")
    sign_in.set_role(session, change=change, user=ada, role="viewer")
    assert ada.role == "viewer"
