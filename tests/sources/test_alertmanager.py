"""Alertmanager webhook adapter: golden files, fingerprint and robustness."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sources import golden
from warroom.pipeline.event import TITLE_LIMIT, AlertStatus, SourceError
from warroom.sources import alertmanager


@pytest.mark.parametrize("case", golden.cases("alertmanager"))
def test_golden(case: Any) -> None:
    golden.check(case, alertmanager.parse)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # Vectors from prometheus/common model/signature_test.go (labelSetToFingerprint).
        ({}, 14695981039346656037),
        ({"name": "garland, briggs", "fear": "love is not enough"}, 5799056148416392346),
        ({"first-label": "first-label-value"}, 5146282821936882169),
        (
            {"first-label": "first-label-value", "second-label": "second-label-value"},
            3195800080984914717,
        ),
        (
            {
                "first-label": "first-label-value",
                "second-label": "second-label-value",
                "third-label": "third-label-value",
            },
            13843036195897128121,
        ),
    ],
)
def test_fingerprint_matches_prometheus(labels: dict[str, str], expected: int) -> None:
    assert alertmanager.fingerprint(labels) == f"{expected:016x}"


def test_fingerprint_is_sixteen_lowercase_hex_digits_and_order_free() -> None:
    first = alertmanager.fingerprint({"b": "2", "a": "1", "é": "🔥"})
    assert first == alertmanager.fingerprint({"é": "🔥", "a": "1", "b": "2"})
    assert len(first) == 16
    assert first == first.lower()
    int(first, 16)


def test_fingerprint_separator_keeps_pairs_apart() -> None:
    assert alertmanager.fingerprint({"a": "bc"}) != alertmanager.fingerprint({"ab": "c"})


def test_fingerprint_survives_lone_surrogate() -> None:
    assert alertmanager.fingerprint({"a": "\ud800"}) == alertmanager.fingerprint({"a": "\ufffd"})


def _message(**alert: Any) -> bytes:
    base: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "X"},
        "annotations": {},
        "startsAt": "2026-03-02T09:14:07Z",
        "endsAt": "2026-03-02T09:20:07Z",
        "generatorURL": "",
        "fingerprint": "",
    }
    base.update(alert)
    return json.dumps({"version": "4", "status": "firing", "alerts": [base]}).encode()


def test_raw_is_the_alert_element() -> None:
    body = _message(labels={"alertname": "X", "severity": "page"})
    (event,) = alertmanager.parse({}, body)
    assert event.raw == json.loads(body)["alerts"][0]
    assert event.severity == "P1"


def test_firing_alert_never_gets_ended_at_from_ends_at() -> None:
    (event,) = alertmanager.parse({}, _message())
    assert event.status is AlertStatus.firing
    assert event.ended_at is None


def test_long_title_is_truncated_and_huge_annotation_kept() -> None:
    huge = "x" * 300_000
    body = _message(annotations={"summary": "s" * 5000, "description": huge})
    (event,) = alertmanager.parse({}, body)
    assert len(event.title) == TITLE_LIMIT
    assert event.description == huge


def test_non_http_links_are_skipped() -> None:
    body = _message(
        generatorURL="javascript:alert(1)",
        annotations={"runbook_url": "  ", "dashboard": "ftp://x"},
    )
    (event,) = alertmanager.parse({}, body)
    assert event.links == []


def test_group_labels_do_not_override_alert_labels() -> None:
    message = json.loads(_message(labels={"alertname": "X", "team": "a"}))
    message["groupLabels"] = {"team": "b", "cluster": "eu"}
    (event,) = alertmanager.parse({}, json.dumps(message).encode())
    assert event.labels == {"alertname": "X", "team": "a", "cluster": "eu"}
    assert event.dedup_key == alertmanager.fingerprint({"alertname": "X", "team": "a"})


ODD_BODIES = [
    b"",
    b" ",
    b"null",
    b"[]",
    b'"x"',
    b"0",
    b"true",
    b"{}",
    b'{"alerts": null}',
    b'{"alerts": "x"}',
    b'{"alerts": [null]}',
    b'{"alerts": [[]]}',
    b'{"alerts": [{}]}',
    b'{"alerts": [{"status": 1}]}',
    b'{"alerts": [{"status": "firing", "labels": []}]}',
    b'{"alerts": [{"status": "firing", "labels": {"a": null}}]}',
    b'{"alerts": [{"status": "firing", "fingerprint": 5}]}',
    b'{"alerts": [{"status": "firing", "startsAt": 5}]}',
    b'{"alerts": [{"status": "firing", "startsAt": "2026-13-45T00:00:00Z"}]}',
    b'{"alerts": [{"status": "firing", "generatorURL": {}}]}',
    b'{"alerts": [], "truncatedAlerts": true}',
    b'{"alerts": [], "truncatedAlerts": -1}',
    b'{"alerts": [], "truncatedAlerts": 1.5}',
    b'{"alerts": [], "externalURL": []}',
    b'{"alerts": [], "version": 4}',
    b'{"alerts": [], "commonLabels": {"a": 1}}',
    b"\xff\xfe",
    b"[" * 5000,
    b'{"alerts": [{"status": "firing", "fingerprint": "' + b"f" * 600 + b'"}]}',
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_raise_source_error_only(body: bytes) -> None:
    with pytest.raises(SourceError):
        alertmanager.parse({}, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"alerts": [], "notification_reason": {"weird": [1]}}',
        b'{"alerts": [{"status": "resolved", "labels": {"\\ud83d": "\\udca5"}}]}',
        b'{"alerts": [{"status": "firing", "startsAt": "2026-03-02T09:14:07.123456789Z"}]}',
        b'{"alerts": [], "truncatedAlerts": 0, "unknown": {"deep": [1, {"x": null}]}}',
    ],
)
def test_lenient_bodies_parse(body: bytes) -> None:
    alertmanager.parse({}, body)
