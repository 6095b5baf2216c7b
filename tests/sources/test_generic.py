"""Generic alert adapter: golden files, derived dedup keys and robustness."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.sources import golden
from warroom.pipeline.event import TITLE_LIMIT, AlertStatus, SourceError
from warroom.sources import generic


def _parse(document: Any) -> list[Any]:
    return generic.parse({}, json.dumps(document).encode())


@pytest.mark.parametrize("case", golden.cases("generic"))
def test_golden(case: Any) -> None:
    golden.check(case, generic.parse)


def test_derived_dedup_key_is_sha1_of_title_service_resource() -> None:
    (event,) = _parse({"title": "Backups did not run last night"})
    digest = hashlib.sha1(b'["Backups did not run last night", null, null]').hexdigest()
    assert event.dedup_key == f"generic-{digest}"


def test_repeated_report_dedups_and_differs_by_service() -> None:
    first, again, other = _parse(
        [
            {"title": "VPN down", "service": "vpn", "description": "first"},
            {"title": "VPN   down\n", "service": "vpn", "severity": "P1"},
            {"title": "VPN down", "service": "office"},
        ]
    )
    assert first.dedup_key == again.dedup_key != other.dedup_key


def test_raw_is_each_report_object() -> None:
    reports = [{"title": "a", "x": 1}, {"title": "b"}]
    assert [event.raw for event in _parse(reports)] == reports
    (single,) = _parse({"title": "c", "unknown": [1]})
    assert single.raw == {"title": "c", "unknown": [1]}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("firing", AlertStatus.firing),
        ("TRIGGER", AlertStatus.firing),
        ("ack", AlertStatus.acknowledged),
        ("acknowledge", AlertStatus.acknowledged),
        ("acknowledged", AlertStatus.acknowledged),
        ("resolve", AlertStatus.resolved),
        ("resolved", AlertStatus.resolved),
        (" ok ", AlertStatus.resolved),
    ],
)
def test_status_words(status: str, expected: AlertStatus) -> None:
    (event,) = _parse({"title": "t", "status": status})
    assert event.status is expected
    assert event.severity == (None if expected is not AlertStatus.firing else "P3")


@pytest.mark.parametrize(
    ("word", "level"),
    [("critical", "P1"), ("P1", "P1"), ("sev-2", "P2"), ("high", "P2"), ("minor", "P3")],
)
def test_severity_words(word: str, level: str) -> None:
    (event,) = _parse({"title": "t", "severity": word})
    assert event.severity == level


def test_unknown_severity_names_the_accepted_values() -> None:
    with pytest.raises(SourceError) as caught:
        _parse({"title": "t", "severity": "blocker"})
    assert generic.ACCEPTED_SEVERITIES in caught.value.detail


def test_long_title_truncated_and_dedup_key_limit() -> None:
    (event,) = _parse({"title": "t" * 5000, "dedup_key": "k" * 512})
    assert len(event.title) == TITLE_LIMIT
    assert event.dedup_key == "k" * 512


def test_thousand_reports_accepted() -> None:
    assert len(_parse([{"title": f"t{i}"} for i in range(1000)])) == 1000


ODD_BODIES = [
    b"",
    b"null",
    b"{}",
    b'{"title": null}',
    b'{"title": []}',
    b'{"title": "t", "status": 1}',
    b'{"title": "t", "severity": []}',
    b'{"title": "t", "labels": {"a": []}}',
    b'{"title": "t", "labels": "a=b"}',
    b'{"title": "t", "links": {"href": "https://x"}}',
    b'{"title": "t", "links": [{"href": 1}]}',
    b'{"title": "t", "links": [{"href": "https://x", "text": 1}]}',
    b'{"title": "t", "links": [null]}',
    b'{"title": "t", "links": ["/relative"]}',
    b'{"title": "t", "description": 1}',
    b'{"title": "t", "service": {}}',
    b'{"title": "t", "resource": true}',
    b"[null]",
    b"[[]]",
    b"[1]",
    b"[" * 200 + b"]" * 200,
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_raise_source_error_only(body: bytes) -> None:
    with pytest.raises(SourceError):
        generic.parse({}, body)


def test_empty_array_is_no_events() -> None:
    assert generic.parse({}, b"[]") == []


def test_lone_surrogate_title_still_derives_a_key() -> None:
    (event,) = generic.parse({}, b'{"title": "bad \\ud800 text"}')
    assert event.dedup_key.startswith("generic-")
