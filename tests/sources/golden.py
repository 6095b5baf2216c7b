"""Golden files for source adapters: a body exactly as sent, its headers, the events expected."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from warroom.pipeline.event import Event, SourceError

GOLDEN = Path(__file__).parent / "golden"


def event_as_json(event: Event) -> dict[str, Any]:
    """An event as comparable JSON (the raw payload is left out)."""
    return {
        "source_format": event.source_format,
        "dedup_key": event.dedup_key,
        "status": event.status.value,
        "severity": event.severity,
        "title": event.title,
        "description": event.description,
        "service": event.service,
        "resource": event.resource,
        "labels": event.labels,
        "links": [{"href": link.href, "text": link.text} for link in event.links],
        "started_at": event.started_at.isoformat() if event.started_at else None,
        "ended_at": event.ended_at.isoformat() if event.ended_at else None,
        "delivery_id": event.delivery_id,
        "truncated": event.truncated,
    }


def cases(source: str) -> list[Any]:
    """One pytest param per ``golden/<source>/<case>.body`` file, named by the case."""
    bodies = sorted((GOLDEN / source).glob("*.body"))
    return [pytest.param(body, id=body.stem) for body in bodies]


def headers_of(body_path: Path) -> dict[str, str]:
    """The case's headers (``<case>.headers.json``, lower-case names), or none."""
    path = body_path.with_suffix(".headers.json")
    return json.loads(path.read_text()) if path.exists() else {}


def check(body_path: Path, parse: Callable[[Mapping[str, str], bytes], list[Event]]) -> None:
    """Parse the case's body and compare with ``<case>.events.json`` or ``<case>.error.json``."""
    headers, body = headers_of(body_path), body_path.read_bytes()
    error_path = body_path.with_suffix(".error.json")
    if error_path.exists():
        expected_error = json.loads(error_path.read_text())
        with pytest.raises(SourceError) as caught:
            parse(headers, body)
        assert expected_error["contains"] in caught.value.detail
        return
    expected = json.loads(body_path.with_suffix(".events.json").read_text())
    assert [event_as_json(e) for e in parse(headers, body)] == expected
