"""PagerDuty Events API v2 server side: golden files, validation, change events and robustness."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.sources import golden
from warroom.pipeline.event import TITLE_LIMIT, AlertStatus, Event, SourceError
from warroom.sources import pagerduty

KEY = "R0UT1NGK3Y0123456789ABCDEFGHIJKL"
NASTY: list[Any] = [None, [], {}, 0, -1.5, True, "", " ", "😀\ud83d", "x" * 300_000]
TRIGGER: dict[str, Any] = {
    "routing_key": KEY,
    "event_action": "trigger",
    "dedup_key": "d",
    "payload": {
        "summary": "s",
        "source": "h",
        "severity": "error",
        "timestamp": "2024-06-07T12:00:00Z",
        "component": "c",
        "group": "g",
        "class": "k",
        "custom_details": {"a": 1},
    },
    "images": [{"src": "https://x/i.png", "href": "https://x", "alt": "a"}],
    "links": [{"href": "https://x", "text": "t"}],
    "client": "mon",
    "client_url": "https://mon",
}


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    return pagerduty.parse_enqueue(body, new_key=lambda: "generated-key")[1]


def enqueue(document: Any) -> Event:
    routing_key, events = pagerduty.parse_enqueue(json.dumps(document).encode())
    assert routing_key == KEY
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize("case", golden.cases("pagerduty"))
def test_golden(case: Any) -> None:
    golden.check(case, parse)


def test_trigger_without_dedup_key_gets_a_fresh_uuid() -> None:
    document = {k: v for k, v in TRIGGER.items() if k != "dedup_key"}
    first, second = enqueue(document), enqueue(document)
    assert len(first.dedup_key) == 32
    assert first.dedup_key != second.dedup_key


def test_blank_dedup_key_counts_as_absent() -> None:
    assert enqueue(TRIGGER | {"dedup_key": "  "}).dedup_key != "  "
    with pytest.raises(SourceError, match="dedup_key is required"):
        enqueue({"routing_key": KEY, "event_action": "resolve", "dedup_key": ""})


@pytest.mark.parametrize(
    ("word", "level"), [("critical", "P1"), ("error", "P2"), ("warning", "P3"), ("info", "P4")]
)
def test_severity(word: str, level: str) -> None:
    assert enqueue(TRIGGER | {"payload": TRIGGER["payload"] | {"severity": word}}).severity == level


@pytest.mark.parametrize("word", ["Critical", "fatal", "", "P1"])
def test_other_severities_are_rejected(word: str) -> None:
    with pytest.raises(SourceError, match=r"payload\.severity"):
        enqueue(TRIGGER | {"payload": TRIGGER["payload"] | {"severity": word}})


@pytest.mark.parametrize(
    ("action", "status"),
    [("acknowledge", AlertStatus.acknowledged), ("resolve", AlertStatus.resolved)],
)
def test_ack_and_resolve_carry_no_severity(action: str, status: AlertStatus) -> None:
    event = enqueue({"routing_key": KEY, "event_action": action, "dedup_key": "d"})
    assert (event.status, event.severity, event.title) == (status, None, "")


def test_payload_on_resolve_must_still_be_an_object() -> None:
    with pytest.raises(SourceError, match="payload must be an object"):
        enqueue({"routing_key": KEY, "event_action": "resolve", "dedup_key": "d", "payload": []})


def test_300kb_custom_details_accepted_and_description_capped() -> None:
    details = {"blob": "z" * 300_000, "n": 1}
    event = enqueue(TRIGGER | {"payload": TRIGGER["payload"] | {"custom_details": details}})
    assert len(event.description.encode()) <= pagerduty.DESCRIPTION_MAX_BYTES
    assert event.description.endswith("…")
    assert len(event.labels["blob"]) == pagerduty.LABEL_VALUE_MAX
    assert event.labels["n"] == "1"


def test_description_cap_keeps_utf8_whole() -> None:
    text = pagerduty.render_details("😀" * 20_000)
    assert len(text.encode()) <= pagerduty.DESCRIPTION_MAX_BYTES
    assert text.endswith("😀…")


@pytest.mark.parametrize(
    ("details", "description"),
    [
        (None, ""),
        ("plain", "plain"),
        ({"b": 1, "a": [True]}, '{\n  "b": 1,\n  "a": [\n    true\n  ]\n}'),
        ([1], "[\n  1\n]"),
        (3, "3"),
    ],
)
def test_render_details(details: Any, description: str) -> None:
    assert pagerduty.render_details(details) == description


def test_summary_over_1024_is_truncated_not_rejected() -> None:
    event = enqueue(TRIGGER | {"payload": TRIGGER["payload"] | {"summary": "w " * 1000}})
    assert len(event.title) == TITLE_LIMIT


def test_service_prefers_group_then_component() -> None:
    payload = {k: v for k, v in TRIGGER["payload"].items() if k != "group"}
    assert enqueue(TRIGGER).service == "g"
    assert enqueue(TRIGGER | {"payload": payload}).service == "c"


def test_timestamp_with_offset_is_utc() -> None:
    payload = TRIGGER["payload"] | {"timestamp": "2024-06-07T14:00:00+0200"}
    started = enqueue(TRIGGER | {"payload": payload}).started_at
    assert started is not None
    assert started.isoformat() == "2024-06-07T12:00:00+00:00"


def test_responses() -> None:
    assert pagerduty.accepted_body("k") == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "k",
    }
    assert pagerduty.invalid_event_body(["x"]) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["x"],
    }


def test_change_event_is_cleaned() -> None:
    body = {
        "routing_key": KEY,
        "payload": {
            "summary": "Build  succeeded\n#42",
            "source": "ci",
            "timestamp": "2024-06-07T14:00:00+02:00",
            "custom_details": {"build": 42},
        },
        "links": [{"href": "https://ci/42", "text": "Build"}, {"href": "https://ci"}],
    }
    routing_key, change = pagerduty.parse_change(json.dumps(body).encode())
    assert routing_key == KEY
    assert change == {
        "summary": "Build succeeded #42",
        "source": "ci",
        "timestamp": "2024-06-07T12:00:00+00:00",
        "custom_details": {"build": 42},
        "links": [{"href": "https://ci/42", "text": "Build"}, {"href": "https://ci", "text": ""}],
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"payload": {"summary": "s"}}, "routing_key is required"),
        ({"routing_key": "k" * 33, "payload": {"summary": "s"}}, "routing_key must be 32"),
        ({"routing_key": KEY}, "payload is required"),
        ({"routing_key": KEY, "payload": {"source": "s"}}, "payload.summary is required"),
        ({"routing_key": KEY, "payload": {"summary": "s", "timestamp": "x"}}, "timestamp"),
        ({"routing_key": KEY, "payload": {"summary": "s"}, "links": [{}]}, "links[0].href"),
    ],
)
def test_change_event_validation(document: Any, message: str) -> None:
    with pytest.raises(SourceError, match=message.replace(".", r"\.").replace("[", r"\[")):
        pagerduty.parse_change(json.dumps(document).encode())


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


@pytest.mark.parametrize("document", list(mutations(TRIGGER)))
def test_fuzzed_documents_parse_or_raise_source_error(document: Any) -> None:
    body = json.dumps(document).encode()
    for parse_body in (pagerduty.parse_enqueue, pagerduty.parse_change):
        with contextlib.suppress(SourceError):
            parse_body(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b"\xff",
        b"[" * 5000,
        b'{"routing_key": "' + KEY.encode() + b'", "event_action": "trigger", "payload": '
        b'{"summary": "s", "source": "h", "severity": "info", "timestamp": '
        b'"9999-12-31T23:59:59-01:00"}}',
    ],
)
def test_odd_bodies_raise_source_error(body: bytes) -> None:
    with pytest.raises(SourceError):
        pagerduty.parse_enqueue(body)
    with pytest.raises(SourceError):
        pagerduty.parse_change(body)
