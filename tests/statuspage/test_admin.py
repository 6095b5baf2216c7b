"""The admin API under /api/v1/status-page and the ``warroom status-page`` command."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.cli.conftest import Run, cli, run  # noqa: F401
from tests.statuspage.conftest import DeclareIncident
from warroom.statuspage.models import StatusComponent, StatusIncident
from warroom.users.models import AuditEntry

API = "/api/v1/status-page"


def test_components_and_groups_through_the_api(client: TestClient, admin: dict[str, str]):
    group = client.post(
        f"{API}/components", json={"name": "Payments", "group": True}, headers=admin
    )
    assert group.status_code == 201
    member = client.post(
        f"{API}/components",
        json={"name": "Checkout API", "group_id": group.json()["id"], "services": ["checkout"]},
        headers=admin,
    )
    assert member.status_code == 201
    assert member.headers["location"].endswith(member.json()["id"])
    assert member.json()["group_id"] == group.json()["id"]
    assert member.json()["services"] == ["checkout"]

    patched = client.patch(
        f"{API}/components/{member.json()['id']}",
        json={"status": "partial_outage", "follow_incidents": False, "description": "Cards"},
        headers=admin,
    )
    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["follow_incidents"]) == (
        "partial_outage",
        False,
    )
    listed = client.get(f"{API}/components", headers=admin).json()["items"]
    assert [c["name"] for c in listed] == ["Payments", "Checkout API"]
    assert listed[0]["components"] == [member.json()["id"]]
    assert listed[0]["status"] == "partial_outage"

    assert client.delete(f"{API}/components/{group.json()['id']}", headers=admin).status_code == 204
    assert (
        client.get(f"{API}/components/{member.json()['id']}", headers=admin).json()["group_id"]
        is None
    )


def test_bad_component_input_is_a_clear_422_and_writes_nothing(
    client: TestClient, admin: dict[str, str], session: Session
):
    cases = [
        ({"name": ""}, "name"),
        ({"name": "A", "status": "on_fire"}, "status"),
        ({"name": "A", "group_id": "nothere12345"}, "group"),
        ({"name": "A", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = client.post(f"{API}/components", json=body, headers=admin)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in answer.text
    assert session.scalars(select(StatusComponent)).all() == []
    assert client.patch(f"{API}/components/nothere12345", json={}, headers=admin).status_code == 404


def test_component_changes_need_an_admin(client: TestClient, issue_token):  # type: ignore[no-untyped-def]
    viewer = issue_token("viewer")
    assert client.get(f"{API}/components", headers=viewer).status_code == 200
    assert client.post(f"{API}/components", json={"name": "A"}, headers=viewer).status_code == 403
    assert client.post(f"{API}/components", json={"name": "A"}).status_code == 401


def test_publishing_an_internal_incident_and_standalone_incidents_via_the_api(
    client: TestClient,
    admin: dict[str, str],
    session: Session,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    incident = declare_incident(severity="P3")
    published = client.post(
        f"{API}/incidents",
        json={"incident_ref": incident.ref, "status": "investigating", "body": "Slow payments."},
        headers=admin,
    )
    assert published.status_code == 201
    public = published.json()
    assert (public["impact"], public["incident_ref"]) == ("minor", incident.ref)
    assert public["components"][0]["status"] == "degraded_performance"

    resolved = client.post(
        f"{API}/incidents/{public['id']}/updates",
        json={"status": "resolved", "body": "All good."},
        headers=admin,
    )
    assert resolved.status_code == 201
    assert resolved.json()["components"][0]["status"] == "operational"
    bad = client.post(
        f"{API}/incidents/{public['id']}/updates",
        json={"status": "scheduled", "body": "x"},
        headers=admin,
    )
    assert bad.status_code == 422

    standalone = client.post(
        f"{API}/incidents",
        json={
            "name": "Email delays",
            "status": "identified",
            "body": "Provider slow.",
            "impact": "major",
            "components": [checkout.public_id],
        },
        headers=admin,
    )
    assert standalone.status_code == 201
    assert standalone.json()["incident_ref"] is None
    assert standalone.json()["components"][0]["status"] == "partial_outage"
    unresolved = client.delete(f"{API}/incidents/{standalone.json()['id']}", headers=admin)
    assert unresolved.status_code == 409
    assert client.post(f"{API}/incidents", json={"body": "x"}, headers=admin).status_code == 422
    missing = client.post(
        f"{API}/incidents",
        json={"incident_ref": "incident-1999-01-01-001", "body": "x"},
        headers=admin,
    )
    assert missing.status_code == 404
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"status_incident.publish", "status_incident.create"} <= actions


def test_maintenance_through_the_api(client: TestClient, admin: dict[str, str], checkout):  # type: ignore[no-untyped-def]
    created = client.post(
        f"{API}/maintenances",
        json={
            "name": "DB upgrade",
            "body": "Short blips.",
            "scheduled_for": "2025-11-02T01:00:00+00:00",
            "scheduled_until": "2025-11-02T02:00:00+00:00",
            "components": [checkout.public_id],
        },
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json()["status"] == "scheduled"
    backwards = client.post(
        f"{API}/maintenances",
        json={
            "name": "x",
            "body": "x",
            "scheduled_for": "2025-11-02T02:00:00+00:00",
            "scheduled_until": "2025-11-02T01:00:00+00:00",
        },
        headers=admin,
    )
    assert backwards.status_code == 422
    listed = client.get(f"{API}/maintenances", headers=admin).json()["items"]
    assert [m["name"] for m in listed] == ["DB upgrade"]


def test_subscribers_are_listed_and_removed_by_admins(client: TestClient, admin: dict[str, str]):
    client.post("/status/subscribe", json={"endpoint": "https://hooks.example.com/a"})
    [subscriber] = client.get(f"{API}/subscribers", headers=admin).json()["items"]
    assert (subscriber["kind"], subscriber["confirmed"]) == ("webhook", True)

    assert client.delete(f"{API}/subscribers/{subscriber['id']}", headers=admin).status_code == 204
    assert client.delete(f"{API}/subscribers/{subscriber['id']}", headers=admin).status_code == 404
    assert client.get(f"{API}/subscribers", headers=admin).json()["items"] == []


def test_the_cli_manages_components_incidents_and_maintenance(
    cli: Run,  # noqa: F811
    session: Session,
    declare_incident: DeclareIncident,
):
    added = cli(
        "status-page", "component", "add", "Checkout API", "--service", "checkout", "--json"
    )
    assert added.code == 0, added.err
    component_id = added.json()["id"]
    listed = cli("status-page", "component", "list")
    assert "Checkout API" in listed.out
    assert "operational" in listed.out

    assert cli("status-page", "component", "set", component_id, "major_outage").code == 0
    assert cli("status-page", "component", "list", "--json").json()["items"][0]["status"] == (
        "major_outage"
    )
    refused = cli("status-page", "component", "set", component_id, "sideways")
    assert refused.code == 1
    assert "unknown component status 'sideways'" in refused.err
    assert "Traceback" not in refused.err

    incident = declare_incident(severity="P1")
    published = cli(
        "status-page",
        "incident",
        "publish",
        incident.ref,
        "--status",
        "identified",
        "--body",
        "Found it.",
    )
    assert published.code == 0, published.err
    created = cli("status-page", "incident", "create", "Email slow", "--body", "Looking.")
    assert created.code == 0, created.err
    listed_incidents = cli("status-page", "incident", "list")
    assert "Checkout errors" in listed_incidents.out
    assert "Email slow" in listed_incidents.out
    public_id = session.scalars(
        select(StatusIncident.public_id).where(StatusIncident.name == "Email slow")
    ).one()
    assert (
        cli(
            "status-page", "incident", "update", public_id, "--status", "resolved", "--body", "ok"
        ).code
        == 0
    )

    scheduled = cli(
        "status-page", "maintenance", "schedule", "Upgrade",
        "--from", "2025-11-02T01:00Z", "--until", "2025-11-02T02:00Z", "--body", "Blips.",
        "--component", component_id,
    )  # fmt: skip
    assert scheduled.code == 0, scheduled.err
    naive = cli(
        "status-page", "maintenance", "schedule", "Upgrade",
        "--from", "2025-11-02T01:00", "--until", "2025-11-02T02:00", "--body", "Blips.",
    )  # fmt: skip
    assert naive.code == 1
    assert "UTC offset" in naive.err
