"""Schedules, on-call, shifts and overrides over HTTP, with every bad input refused cleanly."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from warroom.users.models import AuditEntry

SCHEDULES = "/api/v1/schedules"
PAYMENTS: dict[str, Any] = {
    "name": "payments-primary",
    "time_zone": "Europe/Berlin",
    "description": "Payments team",
    "layers": [
        {
            "name": "weekly",
            "kind": "weekly",
            "handoff": "2025-10-27T09:00",
            "users": ["alice", "bob"],
        },
        {
            "name": "business",
            "kind": "daily",
            "handoff": "2025-10-27T00:00",
            "users": ["carol"],
            "restrictions": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
            ],
        },
    ],
}


def with_change(path: list[Any], value: Any) -> dict[str, Any]:
    """PAYMENTS with the item at ``path`` replaced (or removed when value is ...)."""
    body = copy.deepcopy(PAYMENTS)
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


def schedule_audit_rows(session) -> list[str]:
    session.expire_all()
    return [
        a
        for (a,) in session.query(AuditEntry.action).order_by(AuditEntry.id)
        if a.startswith(("schedule.", "override."))
    ]


@pytest.fixture
def created(client, admin, people) -> dict[str, Any]:
    response = client.post(SCHEDULES, json=PAYMENTS, headers=admin)
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_read_list_and_on_call_now(client, admin, issue_token, created, clock):
    assert created["name"] == "payments-primary"
    assert created["layers"][1] == {
        "name": "business",
        "kind": "daily",
        "length": None,
        "handoff": "2025-10-27T00:00",
        "users": ["carol"],
        "restrictions": [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
        ],
    }
    viewer = issue_token("viewer")
    assert [s["name"] for s in client.get(SCHEDULES, headers=viewer).json()["items"]] == [
        "payments-primary"
    ]
    # The clock is Saturday 2025-11-01 09:00 UTC: the weekly layer (alice's first week) shows.
    one = client.get(f"{SCHEDULES}/payments-primary", headers=viewer).json()
    assert one["on_call"] == {
        "schedule": "payments-primary",
        "at": "2025-11-01T09:00:00Z",
        "users": ["alice"],
        "until": "2025-11-03T08:00:00Z",
        "next": {
            "user": "carol",
            "start": "2025-11-03T08:00:00Z",
            "end": "2025-11-03T16:00:00Z",
            "source": "business",
        },
    }
    at = client.get(
        f"{SCHEDULES}/payments-primary/on-call",
        params={"at": "2025-11-03T17:00:00+01:00"},
        headers=viewer,
    ).json()
    assert (at["users"], at["until"]) == (["bob"], "2025-11-04T08:00:00Z")
    now = client.get(f"{SCHEDULES}/payments-primary/on-call", headers=viewer).json()
    assert now["users"] == ["alice"]
    assert client.get(f"{SCHEDULES}/nope", headers=viewer).status_code == 404


def test_shifts_endpoint_lists_exact_shifts(client, issue_token, created):
    viewer = issue_token("viewer")
    response = client.get(
        f"{SCHEDULES}/payments-primary/shifts",
        params={"from": "2025-11-03T00:00:00Z", "to": "2025-11-04T00:00:00Z"},
        headers=viewer,
    )
    assert response.status_code == 200
    assert response.json()["items"] == [
        {
            "user": "alice",
            "start": "2025-11-03T00:00:00Z",
            "end": "2025-11-03T08:00:00Z",
            "source": "weekly",
        },
        {
            "user": "carol",
            "start": "2025-11-03T08:00:00Z",
            "end": "2025-11-03T16:00:00Z",
            "source": "business",
        },
        {
            "user": "bob",
            "start": "2025-11-03T16:00:00Z",
            "end": "2025-11-04T00:00:00Z",
            "source": "weekly",
        },
    ]


def test_replace_keeps_overrides_and_delete_removes_everything(
    client, admin, issue_token, created, session
):
    responder = issue_token("responder")
    override = client.post(
        f"{SCHEDULES}/payments-primary/overrides",
        json={"user": "dave", "start": "2025-11-05T00:00:00Z", "end": "2025-11-05T06:00:00Z"},
        headers=responder,
    )
    assert override.status_code == 201
    assert override.json()["user"] == "dave"
    replaced = client.put(
        f"{SCHEDULES}/payments-primary",
        json={
            "time_zone": "UTC",
            "layers": [
                {
                    "name": "halves",
                    "kind": "custom",
                    "length": "12h",
                    "handoff": "2025-11-01T00:00",
                    "users": ["bob", "alice"],
                }
            ],
        },
        headers=admin,
    )
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["layers"][0]["length"] == "12h"
    assert replaced.json()["time_zone"] == "UTC"
    items = client.get(
        f"{SCHEDULES}/payments-primary/shifts",
        params={"from": "2025-11-04T12:00:00Z", "to": "2025-11-05T12:00:00Z"},
        headers=admin,
    ).json()["items"]
    assert [(i["user"], i["start"][11:16], i["end"][11:16], i["source"]) for i in items] == [
        ("alice", "12:00", "00:00", "halves"),
        ("dave", "00:00", "06:00", "override"),
        ("bob", "06:00", "12:00", "halves"),
    ]
    assert client.delete(f"{SCHEDULES}/payments-primary", headers=admin).status_code == 204
    assert client.get(SCHEDULES, headers=admin).json()["items"] == []
    assert client.get(f"{SCHEDULES}/payments-primary/overrides", headers=admin).status_code == 404
    assert schedule_audit_rows(session) == [
        "schedule.create",
        "override.create",
        "schedule.replace",
        "schedule.delete",
    ]


def test_override_list_and_delete(client, issue_token, created):
    responder = issue_token("responder")
    base = f"{SCHEDULES}/payments-primary/overrides"
    first = client.post(
        base,
        json={
            "user": "dave",
            "start": "2025-11-05T00:00:00+01:00",
            "end": "2025-11-05T06:00:00+01:00",
        },
        headers=responder,
    ).json()
    assert (first["start"], first["end"]) == ("2025-11-04T23:00:00Z", "2025-11-05T05:00:00Z")
    listed = client.get(base, headers=issue_token("viewer")).json()["items"]
    assert [(o["id"], o["user"]) for o in listed] == [(first["id"], "dave")]
    assert client.delete(f"{base}/{first['id']}", headers=responder).status_code == 204
    assert client.get(base, headers=responder).json()["items"] == []
    missing = client.delete(f"{base}/{first['id']}", headers=responder)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (with_change(["layers", 0, "users"], ["alice", "zed"]), 422, "layers.0.users"),
        (with_change(["time_zone"], "Mars/Olympus"), 422, "time_zone"),
        (with_change(["layers", 0, "kind"], "custom"), 422, "layers.0.length"),
        (
            with_change(
                ["layers", 0], {**PAYMENTS["layers"][0], "kind": "custom", "length": "soon"}
            ),
            422,
            "layers.0.length",
        ),
        (with_change(["layers", 0, "length"], "12h"), 422, "layers.0.length"),
        (with_change(["layers", 0, "kind"], "fortnightly"), 422, "layers.0.kind"),
        (with_change(["layers", 0, "handoff"], "2025-10-27T09:00+01:00"), 422, "layers.0.handoff"),
        (with_change(["layers", 0, "handoff"], "next monday"), 422, "layers.0.handoff"),
        (
            with_change(["layers", 1, "restrictions", 0, "days"], ["mon", "funday"]),
            422,
            "layers.1.restrictions.0.days",
        ),
        (
            with_change(["layers", 1, "restrictions", 0, "start"], "9am"),
            422,
            "layers.1.restrictions.0.start",
        ),
        (with_change(["layers", 0, "users"], []), 422, "layers.0.users"),
        (with_change(["layers"], []), 422, "layers"),
        (with_change(["layers", 1, "name"], "weekly"), 422, "layers.1.name"),
        (with_change(["name"], "Payments Primary!"), 422, "name"),
        (with_change(["layers", 0, "color"], "red"), 422, "layers.0.color"),
        (with_change(["time_zone"], ...), 422, "time_zone"),
    ],
)
def test_bad_schedules_are_refused_and_nothing_is_written(
    client, admin, people, session, body, status, field
):
    response = client.post(SCHEDULES, json=body, headers=admin)
    assert response.status_code == status, response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
    assert client.get(SCHEDULES, headers=admin).json()["items"] == []
    assert schedule_audit_rows(session) == []


def test_a_duplicate_name_is_409_and_a_bad_replace_changes_nothing(client, admin, created, session):
    duplicate = client.post(SCHEDULES, json=PAYMENTS, headers=admin)
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["detail"]
    bad = {**{k: v for k, v in PAYMENTS.items() if k != "name"}, "time_zone": "Nowhere/Land"}
    assert client.put(f"{SCHEDULES}/payments-primary", json=bad, headers=admin).status_code == 422
    renamed = client.put(f"{SCHEDULES}/payments-primary", json=PAYMENTS, headers=admin)
    assert renamed.status_code == 422  # the name is in the path, not the body
    assert (
        client.get(f"{SCHEDULES}/payments-primary", headers=admin).json()["layers"]
        == created["layers"]
    )
    assert schedule_audit_rows(session) == ["schedule.create"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": "zed", "start": "2025-11-05T00:00:00Z", "end": "2025-11-05T06:00:00Z"}, "user"),
        ({"user": "dave", "start": "2025-11-05T06:00:00Z", "end": "2025-11-05T06:00:00Z"}, "end"),
        ({"user": "dave", "start": "2025-11-05T06:00:00Z", "end": "2025-11-05T01:00:00Z"}, "end"),
        ({"user": "dave", "start": "2025-11-05T00:00:00", "end": "2025-11-05T06:00:00Z"}, "start"),
        ({"user": "dave", "start": "2025-11-05T00:00:00Z"}, "end"),
    ],
)
def test_bad_overrides_are_refused_and_nothing_is_written(
    client, issue_token, created, session, body, field
):
    responder = issue_token("responder")
    response = client.post(f"{SCHEDULES}/payments-primary/overrides", json=body, headers=responder)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert client.get(f"{SCHEDULES}/payments-primary/overrides", headers=responder).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert schedule_audit_rows(session) == ["schedule.create"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("shifts", {"from": "2025-11-01T00:00:00Z", "to": "2026-02-03T00:00:00Z"}, "to"),
        ("shifts", {"from": "2025-11-02T00:00:00Z", "to": "2025-11-01T00:00:00Z"}, "to"),
        ("shifts", {"from": "2025-11-01T00:00:00"}, "from"),
        ("on-call", {"at": "2025-11-01T00:00:00"}, "at"),
        ("on-call", {"at": "yesterday"}, "at"),
    ],
)
def test_bad_windows_and_times_are_422(client, admin, created, path, params, field):
    response = client.get(f"{SCHEDULES}/payments-primary/{path}", params=params, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_roles(client, admin, issue_token, people, created):
    viewer, responder = issue_token("viewer"), issue_token("responder")
    other = {**PAYMENTS, "name": "other"}
    assert client.post(SCHEDULES, json=other, headers=viewer).status_code == 403
    assert client.post(SCHEDULES, json=other, headers=responder).status_code == 403
    assert (
        client.put(f"{SCHEDULES}/payments-primary", json={}, headers=responder).status_code == 403
    )
    assert client.delete(f"{SCHEDULES}/payments-primary", headers=responder).status_code == 403
    override = {"user": "dave", "start": "2025-11-05T00:00:00Z", "end": "2025-11-05T06:00:00Z"}
    base = f"{SCHEDULES}/payments-primary/overrides"
    assert client.post(base, json=override, headers=viewer).status_code == 403
    created_override = client.post(base, json=override, headers=responder).json()
    assert client.delete(f"{base}/{created_override['id']}", headers=viewer).status_code == 403
    assert client.get(SCHEDULES).status_code == 401
    assert [s["name"] for s in client.get(SCHEDULES, headers=admin).json()["items"]] == [
        "payments-primary"
    ]
