"""Each public JSON endpoint, validated field by field against Statuspage's v2 shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.statuspage.conftest import DeclareIncident
from tests.statuspage.contract import (
    check_component,
    check_incident,
    check_page,
    check_status,
)
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.sources import statuspage as adapter
from warroom.statuspage import service
from warroom.statuspage.models import StatusComponent

API = "/status/api/v2"


@pytest.fixture
def busy_page(
    session: Session,
    change: Change,
    clock: FakeClock,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
) -> dict[str, str]:
    """An open P1, a resolved standalone incident and a maintenance in an hour."""
    resolved = service.create_incident(
        session, change=change, name="Slow logins", status="investigating", body="Looking."
    )
    clock.advance(timedelta(minutes=5))
    service.add_update(session, change=change, public=resolved, status="resolved", body="Fixed.")
    clock.advance(timedelta(minutes=5))
    incident = declare_incident(title="Checkout down", severity="P1")
    update = service.publish_incident_update(
        session,
        change=change,
        incident=incident,
        status="investigating",
        body="Errors at checkout.",
    )
    clock.advance(timedelta(minutes=5))
    service.publish_incident_update(
        session, change=change, incident=incident, status="identified", body="Bad deploy."
    )
    maintenance = service.schedule_maintenance(
        session,
        change=change,
        name="Database upgrade",
        body="Short interruptions.",
        scheduled_for=clock.now() + timedelta(hours=1),
        scheduled_until=clock.now() + timedelta(hours=2),
        components=[checkout.public_id],
    )
    session.commit()
    return {
        "open": update.incident.public_id,
        "resolved": resolved.public_id,
        "maintenance": maintenance.public_id,
    }


def test_summary_json_has_every_field_in_statuspage_shape(
    client: TestClient, busy_page: dict[str, str], checkout: StatusComponent
):
    answer = client.get(f"{API}/summary.json")

    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=30"
    summary = answer.json()
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    check_page(summary["page"])
    page_id = summary["page"]["id"]
    check_status(summary["status"])
    assert summary["status"] == {"indicator": "critical", "description": "Major Service Outage"}
    for component in summary["components"]:
        check_component(component, page_id)
    [group] = [c for c in summary["components"] if c["group"]]
    [member] = [c for c in summary["components"] if not c["group"]]
    assert group["components"] == [member["id"]] == [checkout.public_id]
    assert member["group_id"] == group["id"]
    assert member["status"] == group["status"] == "major_outage"
    [incident] = summary["incidents"]
    check_incident(incident, page_id)
    assert incident["id"] == busy_page["open"]
    assert (incident["status"], incident["impact"]) == ("identified", "critical")
    assert [u["body"] for u in incident["incident_updates"]] == [
        "Bad deploy.",
        "Errors at checkout.",
    ]
    assert incident["incident_updates"][1]["affected_components"] == [
        {
            "code": checkout.public_id,
            "name": "Checkout API",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    assert incident["shortlink"].endswith(f"/status/incidents/{busy_page['open']}")
    [maintenance] = summary["scheduled_maintenances"]
    check_incident(maintenance, page_id, maintenance=True)
    assert (maintenance["status"], maintenance["impact"]) == ("scheduled", "maintenance")


def test_status_components_and_incident_lists(client: TestClient, busy_page: dict[str, str]):
    status = client.get(f"{API}/status.json").json()
    assert set(status) == {"page", "status"}
    check_page(status["page"])
    check_status(status["status"])

    components = client.get(f"{API}/components.json").json()
    assert set(components) == {"page", "components"}
    for component in components["components"]:
        check_component(component, status["page"]["id"])

    recent = client.get(f"{API}/incidents.json").json()
    assert set(recent) == {"page", "incidents"}
    assert [i["id"] for i in recent["incidents"]] == [busy_page["open"], busy_page["resolved"]]
    for incident in recent["incidents"]:
        check_incident(incident, status["page"]["id"])
    resolved = recent["incidents"][1]
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None

    unresolved = client.get(f"{API}/incidents/unresolved.json").json()
    assert [i["id"] for i in unresolved["incidents"]] == [busy_page["open"]]

    maintenances = client.get(f"{API}/scheduled-maintenances.json").json()
    assert set(maintenances) == {"page", "scheduled_maintenances"}
    [maintenance] = maintenances["scheduled_maintenances"]
    check_incident(maintenance, status["page"]["id"], maintenance=True)
    upcoming = client.get(f"{API}/scheduled-maintenances/upcoming.json").json()
    assert [m["id"] for m in upcoming["scheduled_maintenances"]] == [busy_page["maintenance"]]
    active = client.get(f"{API}/scheduled-maintenances/active.json").json()
    assert active["scheduled_maintenances"] == []


def test_maintenance_runs_on_the_clock_and_shows_under_maintenance(
    client: TestClient, clock: FakeClock, session: Session, change: Change
):
    from warroom.statuspage import components

    disk = components.create_component(session, change=change, name="Storage")
    service.schedule_maintenance(
        session,
        change=change,
        name="Disk swap",
        body="Replacing disks.",
        scheduled_for=clock.now() + timedelta(minutes=30),
        scheduled_until=clock.now() + timedelta(minutes=90),
        components=[disk.public_id],
    )
    session.commit()

    clock.advance(timedelta(minutes=45))
    summary = client.get(f"{API}/summary.json").json()
    assert summary["components"][0]["status"] == "under_maintenance"
    assert summary["scheduled_maintenances"][0]["status"] == "in_progress"
    assert summary["status"] == {"indicator": "none", "description": "Service Under Maintenance"}
    active = client.get(f"{API}/scheduled-maintenances/active.json").json()
    assert len(active["scheduled_maintenances"]) == 1

    clock.advance(timedelta(hours=1))
    summary = client.get(f"{API}/summary.json").json()
    assert summary["components"][0]["status"] == "operational"
    assert summary["scheduled_maintenances"] == []
    recent = client.get(f"{API}/scheduled-maintenances.json").json()
    assert recent["scheduled_maintenances"][0]["status"] == "completed"


def test_times_use_the_page_time_zone_offset(
    settings, clock: FakeClock, engine, busy_page: dict[str, str]
):
    from warroom.web.app import create_app

    berlin = settings.model_copy(update={"status_page_time_zone": "Europe/Berlin"})
    with TestClient(create_app(berlin, clock=clock, engine=engine)) as client:
        page = client.get(f"{API}/status.json").json()["page"]
    assert page["time_zone"] == "Europe/Berlin"
    assert page["updated_at"].endswith("+01:00")


def test_our_summary_feeds_the_statuspage_ingestion_source(
    client: TestClient, busy_page: dict[str, str]
):
    body = client.get(f"{API}/summary.json").content
    page_url = client.get(f"{API}/summary.json").json()["page"]["url"]

    events = adapter.parse_incidents(body, page_url=page_url)
    component_events = adapter.parse_components(body)

    [event] = events
    assert event.dedup_key == busy_page["open"]
    assert event.status.value == "firing"
    assert event.severity == "P1"
    assert event.title.endswith("Checkout down")
    assert event.description == "Bad deploy."
    assert event.links[0].href.endswith(f"/incidents/{busy_page['open']}")
    [component] = component_events
    assert component.severity == "P1"
    assert component.resource == "Checkout API"
    assert component.labels["group"] == "Payments"

    recent = client.get(f"{API}/incidents.json").content
    statuses = {
        e.dedup_key: e.status.value for e in adapter.parse_incidents(recent, page_url=page_url)
    }
    assert statuses == {busy_page["open"]: "firing", busy_page["resolved"]: "resolved"}
