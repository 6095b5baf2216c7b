"""Policies and services over HTTP: CRUD, roles, and bad input refused with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.escalation.conftest import INCIDENTS, POLICIES, SERVICES, declare, make_policy
from warroom.escalation.models import EscalationPolicy, IncidentEscalation
from warroom.incidents.models import Incident, IncidentRefCounter, TimelineEntry
from warroom.notifications.models import Notification
from warroom.services.models import Service
from warroom.users.models import AuditEntry

TABLES = (
    EscalationPolicy,
    Service,
    IncidentEscalation,
    Notification,
    Incident,
    IncidentRefCounter,
    TimelineEntry,
    AuditEntry,
)
STEP = {"after": "0s", "targets": [{"user": "alice"}]}


def counts(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        found: dict[str, Any] = {
            t.__tablename__: connection.scalar(select(func.count()).select_from(t)) for t in TABLES
        }
        found["policies"] = connection.execute(
            select(EscalationPolicy.name, EscalationPolicy.steps, EscalationPolicy.repeat)
        ).all()
        found["services"] = connection.execute(
            select(Service.name, Service.description, Service.escalation_policy_id)
        ).all()
    return found


@pytest.fixture
def existing(client, admin, primary) -> None:
    make_policy(client, admin, "ops", ("0s", [{"schedule": "primary"}]), ("15m", ["bob"]))
    body = {"name": "checkout", "escalation_policy": "ops"}
    assert client.post(SERVICES, json=body, headers=admin).status_code == 201


@pytest.fixture
def unchanged(engine: Engine, existing: None) -> Iterator[None]:
    before = counts(engine)
    yield
    assert counts(engine) == before


def assert_problem(response, status: int, *words: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    for word in words:
        assert word in str(problem), problem
    return problem  # type: ignore[no-any-return]


def test_policy_crud(client, admin, issue_token, existing):
    viewer = issue_token("viewer")
    listed = client.get(POLICIES, headers=viewer).json()["items"]
    assert [(p["name"], p["services"]) for p in listed] == [("ops", ["checkout"])]
    one = client.get(f"{POLICIES}/ops", headers=viewer).json()
    assert one["steps"] == [
        {"after": "0s", "targets": [{"schedule": "primary"}]},
        {"after": "15m", "targets": [{"user": "bob"}]},
    ]
    body = {
        "description": "nights",
        "repeat": 2,
        "steps": [{"after": "90s", "targets": [{"role": "commander"}, {"user": "Carol"}]}],
    }
    replaced = client.put(f"{POLICIES}/ops", json=body, headers=admin).json()
    assert (replaced["description"], replaced["repeat"], replaced["steps"]) == (
        "nights",
        2,
        [{"after": "1m30s", "targets": [{"role": "incident_commander"}, {"user": "carol"}]}],
    )
    make_policy(client, admin, "spare", ("0s", ["alice"]))
    assert client.delete(f"{POLICIES}/spare", headers=admin).status_code == 204
    assert client.get(f"{POLICIES}/spare", headers=admin).status_code == 404
    audit = client.get("/api/v1/audit", headers=admin).json()["items"]
    assert [a["action"] for a in audit if "escalation_policy" in a["action"]] == [
        "escalation_policy.delete",
        "escalation_policy.create",
        "escalation_policy.replace",
        "escalation_policy.create",
    ]


def test_service_crud(client, admin, issue_token, existing):
    viewer = issue_token("viewer")
    created = client.post(SERVICES, json={"name": "search"}, headers=admin)
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/services/search"
    assert created.json()["escalation_policy"] is None
    listed = client.get(SERVICES, headers=viewer).json()["items"]
    assert [(s["name"], s["escalation_policy"]) for s in listed] == [
        ("checkout", "ops"),
        ("search", None),
    ]
    body = {"description": "full-text search", "escalation_policy": "ops"}
    replaced = client.put(f"{SERVICES}/search", json=body, headers=admin).json()
    assert (replaced["description"], replaced["escalation_policy"]) == ("full-text search", "ops")
    assert client.get(f"{SERVICES}/search", headers=viewer).json() == replaced
    assert client.delete(f"{SERVICES}/search", headers=admin).status_code == 204
    assert client.get(f"{SERVICES}/search", headers=viewer).status_code == 404


def test_a_policy_in_use_cannot_be_deleted_until_the_service_lets_go(client, admin, existing):
    problem = assert_problem(client.delete(f"{POLICIES}/ops", headers=admin), 409, "checkout")
    assert problem["services"] == ["checkout"]
    client.put(f"{SERVICES}/checkout", json={"escalation_policy": None}, headers=admin)
    assert client.delete(f"{POLICIES}/ops", headers=admin).status_code == 204


def test_a_schedule_a_policy_pages_cannot_be_deleted_until_the_policy_changes(
    client, admin, existing
):
    problem = assert_problem(
        client.delete("/api/v1/schedules/primary", headers=admin), 409, "ops", "primary"
    )
    assert problem["policies"] == ["ops"]
    assert client.get("/api/v1/schedules/primary", headers=admin).status_code == 200
    body = {"steps": [{"after": "0s", "targets": [{"user": "bob"}]}]}
    assert client.put(f"{POLICIES}/ops", json=body, headers=admin).status_code == 200
    assert client.delete("/api/v1/schedules/primary", headers=admin).status_code == 204


def _steps(*steps: Any) -> dict[str, Any]:
    return {"name": "new", "steps": list(steps)}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            _steps({"after": "0s", "targets": [{"user": "nobody"}]}),
            "steps.0.targets.0.user",
            "nobody",
        ),
        (
            _steps({"after": "0s", "targets": [{"schedule": "nope"}]}),
            "steps.0.targets.0.schedule",
            "nope",
        ),
        (_steps(), "steps", "at least one step"),
        (_steps({"after": "0s", "targets": []}), "steps.0.targets", "at least one target"),
        (_steps({"after": "soon", "targets": [{"user": "alice"}]}), "steps.0.after", "duration"),
        (_steps({"after": "8d", "targets": [{"user": "alice"}]}), "steps.0.after", "7d"),
        (
            _steps({"after": "0s", "targets": [{"user": "alice", "schedule": "primary"}]}),
            "steps.0.targets.0",
            "exactly one",
        ),
        (_steps({"after": "0s", "targets": [{}]}), "steps.0.targets.0", "exactly one"),
        (
            _steps({"after": "0s", "targets": [{"role": "no such!"}]}),
            "steps.0.targets.0.role",
            "role",
        ),
        (_steps({"after": "0s", "targets": [{"team": "x"}]}), "steps.0.targets.0.team", ""),
        ({"name": "new", "steps": [STEP], "repeat": 10}, "repeat", ""),
        ({"name": "New Policy", "steps": [STEP]}, "name", "lowercase"),
        ({"steps": [STEP]}, "name", ""),
        ({"name": "new", "steps": [STEP], "extra": 1}, "extra", ""),
    ],
)
def test_bad_policies_are_422(client, admin, unchanged, body, field, words):
    problem = assert_problem(client.post(POLICIES, json=body, headers=admin), 422, words)
    assert field in [e["field"] for e in problem["errors"]], problem


def test_policy_conflicts_and_missing(client, admin, unchanged):
    body = {"name": "ops", "steps": [STEP]}
    assert_problem(client.post(POLICIES, json=body, headers=admin), 409, "already exists")
    replacement = {"steps": [STEP]}
    assert_problem(client.put(f"{POLICIES}/nope", json=replacement, headers=admin), 404)
    assert_problem(client.put(f"{POLICIES}/ops", json={"steps": []}, headers=admin), 422)
    assert_problem(client.delete(f"{POLICIES}/nope", headers=admin), 404)
    assert_problem(client.get(f"{POLICIES}/nope", headers=admin), 404)
    assert_problem(
        client.post(
            POLICIES, content=b'{"name": ', headers={**admin, "content-type": "application/json"}
        ),
        400,
    )


def test_bad_services_are_refused(client, admin, unchanged):
    assert_problem(
        client.post(SERVICES, json={"name": "search", "escalation_policy": "nope"}, headers=admin),
        422,
        "escalation_policy",
    )
    assert_problem(client.post(SERVICES, json={"name": "  "}, headers=admin), 422, "name")
    assert_problem(client.post(SERVICES, json={"name": "a/b"}, headers=admin), 422, "name")
    assert_problem(client.post(SERVICES, json={"name": "checkout"}, headers=admin), 409)
    assert_problem(client.put(f"{SERVICES}/nope", json={}, headers=admin), 404)
    body = {"escalation_policy": "nope"}
    assert_problem(client.put(f"{SERVICES}/checkout", json=body, headers=admin), 422)
    assert_problem(client.delete(f"{SERVICES}/nope", headers=admin), 404)


def test_bad_incident_escalation_input_writes_nothing(client, admin, unchanged):
    body = {"title": "x", "severity": "P1", "service": "checkout", "escalation_policy": "nope"}
    problem = assert_problem(client.post(INCIDENTS, json=body, headers=admin), 422, "nope")
    assert problem["errors"][0]["field"] == "escalation_policy"
    assert_problem(
        client.get(f"{INCIDENTS}/incident-2025-11-01-009/notifications", headers=admin), 404
    )
    assert_problem(
        client.get(f"{INCIDENTS}/incident-2025-11-01-009/escalation", headers=admin), 404
    )


@pytest.fixture(params=["viewer", "responder"])
def headers(request, issue_token, existing) -> dict[str, str]:
    return issue_token(request.param)  # type: ignore[no-any-return]


def test_only_admins_manage_policies_and_services(client, headers, unchanged):
    policy = {"name": "mine", "steps": [STEP]}
    assert_problem(client.post(POLICIES, json=policy, headers=headers), 403, "admin")
    assert_problem(client.put(f"{POLICIES}/ops", json={"steps": [STEP]}, headers=headers), 403)
    assert_problem(client.delete(f"{POLICIES}/ops", headers=headers), 403)
    assert_problem(client.post(SERVICES, json={"name": "mine"}, headers=headers), 403)
    assert_problem(client.put(f"{SERVICES}/checkout", json={}, headers=headers), 403)
    assert_problem(client.delete(f"{SERVICES}/checkout", headers=headers), 403)
    assert client.get(POLICIES, headers=headers).status_code == 200
    assert client.get(SERVICES, headers=headers).status_code == 200


def test_reading_needs_a_token(client, existing):
    for path in (POLICIES, f"{POLICIES}/ops", SERVICES, f"{SERVICES}/checkout"):
        assert_problem(client.get(path), 401)


def test_viewers_read_an_incidents_escalation_and_notifications(
    client, admin, issue_token, existing, ticker, outbox
):
    ref = declare(client, admin, service="checkout")
    ticker.tick()
    outbox.expect("alice")
    viewer = issue_token("viewer")
    escalation = client.get(f"{INCIDENTS}/{ref}/escalation", headers=viewer).json()
    assert (escalation["policy"], escalation["state"], escalation["next_step"]) == (
        "ops",
        "active",
        2,
    )
    assert escalation["next_at"] == "2025-11-01T09:15:00Z"
    items = client.get(f"{INCIDENTS}/{ref}/notifications", headers=viewer).json()["items"]
    assert [n["user"] for n in items] == ["alice"]
