"""Reading alerts: filters, pagination, detail with the raw body, an incident's alerts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.alerts.conftest import ALERTS, add_alert, add_integration
from warroom.change import Change
from warroom.incidents.service import declare
from warroom.services.service import create_service
from warroom.severity import DEFAULT_SCHEME

FIELDS = {
    "id",
    "integration",
    "source_format",
    "dedup_key",
    "status",
    "severity",
    "title",
    "description",
    "service",
    "resource",
    "labels",
    "links",
    "started_at",
    "ended_at",
    "event_count",
    "incident_ref",
    "last_event_at",
    "suppressed_by",
}


def test_filters_and_detail(client, admin, checkout, session: Session, change: Change):
    create_service(session, change=change, name="search")
    prom = add_integration(session, change)
    other = add_integration(session, change, name="dd", source="datadog", service="search")
    incident = declare(session, change=change, scheme=DEFAULT_SCHEME, title="Down", severity="P1")
    session.commit()
    first = add_alert(session, change, prom, incident_id=incident.id)
    resolved = add_alert(session, change, prom, dedup_key="k2", status="resolved")
    third = add_alert(session, change, other, dedup_key="k1", status="acknowledged")

    def ids(**params: object) -> list[int]:
        answer = client.get(ALERTS, params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [a["id"] for a in answer.json()["items"]]

    assert ids() == [third.id, resolved.id, first.id]
    assert ids(integration="prom") == [resolved.id, first.id]
    assert ids(dedup_key="k1") == [third.id, first.id]
    assert ids(status="firing,acknowledged") == [third.id, first.id]
    assert ids(status=["resolved", "firing"]) == [resolved.id, first.id]
    assert ids(service="search") == [third.id]
    assert ids(incident=incident.ref) == [first.id]
    listed = client.get(ALERTS, headers=admin).json()["items"]
    assert set(listed[0]) == FIELDS
    assert listed[2]["incident_ref"] == incident.ref
    assert listed[2]["integration"] == "prom"
    detail = client.get(f"{ALERTS}/{first.id}", headers=admin).json()
    assert set(detail) == FIELDS | {"raw"}
    assert detail["raw"] == {"receiver": "warroom"}
    assert detail["started_at"].endswith("Z") or detail["started_at"].endswith("+00:00")
    of_incident = client.get(f"/api/v1/incidents/{incident.ref}/alerts", headers=admin).json()
    assert [a["id"] for a in of_incident["items"]] == [first.id]
    assert (
        client.get("/api/v1/incidents/incident-1999-01-01-001/alerts", headers=admin).status_code
        == 404
    )


def test_pagination_follows_the_cursor(client, admin, checkout, session: Session, change):
    prom = add_integration(session, change)
    made = [add_alert(session, change, prom, dedup_key=f"k{i}").id for i in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(ALERTS, params=params, headers=admin).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


def test_bad_queries(client, admin, issue_token):
    unknown = client.get(ALERTS, params={"status": "firing,open"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "status"
    assert "firing, acknowledged, resolved" in unknown.json()["detail"]
    assert client.get(ALERTS, params={"limit": 0}, headers=admin).status_code == 422
    assert client.get(ALERTS, params={"limit": 201}, headers=admin).status_code == 422
    assert client.get(ALERTS, params={"cursor": "nope"}, headers=admin).status_code == 422
    missing = client.get(f"{ALERTS}/999", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get(ALERTS).status_code == 401
    assert client.get(ALERTS, headers=issue_token("viewer")).status_code == 200
