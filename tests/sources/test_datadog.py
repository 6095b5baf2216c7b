"""Datadog webhook adapter: golden files, template quirks, form encoding and robustness."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.sources import golden
from warroom.pipeline.event import DEDUP_KEY_LIMIT, TITLE_LIMIT, AlertStatus, SourceError
from warroom.sources import datadog

FORM = {"content-type": "application/x-www-form-urlencoded"}
NASTY: list[Any] = [None, [], {}, 0, -1.5, True, "", " ", "😀\ud83d", "$ALERT_ID", "x" * 300_000]
BASE: dict[str, Any] = {
    "id": "1",
    "title": "[P2] [Triggered on {host:a}] Name",
    "body": "%%%\nmsg\n%%%",
    "date": "1717761900000",
    "org": {"id": "1", "name": "Acme"},
    "aggreg_key": "k",
    "alert_transition": "Triggered",
    "alert_type": "error",
    "alert_priority": "P2",
    "alert_scope": "host:a,service:b",
    "hostname": "a",
    "tags": "service:s,env:prod",
    "link": "https://app.datadoghq.com/monitors/1",
    "snapshot": "https://p.datadoghq.com/s.png",
}


def parse_json(document: Any) -> Any:
    return datadog.parse({}, json.dumps(document).encode())[0]


@pytest.mark.parametrize("case", golden.cases("datadog"))
def test_golden(case: Any) -> None:
    golden.check(case, datadog.parse)


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"aggreg_key": "agg", "alert_cycle_key": "cyc", "alert_id": "1"}, "agg"),
        ({"aggreg_key": "$AGGREG_KEY", "alert_cycle_key": "cyc", "alert_id": "1"}, "cyc"),
        (
            {"aggreg_key": "", "alert_cycle_key": " ", "alert_id": "7", "alert_scope": "host:a"},
            "7/host:a",
        ),
        ({"alert_id": "7", "alert_scope": "$ALERT_SCOPE"}, "7"),
        ({"id": "99", "title": "[P1] [Re-Triggered on {host:a}] [extra] Disk full"}, "Disk full"),
    ],
)
def test_dedup_key_order_never_uses_id(fields: dict[str, str], key: str) -> None:
    assert parse_json({"id": "99", "title": "t", **fields}).dedup_key == key


@pytest.mark.parametrize(
    ("fields", "severity"),
    [
        ({"alert_priority": "P5", "title": "[P1] x", "alert_type": "error"}, "P4"),
        ({"alert_priority": "p1"}, "P1"),
        ({"alert_priority": "$ALERT_PRIORITY", "title": "[P4] x", "alert_type": "error"}, "P4"),
        ({"alert_priority": "urgent", "title": "[Triggered] x", "alert_type": "error"}, "P2"),
        ({"alert_type": "warning"}, "P3"),
        ({"alert_type": "info"}, "P4"),
        ({"alert_type": "success"}, "P4"),
        ({"alert_type": "weird"}, "P3"),
        ({}, "P3"),
    ],
)
def test_severity_rule(fields: dict[str, str], severity: str) -> None:
    assert parse_json({"title": "x", "aggreg_key": "k", **fields}).severity == severity


def test_recovery_without_priority_carries_no_severity_and_date_is_end() -> None:
    event = parse_json(
        {"title": "x", "aggreg_key": "k", "alert_transition": "Recovered", "alert_type": "success"}
        | {"date": "1717761900000"}
    )
    assert event.status is AlertStatus.resolved
    assert event.severity is None
    assert event.started_at is None
    assert event.ended_at is not None


@pytest.mark.parametrize(
    ("transition", "title", "status"),
    [
        ("Recovered", "[Triggered] x", AlertStatus.resolved),
        ("Re-Triggered", "[Recovered] x", AlertStatus.firing),
        ("Warn", "x", AlertStatus.firing),
        ("No Data", "x", AlertStatus.firing),
        (None, "[P2] [Recovered on {host:a}] x", AlertStatus.resolved),
        ("$ALERT_TRANSITION", "[Recovered] x", AlertStatus.resolved),
        (None, "Recovered disk", AlertStatus.firing),
    ],
)
def test_status(transition: str | None, title: str, status: AlertStatus) -> None:
    document = {"title": title, "aggreg_key": "k", "alert_transition": transition}
    assert parse_json(document).status is status


def test_service_falls_back_from_tags_to_scope_to_hostname() -> None:
    assert parse_json(BASE).service == "s"
    assert parse_json(BASE | {"tags": "env:prod"}).service == "b"
    assert parse_json(BASE | {"tags": "", "alert_scope": "host:a"}).service == "a"


def test_tags_become_labels_and_fields_win() -> None:
    labels = parse_json(BASE | {"tags": "a:1:2, bare ,a:3,:x,event_type:mine,,"}).labels
    assert labels == {
        "a": "1:2,3",
        "bare": "",
        "event_type": "mine",
        "alert_type": "error",
        "alert_transition": "Triggered",
        "org": "Acme",
    }


def test_numbers_are_accepted_as_text_and_raw_is_the_document() -> None:
    event = parse_json(BASE | {"alert_id": 5, "date": 1717761900000.0, "aggreg_key": None})
    assert event.dedup_key == "5/host:a,service:b"
    assert event.started_at is not None
    assert event.raw["alert_id"] == 5


def test_long_title_truncated_and_long_key_hashed() -> None:
    event = parse_json({"title": "y" * 5000})
    assert len(event.title) == TITLE_LIMIT
    assert len(event.dedup_key) == DEDUP_KEY_LIMIT
    assert event.dedup_key != parse_json({"title": "y" * 4999}).dedup_key


def test_form_body_without_org() -> None:
    fields = {"title": "[P1] x", "aggreg_key": "k", "org": "Acme", "date": "", "tags": "team:a"}
    event = datadog.parse(FORM, urlencode(fields).encode())[0]
    assert (event.dedup_key, event.severity, event.labels) == ("k", "P1", {"team": "a"})


@pytest.mark.parametrize(
    "body", [b"%ff", b"title=%ff", b"&".join([b"a=1"] * 2000), b"", b"=", b"title=%24EVENT_TITLE"]
)
def test_bad_form_bodies_raise_source_error(body: bytes) -> None:
    with pytest.raises(SourceError):
        datadog.parse(FORM, body)


def mutations(value: Any, depth: int = 3) -> Iterator[Any]:
    """The value replaced by each nasty value, and the same one level down (to ``depth``)."""
    yield from NASTY
    if depth and isinstance(value, dict):
        for key, child in value.items():
            for replacement in mutations(child, depth - 1):
                yield {**value, key: replacement}


@pytest.mark.parametrize("document", list(mutations(BASE)))
def test_fuzzed_documents_parse_or_raise_source_error(document: Any) -> None:
    with contextlib.suppress(SourceError):
        datadog.parse({}, json.dumps(document).encode())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b"\xff",
        b"[" * 5000,
        b'{"a":' * 70 + b"1" + b"}" * 70,
        b'{"date": "nan"}',
    ],
)
def test_odd_bodies_raise_source_error(body: bytes) -> None:
    with pytest.raises(SourceError):
        datadog.parse({}, body)


@pytest.mark.parametrize("date", ["1e300", "-1e20", "inf", "NaN"])
def test_out_of_range_dates_raise_source_error(date: str) -> None:
    with pytest.raises(SourceError, match="date"):
        parse_json(BASE | {"date": date})
