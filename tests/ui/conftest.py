"""Web UI fixtures: users with passwords and roles, and signing a test client in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.users import service, sign_in
from warroom.web.app import create_app

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a page's first form."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@cache
def _password_hash() -> str:
    """PASSWORD hashed once per run: argon2 is slow on purpose, and every UI test signs in."""
    return sign_in.hash_password(PASSWORD)


@pytest.fixture
def web_users(session: Session, change: Change) -> dict[str, str]:
    """ada (admin), alice (responder) and vera (viewer), all with PASSWORD."""
    roles = {"ada": "admin", "alice": "responder", "vera": "viewer"}
    for handle, role in roles.items():
        user = service.create_user(
            session,
            change=change,
            handle=handle,
            name=handle.title(),
            email=f"{handle}@example.com",
            role=role,
        )
        user.password_hash = _password_hash()
    session.commit()
    return roles


def sign_in_as(client: TestClient, login: str, password: str = PASSWORD) -> TestClient:
    """Sign ``client`` in through the login form; returns it for chaining."""
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": login, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def browser(
    settings: Settings, clock: FakeClock, engine: object, web_users: dict[str, str]
) -> Iterator[Callable[[str], TestClient]]:
    """Make signed-in test clients, one cookie jar each: ``browser("alice")``."""
    opened: list[TestClient] = []

    def open_as(handle: str) -> TestClient:
        client = TestClient(create_app(settings, clock=clock, engine=engine))  # type: ignore[arg-type]
        client.__enter__()
        opened.append(client)
        return sign_in_as(client, handle)

    yield open_as
    for client in opened:
        client.__exit__(None, None, None)
