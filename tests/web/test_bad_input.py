"""Bad input gets its documented 4xx as problem+json and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from warroom.incidents.models import Incident, IncidentRefCounter, TimelineEntry
from warroom.users.models import ApiToken, AuditEntry, User

INCIDENTS = "/api/v1/incidents"
TABLES = (Incident, TimelineEntry, AuditEntry, IncidentRefCounter, User, ApiToken)


def snapshot(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        counts: dict[str, object] = {
            t.__tablename__: connection.scalar(select(func.count()).select_from(t)) for t in TABLES
        }
        counts["refs"] = connection.execute(
            select(IncidentRefCounter.day, IncidentRefCounter.last_seq)
        ).all()
        counts["statuses"] = connection.execute(
            select(Incident.ref, Incident.status, Incident.severity)
        ).all()
    return counts


@pytest.fixture
def existing(client: TestClient, admin: dict[str, str]) -> str:
    response = client.post(INCIDENTS, json={"title": "Existing", "severity": "P3"}, headers=admin)
    return response.json()["ref"]  # type: ignore[no-any-return]


@pytest.fixture
def unchanged(engine: Engine, existing: str) -> Iterator[None]:
    before = snapshot(engine)
    yield
    assert snapshot(engine) == before


def assert_problem(response, status: int, *words: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    for word in words:
        assert word in problem["detail"], problem["detail"]
    return problem  # type: ignore[no-any-return]


def test_malformed_json_is_400(client, admin, unchanged):
    response = client.post(
        INCIDENTS,
        content=b'{"title": "x", "severity": ',
        headers={**admin, "content-type": "application/json"},
    )
    assert_problem(response, 400, "not valid JSON")


def test_deeply_nested_json_is_400(client, admin, unchanged):
    body = b"[" * 50_000 + b"]" * 50_000
    response = client.post(
        INCIDENTS, content=body, headers={**admin, "content-type": "application/json"}
    )
    assert_problem(response, 400, "nested too deeply")


def test_body_over_the_limit_is_413(client, admin, unchanged):
    body = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'", "severity": "P1"}'
    response = client.post(
        INCIDENTS, content=body, headers={**admin, "content-type": "application/json"}
    )
    assert_problem(response, 413)


def test_streamed_body_over_the_limit_is_413(client, admin, unchanged):
    chunks = iter([b'{"title": "'] + [b"x" * 65536] * 32 + [b'", "severity": "P1"}'])
    response = client.post(
        INCIDENTS, content=chunks, headers={**admin, "content-type": "application/json"}
    )
    assert_problem(response, 413)


def test_invalid_utf8_is_400(client, admin, unchanged):
    response = client.post(
        INCIDENTS,
        content=b'{"title": "\xff\xfe", "severity": "P1"}',
        headers={**admin, "content-type": "application/json"},
    )
    assert response.status_code == 400


def test_non_json_content_type_is_415(client, admin, unchanged):
    response = client.post(
        INCIDENTS,
        content=b"title=x",
        headers={**admin, "content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(response, 415, "application/json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 123, "severity": "P1"}, "title"),
        ({"title": "x", "severity": 1}, "severity"),
        ({"title": "x", "severity": "P1", "tags": "deploy"}, "tags"),
        ({"title": "x", "severity": "P1", "customer_facing": "yes"}, "customer_facing"),
        ({"title": "x", "severity": "P1", "detected_at": "yesterday"}, "detected_at"),
        ({"title": "x", "severity": "P1", "detected_at": "2025-11-01T08:00:00"}, "detected_at"),
        ({"title": "", "severity": "P1"}, "title"),
        ({"severity": "P1"}, "title"),
        ({"title": "x", "severity": "P1", "sevrity": "P2"}, "sevrity"),
        (["title", "x"], ""),
    ],
)
def test_wrong_types_are_422_with_field_errors(client, admin, unchanged, body, field):
    problem = assert_problem(client.post(INCIDENTS, json=body, headers=admin), 422)
    assert problem["errors"]
    assert any(e["field"].startswith(field) for e in problem["errors"])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"title": "x", "severity": "SEV-9"}, "severity", ("SEV-9", "P1")),
        ({"title": "x", "severity": "P1", "status": "resolved"}, "status", ("open",)),
        ({"title": "x", "severity": "P1", "status": "panicking"}, "status", ("unknown status",)),
        ({"title": "   ", "severity": "P1"}, "title", ("empty",)),
        ({"title": "x", "severity": "P1", "tags": [""]}, "tags", ("tag",)),
        (
            {"title": "x", "severity": "P1", "detected_at": "2030-01-01T00:00:00Z"},
            "detected_at",
            ("future",),
        ),
    ],
)
def test_unacceptable_values_are_422_naming_the_field(client, admin, unchanged, body, field, words):
    problem = assert_problem(client.post(INCIDENTS, json=body, headers=admin), 422, *words)
    assert problem["errors"] == [{"field": field, "message": problem["errors"][0]["message"]}]  # type: ignore[index]


def test_invalid_transition_is_409_listing_the_allowed_moves(client, admin, existing, engine):
    client.post(f"{INCIDENTS}/{existing}/status", json={"status": "monitoring"}, headers=admin)
    before = snapshot(engine)
    response = client.post(
        f"{INCIDENTS}/{existing}/status", json={"status": "acknowledged"}, headers=admin
    )
    problem = assert_problem(response, 409, "monitoring", "acknowledged")
    assert problem["allowed"] == ["resolved"]
    assert problem["current"] == "monitoring"
    assert snapshot(engine) == before


def test_same_status_again_is_409(client, admin, existing, engine):
    client.post(f"{INCIDENTS}/{existing}/status", json={"status": "acknowledged"}, headers=admin)
    before = snapshot(engine)
    response = client.post(
        f"{INCIDENTS}/{existing}/status", json={"status": "acknowledged"}, headers=admin
    )
    assert_problem(response, 409)
    assert snapshot(engine) == before


def test_unknown_incident_is_404(client, admin, unchanged):
    assert_problem(client.get(f"{INCIDENTS}/incident-2020-01-01-001", headers=admin), 404)
    assert_problem(client.post(f"{INCIDENTS}/nope/notes", json={"text": "x"}, headers=admin), 404)


def test_unknown_route_is_404_problem(client, admin):
    assert_problem(client.get("/api/v1/nothing-here", headers=admin), 404, "/api/v1/nothing-here")


def test_bad_query_parameters_are_422(client, admin, unchanged):
    assert_problem(client.get(f"{INCIDENTS}?limit=0", headers=admin), 422, "limit")
    assert_problem(client.get(f"{INCIDENTS}?cursor=garbage!", headers=admin), 422, "cursor")
    assert_problem(client.get(f"{INCIDENTS}?status=sleeping", headers=admin), 422, "status")
    assert_problem(client.get(f"{INCIDENTS}?severity=SEV-7", headers=admin), 422, "severity")
    assert_problem(client.get(f"{INCIDENTS}?since=2025-11-01", headers=admin), 422, "since")


def test_assigning_a_role_to_an_unknown_user_is_422(client, admin, existing, unchanged):
    response = client.post(
        f"{INCIDENTS}/{existing}/roles", json={"role": "ic", "user": "ghost"}, headers=admin
    )
    assert_problem(response, 422, "ghost")
    response = client.post(
        f"{INCIDENTS}/{existing}/roles", json={"role": "!!", "user": "ghost"}, headers=admin
    )
    assert_problem(response, 422, "role")


def test_patch_with_bad_values_changes_nothing(client, admin, existing, unchanged):
    assert_problem(
        client.patch(
            f"{INCIDENTS}/{existing}", json={"severity": "P9", "title": "new"}, headers=admin
        ),
        422,
    )
    assert_problem(
        client.patch(f"{INCIDENTS}/{existing}", json={"status": "resolved"}, headers=admin), 422
    )
    assert_problem(
        client.patch(f"{INCIDENTS}/{existing}", json={"title": None}, headers=admin), 422
    )


def test_empty_note_is_422(client, admin, existing, unchanged):
    assert_problem(
        client.post(f"{INCIDENTS}/{existing}/notes", json={"text": ""}, headers=admin), 422
    )
    assert_problem(
        client.post(f"{INCIDENTS}/{existing}/notes", json={"text": "   "}, headers=admin), 422
    )
