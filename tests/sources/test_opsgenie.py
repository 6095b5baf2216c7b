"""Opsgenie-compatible create, close and acknowledge: golden files, validation and robustness."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.sources import golden
from warroom.pipeline.event import TITLE_LIMIT, AlertStatus, Event, SourceError
from warroom.sources import opsgenie

NASTY: list[Any] = [None, [], {}, 0, -1.5, True, "", " ", "😀\ud83d", "x" * 300_000]
CREATE: dict[str, Any] = {
    "message": "m",
    "alias": "a",
    "description": "d",
    "responders": [{"type": "team", "name": "NOC"}],
    "visibleTo": [{"type": "user", "username": "u@example.com"}],
    "actions": ["Restart"],
    "tags": ["t"],
    "details": {"k": "v"},
    "entity": "e",
    "source": "s",
    "priority": "P2",
    "user": "u",
    "note": "n",
}


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    return opsgenie.parse_create(headers, body, new_key=lambda: "generated-alias")


def create(document: Any) -> Event:
    events = opsgenie.parse_create({}, json.dumps(document).encode())
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize("case", golden.cases("opsgenie"))
def test_golden(case: Any) -> None:
    golden.check(case, parse)


@pytest.mark.parametrize(
    ("priority", "severity"),
    [("P1", "P1"), ("P2", "P2"), ("P3", "P3"), ("P4", "P4"), ("P5", "P4"), (None, "P3")],
)
def test_priority(priority: str | None, severity: str) -> None:
    assert create(CREATE | {"priority": priority}).severity == severity


@pytest.mark.parametrize("priority", ["P0", "P6", "high", "", 1])
def test_other_priorities_are_rejected(priority: Any) -> None:
    with pytest.raises(SourceError, match="priority"):
        create(CREATE | {"priority": priority})


def test_missing_alias_is_generated_fresh() -> None:
    document = {"message": "m"}
    assert create(document).dedup_key != create(document).dedup_key


def test_message_kept_up_to_title_limit() -> None:
    assert create({"message": "w" * 200}).title == "w" * 200
    assert len(create({"message": "w" * 5000}).title) == TITLE_LIMIT


def test_description_over_15000_is_truncated() -> None:
    event = create({"message": "m", "description": "d" * 20_000})
    assert len(event.description) == opsgenie.DESCRIPTION_MAX
    assert event.description.endswith("…")


def test_labels_are_details_then_tags() -> None:
    labels = create(CREATE | {"details": {"tags": "x", "a": "b"}, "tags": ["p", " q ", "p"]}).labels
    assert labels == {"tags": "p, q", "a": "b"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("responders", {"type": "team"}, "responders must be an array"),
        ("visibleTo", ["team"], r"visibleTo\[0\] must be an object"),
        ("actions", [1], r"actions\[0\] must be a string"),
        ("user", 5, "user must be a string"),
        ("note", [], "note must be a string"),
        ("entity", {}, "entity must be a string"),
        ("details", ["a"], "details must be an object"),
        ("message", " ", "message is required"),
    ],
)
def test_type_checks(field: str, value: Any, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        create(CREATE | {field: value})


@pytest.mark.parametrize(
    ("action", "status"),
    [("close", AlertStatus.resolved), ("acknowledge", AlertStatus.acknowledged)],
)
def test_actions_by_alias(action: str, status: AlertStatus) -> None:
    body = json.dumps({"user": "Monitoring Script", "source": "AWS Lambda", "note": "Action note"})
    event = opsgenie.parse_action(action, "my-alias", "alias", body.encode())
    assert (event.dedup_key, event.status, event.severity, event.title) == (
        "my-alias",
        status,
        None,
        "",
    )
    assert event.raw["note"] == "Action note"


@pytest.mark.parametrize("body", [b"", b"  ", b"{}"])
def test_action_body_may_be_empty(body: bytes) -> None:
    assert opsgenie.parse_action("close", "a", "alias", body).raw == {}


@pytest.mark.parametrize("identifier_type", [None, "id", "tiny", "ALIAS"])
def test_actions_need_identifier_type_alias(identifier_type: str | None) -> None:
    with pytest.raises(SourceError, match="identifierType=alias"):
        opsgenie.parse_action("close", "a", identifier_type, b"")


@pytest.mark.parametrize(
    ("action", "identifier", "body", "message"),
    [
        ("delete", "a", b"", "action must be close or acknowledge"),
        ("close", "", b"", "alias must be 1 to 512"),
        ("close", "a" * 513, b"", "alias must be 1 to 512"),
        ("close", "a", b"[]", "the body must be an object"),
        ("close", "a", b'{"note": 1}', "note must be a string"),
        ("acknowledge", "a", b"{", "not valid JSON"),
    ],
)
def test_action_validation(action: str, identifier: str, body: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        opsgenie.parse_action(action, identifier, "alias", body)


def test_accepted_body() -> None:
    assert opsgenie.accepted_body("r-1", 0.302) == {
        "result": "Request will be processed",
        "took": 0.302,
        "requestId": "r-1",
    }


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


@pytest.mark.parametrize("document", list(mutations(CREATE)))
def test_fuzzed_documents_parse_or_raise_source_error(document: Any) -> None:
    body = json.dumps(document).encode()
    with contextlib.suppress(SourceError):
        opsgenie.parse_create({}, body)
    with contextlib.suppress(SourceError):
        opsgenie.parse_action("close", "a", "alias", body)


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b"\xff", b"[" * 5000, b'{"message": 1}'])
def test_odd_bodies_raise_source_error(body: bytes) -> None:
    with pytest.raises(SourceError):
        opsgenie.parse_create({}, body)
