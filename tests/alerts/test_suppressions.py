"""Silences and maintenance windows: validation, listing, expiry, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from warroom.alerts import service
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.errors import ValidationFailed
from warroom.pipeline.suppress import active

SILENCES = "/api/v1/silences"
WINDOWS = "/api/v1/maintenance-windows"


def silence(**body: object) -> dict[str, object]:
    return {
        "matchers": [{"name": "alertname", "value": "Disk.*", "op": "=~"}],
        "duration": "2h",
        "comment": "disk migration",
        **body,
    }


def test_a_silence_is_created_listed_and_expired(
    client, issue_token, checkout, session: Session, clock: FakeClock
):
    responder = issue_token("responder")
    created = client.post(SILENCES, json=silence(service="checkout"), headers=responder)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "silence"
    assert body["service"] == "checkout"
    assert body["matchers"] == [{"name": "alertname", "value": "Disk.*", "op": "=~"}]
    assert body["created_by"] == "token:responder-token"
    assert created.headers["location"] == f"{SILENCES}/{body['id']}"
    default_op = client.post(
        SILENCES, json=silence(matchers=[{"name": "env", "value": "dev"}]), headers=responder
    )
    assert default_op.json()["matchers"][0]["op"] == "="
    assert len(active(session, clock.now())) == 2
    listed = client.get(SILENCES, params={"active": True}, headers=responder).json()["items"]
    assert [s["id"] for s in listed] == [default_op.json()["id"], body["id"]]
    expired = client.delete(f"{SILENCES}/{body['id']}", headers=responder)
    assert expired.status_code == 200
    session.expire_all()
    assert [s.id for s in active(session, clock.now())] == [default_op.json()["id"]]
    active_now = client.get(SILENCES, params={"active": "true"}, headers=responder).json()
    assert [s["id"] for s in active_now["items"]] == [default_op.json()["id"]]
    assert client.delete(f"{SILENCES}/{body['id']}", headers=responder).status_code == 200
    assert client.delete(f"{SILENCES}/999", headers=responder).status_code == 404
    assert client.post(SILENCES, json=silence(), headers=issue_token("viewer")).status_code == 403


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"matchers": []}, "matchers", "at least one"),
        (
            {"matchers": [{"name": "a", "value": "(", "op": "=~"}]},
            "matchers[0].value",
            "not a regular expression",
        ),
        ({"matchers": [{"name": "a", "value": "b", "op": "=="}]}, "matchers[0].op", "=~"),
        ({"duration": None, "ends_at": "2025-11-01T08:00:00Z"}, "ends_at", "future"),
        (
            {"duration": None, "starts_at": "2025-11-02T09:00:00Z", "ends_at": "2025-11-02T08:00Z"},
            "ends_at",
            "after starts_at",
        ),
        ({"ends_at": "2025-11-02T08:00:00Z"}, "ends_at", "exactly one"),
        ({"duration": "soon"}, "duration", "not a duration"),
        ({"comment": " "}, "comment", "why"),
        ({"service": "nope"}, "service", "no service called"),
        ({"duration": None, "ends_at": "2025-11-02T08:00:00"}, "ends_at", "timezone"),
    ],
)
def test_bad_silences_name_the_field(client, admin, checkout, body, field, words):
    answer = client.post(SILENCES, json=silence(**body), headers=admin)
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["field"] == field
    assert words in error["message"]


def test_maintenance_windows(client, admin, issue_token, checkout, clock: FakeClock):
    window = {
        "service": "checkout",
        "starts_at": "2025-11-01T10:00:00+01:00",
        "ends_at": "2025-11-01T12:00:00Z",
        "description": "database upgrade",
    }
    created = client.post(WINDOWS, json=window, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "maintenance"
    assert created.json()["matchers"] == []
    assert created.json()["comment"] == "database upgrade"
    responder = issue_token("responder")
    assert client.post(WINDOWS, json=window, headers=responder).status_code == 403
    unknown = client.post(WINDOWS, json={**window, "service": "nope"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "service"
    listed = client.get(WINDOWS, headers=responder).json()["items"]
    assert [w["id"] for w in listed] == [created.json()["id"]]
    assert client.get(SILENCES, headers=admin).json()["items"] == []
    window_id = created.json()["id"]
    assert client.delete(f"{SILENCES}/{window_id}", headers=admin).status_code == 404
    ended = client.delete(f"{WINDOWS}/{window_id}", headers=admin)
    assert ended.status_code == 200
    assert ended.json()["ends_at"] == clock.now().isoformat().replace("+00:00", "Z")


def test_service_functions_write_audit_rows(session: Session, change: Change, checkout):
    made = service.create_maintenance(
        session,
        change=change,
        service="checkout",
        starts_at=change.now(),
        ends_at=change.now() + timedelta(hours=1),
    )
    assert made.created_by == "cli:tester"
    with pytest.raises(ValidationFailed, match="no service called"):
        service.create_maintenance(
            session,
            change=change,
            service="ghost",
            starts_at=change.now(),
            ends_at=change.now() + timedelta(hours=1),
        )
    expired = service.expire_suppression(session, change=change, suppression_id=made.id)
    assert expired.ends_at == change.now()
    assert service.list_suppressions(session, active_at=change.now()) == []
