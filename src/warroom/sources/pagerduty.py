"""PagerDuty Events API v2, server side: https://developer.pagerduty.com/docs/events-api-v2/overview/."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from warroom.pipeline.event import AlertStatus, Event, Link, SourceError, one_line
from warroom.sources.common import (
    as_object,
    get_list,
    get_object,
    get_str,
    load_json,
    parse_time,
    require_str,
    scalar_text,
)

FORMAT = "pagerduty-v2"

ROUTING_KEY_LENGTH = 32
DEDUP_KEY_MAX = 255
SUMMARY_MAX = 1024
DESCRIPTION_MAX_BYTES = 64 * 1024
LABEL_VALUE_MAX = 1024
_STATUS = {
    "trigger": AlertStatus.firing,
    "acknowledge": AlertStatus.acknowledged,
    "resolve": AlertStatus.resolved,
}
_SEVERITY = {"critical": "P1", "error": "P2", "warning": "P3", "info": "P4"}
_LABEL_FIELDS = ("component", "group", "class")


def _new_key() -> str:
    return uuid.uuid4().hex


def parse_enqueue(body: bytes, *, new_key: Callable[[], str] = _new_key) -> tuple[str, list[Event]]:
    """The routing key and the one event of a ``POST /v2/enqueue`` body."""
    document = as_object(load_json(body), "the body")
    routing_key = _routing_key(document)
    action = require_str(document, "event_action")
    status = _STATUS.get(action)
    if status is None:
        raise SourceError(f"event_action must be trigger, acknowledge or resolve, not {action!r}")
    dedup_key = _dedup_key(document)
    if action != "trigger":
        if dedup_key is None:
            raise SourceError(f"dedup_key is required to {action} an alert")
        get_object(document, "payload")
        return routing_key, [Event(FORMAT, dedup_key, status, None, "", raw=document)]
    if document.get("payload") is None:
        raise SourceError("payload is required for a trigger event")
    payload = as_object(document["payload"], "payload")
    summary = require_str(payload, "summary", "payload.")
    source = require_str(payload, "source", "payload.")
    severity_word = require_str(payload, "severity", "payload.")
    if severity_word not in _SEVERITY:
        raise SourceError(
            f"payload.severity must be critical, error, warning or info, not {severity_word!r}"
        )
    details = payload.get("custom_details")
    client = get_str(document, "client")
    labels = _detail_labels(details)
    for name in _LABEL_FIELDS:
        value = get_str(payload, name, "payload.")
        if value:
            labels[name] = value
    if client:
        labels["client"] = client
    event = Event(
        source_format=FORMAT,
        dedup_key=dedup_key if dedup_key is not None else new_key(),
        status=status,
        severity=_SEVERITY[severity_word],
        # PagerDuty caps summaries at 1024; we truncate rather than reject (spec 0.1).
        title=one_line(summary, SUMMARY_MAX),
        description=render_details(details),
        service=labels.get("group") or labels.get("component"),
        resource=source,
        labels=labels,
        links=[*links_of(document), *_image_links(document), *_client_links(document, client)],
        started_at=_time(get_str(payload, "timestamp", "payload."), "payload.timestamp"),
        raw=document,
    )
    return routing_key, [event]


def parse_change(body: bytes) -> tuple[str, dict[str, Any]]:
    """The routing key and cleaned fields of a ``POST /v2/change/enqueue`` body (never an alert)."""
    document = as_object(load_json(body), "the body")
    routing_key = _routing_key(document)
    if document.get("payload") is None:
        raise SourceError("payload is required for a change event")
    payload = as_object(document["payload"], "payload")
    timestamp = _time(get_str(payload, "timestamp", "payload."), "payload.timestamp")
    return routing_key, {
        "summary": one_line(require_str(payload, "summary", "payload."), SUMMARY_MAX),
        "source": get_str(payload, "source", "payload."),
        "timestamp": timestamp.isoformat() if timestamp else None,
        "custom_details": payload.get("custom_details"),
        "links": [{"href": link.href, "text": link.text} for link in links_of(document)],
    }


def invalid_event_body(errors: list[str]) -> dict[str, Any]:
    """The 400 response body PagerDuty sends for an event it will not accept."""
    return {"status": "invalid event", "message": "Event object is invalid", "errors": errors}


def accepted_body(dedup_key: str) -> dict[str, Any]:
    """The 202 response body PagerDuty sends once an event is queued."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def render_details(details: Any) -> str:
    """custom_details as text: a string as is, other JSON pretty-printed, capped at 64 KiB."""
    if details is None:
        return ""
    text = (
        details if isinstance(details, str) else json.dumps(details, indent=2, ensure_ascii=False)
    )
    encoded = text.encode("utf-8", errors="replace")
    if len(encoded) <= DESCRIPTION_MAX_BYTES:
        return text
    marker = "…"
    cut = encoded[: DESCRIPTION_MAX_BYTES - len(marker.encode())]
    return cut.decode("utf-8", errors="ignore") + marker


def links_of(document: Mapping[str, Any]) -> list[Link]:
    """The ``links[]`` array: ``href`` required, ``text`` optional."""
    links = []
    for index, item in enumerate(get_list(document, "links")):
        path = f"links[{index}]."
        link = as_object(item, path[:-1])
        links.append(Link(require_str(link, "href", path), get_str(link, "text", path) or ""))
    return links


def _routing_key(document: Mapping[str, Any]) -> str:
    value = get_str(document, "routing_key")
    if value is None:
        raise SourceError("routing_key is required")
    if len(value) != ROUTING_KEY_LENGTH:
        raise SourceError(f"routing_key must be {ROUTING_KEY_LENGTH} characters, not {len(value)}")
    return value


def _dedup_key(document: Mapping[str, Any]) -> str | None:
    value = get_str(document, "dedup_key")
    if value is None or not value.strip():
        return None
    if len(value) > DEDUP_KEY_MAX:
        raise SourceError(f"dedup_key must be at most {DEDUP_KEY_MAX} characters, not {len(value)}")
    return value


def _time(value: str | None, path: str) -> datetime | None:
    try:
        return parse_time(value, path)
    except OverflowError:
        raise SourceError(f"{path} is out of range: {value!r}") from None


def _detail_labels(details: Any) -> dict[str, str]:
    if not isinstance(details, dict):
        return {}
    labels = {}
    for name, value in details.items():
        if isinstance(value, str | int | float | bool):
            text = scalar_text(value)
            labels[name] = (
                text if len(text) <= LABEL_VALUE_MAX else text[: LABEL_VALUE_MAX - 1] + "…"
            )
    return labels


def _image_links(document: Mapping[str, Any]) -> list[Link]:
    links = []
    for index, item in enumerate(get_list(document, "images")):
        path = f"images[{index}]."
        image = as_object(item, path[:-1])
        require_str(image, "src", path)
        get_str(image, "alt", path)
        href = get_str(image, "href", path)
        if href and href.strip():
            links.append(Link(href, "image"))
    return links


def _client_links(document: Mapping[str, Any], client: str | None) -> list[Link]:
    client_url = get_str(document, "client_url")
    if not client_url or not client_url.strip():
        return []
    return [Link(client_url, client or "client")]
