"""The incident lifecycle through the REST API, as a commander drives it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from warroom.clock import FakeClock


def declare(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, object]:
    body = {"title": "Checkout API down", "severity": "P2", **fields}
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_declare_sev1_is_stored_as_p1_with_ref_location_and_sla(client, admin, clock):
    response = client.post(
        "/api/v1/incidents",
        json={
            "title": "  Checkout   API down ",
            "severity": "SEV-1",
            "service": "checkout",
            "tags": ["deploy", "deploy", "5xx"],
        },
        headers=admin,
    )
    assert response.status_code == 201
    incident = response.json()
    assert incident["ref"] == "incident-2025-11-01-001"
    assert response.headers["location"] == "/api/v1/incidents/incident-2025-11-01-001"
    assert incident["severity"] == "P1"
    assert incident["severity_name"] == "Critical"
    assert incident["title"] == "Checkout API down"
    assert incident["tags"] == ["deploy", "5xx"]
    assert incident["status"] == "triggered"
    assert incident["detected_at"] == "2025-11-01T09:00:00Z"
    assert incident["ack_due_at"] == "2025-11-01T09:15:00Z"
    assert incident["resolve_due_at"] == "2025-11-01T13:00:00Z"
    assert incident["missing_roles"] == [
        "incident_commander",
        "communications_lead",
        "engineering_lead",
    ]
    assert client.get(f"/api/v1/incidents/{incident['ref']}", headers=admin).json() == incident


def test_refs_follow_the_utc_day_and_restart_each_day(client, admin, clock: FakeClock):
    assert declare(client, admin)["ref"] == "incident-2025-11-01-001"
    assert declare(client, admin)["ref"] == "incident-2025-11-01-002"
    clock.advance(hours=15, minutes=1)  # 00:01 UTC next day
    assert declare(client, admin)["ref"] == "incident-2025-11-02-001"


def test_severity_aliases_are_all_accepted(client, admin):
    for label, stored in [
        ("sev1", "P1"),
        ("critical", "P1"),
        ("SEV2", "P2"),
        ("high", "P2"),
        ("SEV-3", "P3"),
        ("medium", "P3"),
        ("p4", "P4"),
        ("Low", "P4"),
    ]:
        assert declare(client, admin, severity=label)["severity"] == stored


def test_full_lifecycle_is_on_the_timeline_and_in_the_audit_log(client, issue_token, clock):
    admin = issue_token("admin")
    client.post(
        "/api/v1/users",
        json={"handle": "alice", "name": "Alice", "email": "a@example.com"},
        headers=admin,
    )
    alice = issue_token("responder", user="alice")
    ref = declare(client, alice, severity="SEV-1")["ref"]

    clock.advance(minutes=4)
    acked = client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "acknowledged"}, headers=alice
    ).json()
    assert acked["acknowledged_at"] == "2025-11-01T09:04:00Z"
    assert acked["tta_seconds"] == 240

    clock.advance(minutes=1)
    assigned = client.post(
        f"/api/v1/incidents/{ref}/roles", json={"role": "commander", "user": "alice"}, headers=alice
    ).json()
    assert assigned["roles"] == {"incident_commander": "alice"}
    assert "incident_commander" not in assigned["missing_roles"]

    clock.advance(minutes=5)
    note = client.post(
        f"/api/v1/incidents/{ref}/notes", json={"text": "rolling back 4812"}, headers=alice
    )
    assert note.status_code == 201
    assert note.json()["kind"] == "note"

    clock.advance(minutes=20)
    resolved = client.post(
        f"/api/v1/incidents/{ref}/status",
        json={"status": "resolved", "note": "rollback done"},
        headers=alice,
    ).json()
    assert resolved["status"] == "resolved"
    assert resolved["ttr_seconds"] == 30 * 60
    assert resolved["allowed_transitions"] == ["investigating", "closed"]

    entries = client.get(f"/api/v1/incidents/{ref}/timeline", headers=alice).json()["items"]
    assert [(e["kind"], e["actor"], e["at"]) for e in entries] == [
        ("declared", "user:alice", "2025-11-01T09:00:00Z"),
        ("status_changed", "user:alice", "2025-11-01T09:04:00Z"),
        ("role_assigned", "user:alice", "2025-11-01T09:05:00Z"),
        ("note", "user:alice", "2025-11-01T09:10:00Z"),
        ("status_changed", "user:alice", "2025-11-01T09:30:00Z"),
    ]
    assert entries[-1]["data"] == {
        "from": "acknowledged",
        "to": "resolved",
        "note": "rollback done",
    }

    audit = client.get("/api/v1/audit", headers=admin).json()["items"]
    actions = [(a["action"], a["actor"], a["target"]) for a in reversed(audit)]
    assert ("incident.declare", "user:alice", ref) in actions
    assert ("incident.status_changed", "user:alice", ref) in actions
    assert ("incident.assign", "user:alice", ref) in actions
    assert ("incident.note", "user:alice", ref) in actions
    assert ("user.create", "token:admin-token", "user:alice") in actions
    assert all(a["request_id"] for a in audit if a["actor"] != "cli:tester")


def test_request_id_from_the_client_is_echoed_and_audited(client, admin):
    response = client.post(
        "/api/v1/incidents",
        json={"title": "x", "severity": "P3"},
        headers={**admin, "X-Request-ID": "req-42"},
    )
    assert response.headers["x-request-id"] == "req-42"
    audit = client.get("/api/v1/audit?action=incident.declare", headers=admin).json()["items"]
    assert audit[0]["request_id"] == "req-42"


def test_reopen_clears_resolution_and_counts(client, admin, clock):
    ref = declare(client, admin, severity="P3")["ref"]
    client.post(f"/api/v1/incidents/{ref}/status", json={"status": "resolved"}, headers=admin)
    clock.advance(minutes=10)
    reopened = client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "investigating"}, headers=admin
    ).json()
    assert reopened["status"] == "investigating"
    assert reopened["resolved_at"] is None
    assert reopened["reopen_count"] == 1
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    ]
    assert kinds == ["declared", "status_changed", "reopened"]


def test_close_requires_resolution_and_postmortem_where_the_severity_needs_one(client, admin):
    p4 = declare(client, admin, severity="P4")["ref"]
    response = client.post(
        f"/api/v1/incidents/{p4}/status", json={"status": "closed"}, headers=admin
    )
    assert response.status_code == 409
    client.post(f"/api/v1/incidents/{p4}/status", json={"status": "resolved"}, headers=admin)
    closed = client.post(f"/api/v1/incidents/{p4}/status", json={"status": "closed"}, headers=admin)
    assert closed.status_code == 200
    assert closed.json()["allowed_transitions"] == []

    p1 = declare(client, admin, severity="P1")["ref"]
    client.post(f"/api/v1/incidents/{p1}/status", json={"status": "resolved"}, headers=admin)
    refused = client.post(
        f"/api/v1/incidents/{p1}/status", json={"status": "closed"}, headers=admin
    )
    assert refused.status_code == 409
    assert "postmortem" in refused.json()["detail"]


def test_skipping_forward_sets_the_milestones_it_implies(client, admin, clock):
    ref = declare(client, admin, status="investigating")["ref"]
    incident = client.get(f"/api/v1/incidents/{ref}", headers=admin).json()
    assert incident["acknowledged_at"] == "2025-11-01T09:00:00Z"
    clock.advance(minutes=7)
    monitoring = client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "monitoring"}, headers=admin
    ).json()
    assert monitoring["identified_at"] == monitoring["mitigated_at"] == "2025-11-01T09:07:00Z"
    assert monitoring["acknowledged_at"] == "2025-11-01T09:00:00Z"


def test_patch_records_each_change_and_severity_separately(client, admin):
    ref = declare(client, admin, severity="P3")["ref"]
    response = client.patch(
        f"/api/v1/incidents/{ref}",
        json={"severity": "sev1", "title": "Worse", "customer_facing": True},
        headers=admin,
    )
    assert response.status_code == 200
    assert response.json()["severity"] == "P1"
    entries = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    assert entries[1]["kind"] == "severity_changed"
    assert entries[1]["data"] == {"from": "P3", "to": "P1"}
    assert entries[2]["data"]["fields"] == {
        "title": {"from": "Checkout API down", "to": "Worse"},
        "customer_facing": {"from": False, "to": True},
    }
    unchanged = client.patch(f"/api/v1/incidents/{ref}", json={"title": "Worse"}, headers=admin)
    assert unchanged.status_code == 200
    assert len(client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]) == 3


def test_roles_are_replaced_and_removed(client, admin):
    for handle in ("ana", "ben"):
        client.post(
            "/api/v1/users",
            json={"handle": handle, "name": handle, "email": f"{handle}@x.io"},
            headers=admin,
        )
    ref = declare(client, admin)["ref"]
    client.post(f"/api/v1/incidents/{ref}/roles", json={"role": "ic", "user": "ana"}, headers=admin)
    replaced = client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "incident_commander", "user": "ben"},
        headers=admin,
    )
    assert replaced.json()["roles"] == {"incident_commander": "ben"}
    custom = client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "Product Manager", "user": "ana"},
        headers=admin,
    )
    assert custom.json()["roles"] == {"incident_commander": "ben", "product_manager": "ana"}
    removed = client.delete(f"/api/v1/incidents/{ref}/roles/product_manager", headers=admin)
    assert removed.json()["roles"] == {"incident_commander": "ben"}
    assert client.delete(f"/api/v1/incidents/{ref}/roles/scribe", headers=admin).status_code == 404
    last = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"][-1]
    assert last["data"] == {"role": "product_manager", "user": "ana"}


def test_list_filters_and_cursor_pagination(client, admin, clock):
    refs = []
    for i in range(7):
        clock.advance(minutes=1)
        severity = "P1" if i % 2 else "P3"
        refs.append(declare(client, admin, severity=severity, service=f"svc{i % 3}")["ref"])
    client.post(f"/api/v1/incidents/{refs[0]}/status", json={"status": "resolved"}, headers=admin)

    seen: list[str] = []
    url = "/api/v1/incidents?limit=3"
    while url:
        page = client.get(url, headers=admin).json()
        seen += [i["ref"] for i in page["items"]]
        url = (
            f"/api/v1/incidents?limit=3&cursor={page['next_cursor']}" if page["next_cursor"] else ""
        )
    assert seen == list(reversed(refs))

    def refs_for(query: str) -> list[str]:
        response = client.get(f"/api/v1/incidents?{query}", headers=admin)
        assert response.status_code == 200, response.text
        return [i["ref"] for i in response.json()["items"]]

    assert refs_for("open=true") == list(reversed(refs[1:]))
    assert refs_for("status=resolved") == [refs[0]]
    assert refs_for("severity=SEV-1") == [refs[5], refs[3], refs[1]]
    assert refs_for("severity=P1,P3&service=svc0") == [refs[6], refs[3], refs[0]]
    assert refs_for("since=2025-11-01T09:06:00%2B00:00") == [refs[6], refs[5]]


def test_severities_endpoint_and_assessment(client, admin):
    levels = client.get("/api/v1/severities", headers=admin).json()["items"]
    assert [lv["id"] for lv in levels] == ["P1", "P2", "P3", "P4"]
    p1 = levels[0]
    assert p1["ack_sla_seconds"] == 900
    assert p1["resolve_sla_seconds"] == 4 * 3600
    assert p1["internal_update_every_seconds"] == 900
    assert p1["public_update_first_seconds"] == 1800
    assert p1["postmortem_required"] is True
    assert p1["postmortem_due_seconds"] == 48 * 3600
    assert "SEV-1" in p1["aliases"]
    assert levels[3]["postmortem_required"] is False
    result = client.post(
        "/api/v1/severities/assess",
        json={"users_affected_pct": 60, "workaround": False},
        headers=admin,
    ).json()
    assert (result["severity"], result["reason"]) == ("P2", "more than 50 % of users affected")
