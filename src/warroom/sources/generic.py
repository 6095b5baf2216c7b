"""Generic JSON alert for scripts and user reports, warroom's own format (alert-formats.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from warroom.pipeline.event import (
    DEDUP_KEY_LIMIT,
    DEFAULT_SEVERITY,
    AlertStatus,
    Event,
    Link,
    SourceError,
    one_line,
    severity_from_word,
)
from warroom.sources.common import (
    as_object,
    get_list,
    get_object,
    get_str,
    load_json,
    require_str,
    scalar_text,
    wrong_type,
)

FORMAT = "generic"
MAX_EVENTS = 1000
ACCEPTED_SEVERITIES = "P1-P4, critical, error, high, warning, medium, low, info, sev1-sev5"

_STATUSES = {
    "firing": AlertStatus.firing,
    "trigger": AlertStatus.firing,
    "acknowledged": AlertStatus.acknowledged,
    "acknowledge": AlertStatus.acknowledged,
    "ack": AlertStatus.acknowledged,
    "resolved": AlertStatus.resolved,
    "resolve": AlertStatus.resolved,
    "ok": AlertStatus.resolved,
}


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    """Events of an object or array body; status firing|trigger, ack(nowledge[d]), resolve[d]|ok."""
    document = load_json(body)
    if isinstance(document, list):
        if len(document) > MAX_EVENTS:
            raise SourceError(f"at most {MAX_EVENTS} alerts per request, not {len(document)}")
        return [
            report_event(as_object(item, f"[{index}]"), f"[{index}].")
            for index, item in enumerate(document)
        ]
    return [report_event(as_object(document, "the body"), "")]


def report_event(report: dict[str, Any], prefix: str) -> Event:
    """One generic alert object as an event."""
    title = one_line(require_str(report, "title", prefix))
    status = _status(report, prefix)
    severity = _severity(report, prefix, status)
    service = _optional(report, "service", prefix)
    resource = _optional(report, "resource", prefix)
    dedup_key = _optional(report, "dedup_key", prefix)
    if dedup_key is None:
        identity = json.dumps([title, service, resource])
        dedup_key = "generic-" + hashlib.sha1(identity.encode("ascii")).hexdigest()
    elif len(dedup_key) > DEDUP_KEY_LIMIT:
        raise SourceError(f"{prefix}dedup_key is longer than {DEDUP_KEY_LIMIT} characters")
    return Event(
        source_format=FORMAT,
        dedup_key=dedup_key,
        status=status,
        severity=severity,
        title=title,
        description=get_str(report, "description", prefix) or "",
        service=service,
        resource=resource,
        labels=_labels(report, prefix),
        links=_links(report, prefix),
        raw=report,
    )


def _optional(report: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = get_str(report, key, prefix)
    return value.strip() if value is not None and value.strip() else None


def _status(report: Mapping[str, Any], prefix: str) -> AlertStatus:
    value = get_str(report, "status", prefix)
    if value is None:
        return AlertStatus.firing
    status = _STATUSES.get(value.strip().lower())
    if status is None:
        raise SourceError(
            f"{prefix}status must be firing, acknowledged or resolved, not {value[:64]!r}"
        )
    return status


def _severity(report: Mapping[str, Any], prefix: str, status: AlertStatus) -> str | None:
    value = get_str(report, "severity", prefix)
    if value is None or not value.strip():
        return DEFAULT_SEVERITY if status is AlertStatus.firing else None
    severity = severity_from_word(value)
    if severity is None:
        raise SourceError(
            f"{prefix}severity {value[:64]!r} is not recognised; use one of {ACCEPTED_SEVERITIES}"
        )
    return severity


def _labels(report: Mapping[str, Any], prefix: str) -> dict[str, str]:
    labels = {}
    for name, value in get_object(report, "labels", prefix).items():
        if isinstance(value, dict | list):
            raise wrong_type(f"{prefix}labels.{name}", "a string, number or boolean", value)
        labels[name] = scalar_text(value)
    return labels


def _links(report: Mapping[str, Any], prefix: str) -> list[Link]:
    links = []
    for index, item in enumerate(get_list(report, "links", prefix)):
        path = f"{prefix}links[{index}]"
        if isinstance(item, str):
            href, text = item, ""
        else:
            link = as_object(item, path)
            href = require_str(link, "href", f"{path}.")
            text = get_str(link, "text", f"{path}.") or ""
        href = href.strip()
        if not href.lower().startswith(("http://", "https://")):
            raise SourceError(f"{path} must be an http or https URL")
        links.append(Link(href=href, text=one_line(text)))
    return links
