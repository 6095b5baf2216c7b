"""Statuspage v2 consumer: incidents and components from golden pages, validation and robustness."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.sources import golden
from warroom.pipeline.event import AlertStatus, Event, SourceError
from warroom.sources import statuspage

PAGE_URL = "https://status.example.com"
NASTY: list[Any] = [None, [], {}, 0, -1.5, True, "", " ", "😀\ud83d", "x" * 300_000]
INCIDENT: dict[str, Any] = {
    "id": "i1",
    "name": "API errors",
    "status": "investigating",
    "impact": "major",
    "created_at": "2024-06-07T11:40:02.000Z",
    "started_at": "2024-06-07T11:32:00.000Z",
    "resolved_at": None,
    "shortlink": "https://stspg.io/i1",
    "incident_updates": [{"id": "u1", "status": "investigating", "body": "Looking."}],
    "components": [{"id": "c1", "name": "API"}],
}
COMPONENT: dict[str, Any] = {
    "id": "c1",
    "name": "API",
    "status": "major_outage",
    "updated_at": "2024-06-07T11:58:12.000Z",
    "group_id": "g1",
    "group": False,
    "description": "REST",
}
SUMMARY: dict[str, Any] = {
    "page": {"id": "p", "name": "Acme", "url": PAGE_URL},
    "components": [COMPONENT, {"id": "g1", "name": "Core", "status": "operational", "group": True}],
    "incidents": [INCIDENT],
    "scheduled_maintenances": [INCIDENT | {"scheduled_for": "2024-06-08T00:00:00Z"}],
}


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    return statuspage.parse_incidents(body, page_url=PAGE_URL)


def parse_components(headers: Mapping[str, str], body: bytes) -> list[Event]:
    return statuspage.parse_components(body)


def incidents(*items: Any, **document: Any) -> list[Event]:
    body = json.dumps({"incidents": list(items), **document}).encode()
    return statuspage.parse_incidents(body, page_url=PAGE_URL)


@pytest.mark.parametrize("case", golden.cases("statuspage"))
def test_golden_incidents(case: Any) -> None:
    golden.check(case, parse)


@pytest.mark.parametrize("case", golden.cases("statuspage/components"))
def test_golden_components(case: Any) -> None:
    golden.check(case, parse_components)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("investigating", AlertStatus.firing),
        ("identified", AlertStatus.firing),
        ("monitoring", AlertStatus.firing),
        ("resolved", AlertStatus.resolved),
        ("postmortem", AlertStatus.resolved),
    ],
)
def test_incident_status(status: str, expected: AlertStatus) -> None:
    (event,) = incidents(INCIDENT | {"status": status, "resolved_at": "2024-06-07T13:00:00Z"})
    assert event.status is expected
    assert (event.ended_at is not None) is (expected is AlertStatus.resolved)


@pytest.mark.parametrize(
    ("impact", "severity"),
    [("critical", "P1"), ("major", "P2"), ("minor", "P3"), ("none", "P4"), ("maintenance", "P4")],
)
def test_impact(impact: str, severity: str) -> None:
    assert incidents(INCIDENT | {"impact": impact})[0].severity == severity


def test_missing_impact_is_p3_and_not_a_label() -> None:
    (event,) = incidents({k: v for k, v in INCIDENT.items() if k != "impact"})
    assert event.severity == "P3"
    assert "impact" not in event.labels


def test_maintenances_are_not_alerts() -> None:
    scheduled = INCIDENT | {"scheduled_for": "2024-06-08T00:00:00Z", "status": "investigating"}
    statuses = ("scheduled", "in_progress", "verifying", "completed")
    maintenance = [INCIDENT | {"status": status} for status in statuses]
    assert incidents(scheduled, *maintenance) == []


def test_started_at_falls_back_to_created_at_and_raw_is_the_incident() -> None:
    (event,) = incidents(INCIDENT | {"started_at": None})
    assert event.started_at is not None
    assert event.started_at.isoformat() == "2024-06-07T11:40:02+00:00"
    assert event.raw["id"] == "i1"


def test_summary_gives_incidents_and_components() -> None:
    body = json.dumps(SUMMARY).encode()
    (incident,) = statuspage.parse_incidents(body, page_url=PAGE_URL)
    assert (incident.title, incident.service, incident.labels["components"]) == (
        "Acme: API errors",
        "Acme",
        "API",
    )
    (component,) = statuspage.parse_components(body)
    assert (component.dedup_key, component.severity, component.labels["group"]) == (
        "component:c1",
        "P1",
        "Core",
    )


@pytest.mark.parametrize(
    ("status", "severity", "alert_status"),
    [
        ("major_outage", "P1", AlertStatus.firing),
        ("partial_outage", "P2", AlertStatus.firing),
        ("degraded_performance", "P3", AlertStatus.firing),
        ("operational", None, AlertStatus.resolved),
    ],
)
def test_component_status(status: str, severity: str | None, alert_status: AlertStatus) -> None:
    body = json.dumps({"components": [COMPONENT | {"status": status}]}).encode()
    (event,) = statuspage.parse_components(body)
    assert (event.severity, event.status) == (severity, alert_status)


def test_components_under_maintenance_and_groups_are_skipped() -> None:
    group = COMPONENT | {"group": True, "status": "major_outage"}
    maintenance = COMPONENT | {"status": "under_maintenance"}
    body = json.dumps({"components": [group, maintenance]}).encode()
    assert statuspage.parse_components(body) == []


def mutations(value: Any, depth: int = 3) -> Iterator[Any]:
    """The value replaced by each nasty value, and the same one level down (to ``depth``)."""
    yield from NASTY
    if depth and isinstance(value, dict):
        for key, child in value.items():
            for replacement in mutations(child, depth - 1):
                yield {**value, key: replacement}
    elif depth and isinstance(value, list) and value:
        for replacement in mutations(value[0], depth - 1):
            yield [replacement, *value[1:]]


@pytest.mark.parametrize("document", list(mutations(SUMMARY, depth=4)))
def test_fuzzed_documents_parse_or_raise_source_error(document: Any) -> None:
    body = json.dumps(document).encode()
    with contextlib.suppress(SourceError):
        statuspage.parse_incidents(body, page_url=PAGE_URL)
    with contextlib.suppress(SourceError):
        statuspage.parse_components(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b"\xff",
        b"[" * 5000,
        b'{"incidents": {}, "components": {}}',
        b'{"incidents": [{"id": "i", "name": "n", "status": "resolved", '
        b'"resolved_at": "9999-12-31T23:59:59-01:00"}], '
        b'"components": [{"id": "c", "name": "n", "status": "operational", '
        b'"updated_at": "9999-12-31T23:59:59-01:00"}]}',
    ],
)
def test_odd_bodies_raise_source_error(body: bytes) -> None:
    with pytest.raises(SourceError):
        statuspage.parse_incidents(body, page_url=PAGE_URL)
    with pytest.raises(SourceError):
        statuspage.parse_components(body)
