"""Fixtures for postmortems: Berlin display time, people, an engine running the module."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine as Database
from sqlalchemy import select

from tests.oncall.conftest import people  # noqa: F401
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.db import make_session_factory
from warroom.engine.loop import Engine
from warroom.engine.postmortems import PostmortemsModule
from warroom.notifications.models import Notification

INCIDENTS = "/api/v1/incidents"
ITEMS = "/api/v1/action-items"
ZONE = "Europe/Berlin"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Times shown in Berlin (UTC+01:00 in November)."""
    return settings.model_copy(update={"status_page_time_zone": ZONE})


@pytest.fixture(autouse=True)
def _people(people: None) -> None:  # noqa: F811
    """alice, bob, carol and dave exist in every test here."""


@pytest.fixture
def ticker(engine: Database, clock: FakeClock, settings: Settings) -> Engine:
    """An engine running only the postmortems module."""
    module = PostmortemsModule.from_settings(settings)
    return Engine(make_session_factory(engine), clock, [module])


@pytest.fixture
def responder(issue_token: Callable[..., dict[str, str]], people: None) -> dict[str, str]:  # noqa: F811
    """Authorization header of a responder token belonging to alice."""
    return issue_token("responder", user="alice")


def declare(client: TestClient, headers: dict[str, str], **fields: Any) -> str:
    """Declare an incident through the API; returns its ref."""
    body = {"title": "Checkout is down", "severity": "P1", **fields}
    response = client.post(INCIDENTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["ref"])


def move(client: TestClient, headers: dict[str, str], ref: str, status: str) -> dict[str, Any]:
    """Change the incident's status; returns the answer's JSON."""
    response = client.post(f"{INCIDENTS}/{ref}/status", json={"status": status}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def resolved_p1(
    client: TestClient, headers: dict[str, str], clock: FakeClock, **fields: Any
) -> str:
    """A P1 with alice as commander, acknowledged after 2 minutes, resolved after 1 hour."""
    ref = declare(client, headers, **fields)
    assigned = client.post(
        f"{INCIDENTS}/{ref}/roles", json={"role": "ic", "user": "alice"}, headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    clock.advance(timedelta(minutes=2))
    move(client, headers, ref, "acknowledged")
    clock.advance(timedelta(minutes=58))
    move(client, headers, ref, "resolved")
    return ref


def messages(database: Database, kind: str) -> list[tuple[str, str]]:
    """(idempotency key, due time) of every notification of ``kind``, oldest first."""
    with database.connect() as connection:
        rows = connection.execute(
            select(Notification.idempotency_key, Notification.created_at)
            .where(Notification.kind == kind)
            .order_by(Notification.id)
        ).all()
    return [(key, created.isoformat()) for key, created in rows]
