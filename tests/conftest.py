"""Shared fixtures: a database per backend (SQLite and PostgreSQL), a fake clock, an API client."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.config import Settings, load_settings
from warroom.db import make_engine, make_session_factory
from warroom.migrate import metadata, upgrade
from warroom.users.service import create_token
from warroom.web.app import create_app

POSTGRES_URL = os.environ.get("WARROOM_TEST_POSTGRES_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="set WARROOM_TEST_POSTGRES_URL to run on PostgreSQL"
        ),
    ),
]


def pytest_report_header() -> str:
    """Say which databases this run covers."""
    return "warroom backends: sqlite" + (", postgresql" if POSTGRES_URL else " (no PostgreSQL)")


def _postgres_admin_url() -> str:
    url = POSTGRES_URL
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url[len(plain) :]
    return url


@pytest.fixture(scope="session")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, migrated database for this test run on the requested backend."""
    backend = request.param
    if backend == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "warroom.db"
        url = f"sqlite:///{path}"
        engine = make_engine(load_settings(database_url=url))
        upgrade(engine)
        engine.dispose()
        yield url
        return
    admin_url = make_url(_postgres_admin_url())
    name = f"warroom_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(load_settings(database_url=url))
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that touches the database once per backend."""
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True, scope="session")


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at the test database."""
    return load_settings(database_url=database_url)


@pytest.fixture
def engine(settings: Settings, _engines: dict[str, Engine]) -> Engine:
    """The backend's engine, emptied of all rows before each test."""
    engine = _engines.get(settings.database_url)
    if engine is None:
        engine = _engines[settings.database_url] = make_engine(settings)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    return engine


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2025-11-01 09:00 UTC."""
    return FakeClock(datetime(2025, 11, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database (the test commits what it needs)."""
    with make_session_factory(engine)() as session:
        yield session


@pytest.fixture
def change(clock: FakeClock) -> Change:
    """A change made by the local admin."""
    return Change(actor=Actor(kind="cli", name="tester", role=Role.admin), clock=clock)


@pytest.fixture
def client(settings: Settings, clock: FakeClock, engine: Engine) -> Iterator[TestClient]:
    """An HTTP client for the app on the test database."""
    with TestClient(create_app(settings, clock=clock, engine=engine)) as test_client:
        yield test_client


@pytest.fixture
def issue_token(session: Session, change: Change):  # type: ignore[no-untyped-def]
    """Issue a token with a role (and optionally a user); returns the Authorization header."""

    def issue(role: str = "admin", user: str | None = None, **kwargs: object) -> dict[str, str]:
        issued = create_token(
            session, change=change, name=f"{role}-token", role=role, user_handle=user, **kwargs
        )  # type: ignore[arg-type]
        session.commit()
        return {"Authorization": f"Bearer {issued.secret}"}

    return issue


@pytest.fixture
def admin(issue_token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Authorization header of an admin token."""
    return issue_token("admin")  # type: ignore[no-any-return]


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names resolved without the network (public test addresses); others resolve as usual."""
    names = {
        "hooks.example.com": "93.184.215.14",
        "hooks.slack.com": "34.226.36.128",
        "inside.example.com": "10.1.2.3",
        "api.telegram.org": "149.154.167.220",
    }
    real = socket.getaddrinfo

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return names
