"""Public pages are rendered once per change of their data (or per second), never served stale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.statuspage.conftest import DeclareIncident
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.statuspage import service, shapes
from warroom.statuspage.models import StatusComponent
from warroom.web import status as status_routes


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts how often summary.json is built."""
    built: list[int] = []
    original = shapes.summary_document

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(status_routes.shapes, "summary_document", counting)
    return built


def test_an_unchanged_page_is_rendered_once_per_second(
    client: TestClient, clock: FakeClock, checkout: StatusComponent, renders: list[int]
):
    first = client.get("/status/api/v2/summary.json")
    second = client.get("/status/api/v2/summary.json")

    assert first.json() == second.json()
    assert second.headers["content-type"] == "application/json"
    assert second.headers["cache-control"] == "public, max-age=30"
    assert len(renders) == 1
    clock.advance(timedelta(seconds=1))
    client.get("/status/api/v2/summary.json")
    assert len(renders) == 2


def test_a_write_shows_at_once_without_waiting_for_the_cache(
    client: TestClient,
    session: Session,
    change: Change,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
    admin: dict[str, str],
):
    assert client.get("/status/api/v2/summary.json").json()["incidents"] == []
    assert "Checkout API" in client.get("/status").text

    incident = declare_incident(title="Checkout down", severity="P1")
    service.publish_incident_update(
        session, change=change, incident=incident, status="investigating", body="Looking."
    )
    session.commit()
    renamed = {"name": "Card payments"}
    answer = client.patch(
        f"/api/v1/status-page/components/{checkout.public_id}", json=renamed, headers=admin
    )
    assert answer.status_code == 200

    summary = client.get("/status/api/v2/summary.json").json()
    assert [i["name"] for i in summary["incidents"]] == ["Checkout down"]
    page = client.get("/status").text
    assert "Card payments" in page
    assert "Looking." in page


def test_each_address_has_its_own_entry(client: TestClient, checkout: StatusComponent):
    missing = client.get("/status/incidents/nosuchthing1")
    assert missing.status_code == 404
    assert client.get("/status").status_code == 200
    assert client.get("/status/incidents/nosuchthing1").status_code == 404
