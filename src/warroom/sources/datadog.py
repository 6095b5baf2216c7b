"""Datadog Webhooks integration payloads: https://docs.datadoghq.com/integrations/webhooks/."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from warroom.pipeline.event import (
    DEDUP_KEY_LIMIT,
    AlertStatus,
    Event,
    Link,
    SourceError,
    one_line,
)
from warroom.sources.common import as_object, header, load_json, parse_epoch_millis, wrong_type

FORMAT = "datadog"

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 1000
# A template variable Datadog left unsubstituted, such as "$AGGREG_KEY" or "$TAGS[service]".
_UNSUBSTITUTED = re.compile(r"\$[A-Z][A-Z0-9_]*(?:\[[^\]]*\])?")
_LEADING_TAGS = re.compile(r"^\s*(?:\[[^\[\]]*\]\s*)+")
_TAG = re.compile(r"\[([^\[\]]*)\]")
_TITLE_PRIORITY = re.compile(r"P([1-5])", re.IGNORECASE)
_PRIORITY = {"P1": "P1", "P2": "P2", "P3": "P3", "P4": "P4", "P5": "P4"}
_ALERT_TYPE = {"error": "P2", "warning": "P3", "info": "P4", "success": "P4"}
_LABEL_FIELDS = ("event_type", "alert_type", "alert_transition", "alert_metric")


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    """The one event a Datadog webhook delivery carries (JSON, or form-encoded)."""
    document, is_form = _decode(headers, body)
    title_field = _text(document, "title")
    alert_title = _text(document, "alert_title")
    shown = alert_title or title_field or ""
    display_title = _strip_tags(shown) or shown
    tags = _parse_tags(_text(document, "tags"))
    scope = _text(document, "alert_scope")
    hostname = _text(document, "hostname")
    resolved = _is_recovery(_text(document, "alert_transition"), title_field, alert_title)
    moment = _epoch(_text(document, "date"), "date")
    return [
        Event(
            source_format=FORMAT,
            dedup_key=_dedup_key(document, scope, display_title),
            status=AlertStatus.resolved if resolved else AlertStatus.firing,
            severity=_severity(
                _text(document, "alert_priority"),
                (title_field, alert_title),
                # A recovery's alert_type is "success", which says nothing about how bad it was.
                None if resolved else _text(document, "alert_type"),
                resolved,
            ),
            title=one_line(display_title or _text(document, "alert_status") or "Datadog alert"),
            description=(_text(document, "body") or "").replace("%%%", "").strip(),
            service=_first_tag(tags, "service")
            or _first_tag(_parse_tags(scope), "service")
            or hostname,
            resource=hostname,
            labels=_labels(document, tags, is_form),
            links=_links(document),
            # For a recovery, $DATE is when it recovered, not when the problem began.
            started_at=None if resolved else moment,
            ended_at=moment if resolved else None,
            delivery_id=_text(document, "id"),
            raw=document,
        )
    ]


def _decode(headers: Mapping[str, str], body: bytes) -> tuple[dict[str, Any], bool]:
    content_type = (header(headers, "content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        return as_object(load_json(body), "the body"), False
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError as exc:
        raise SourceError(f"the form-encoded body is not valid: {exc}") from None
    return dict(pairs), True


def _text(document: Mapping[str, Any], key: str, path: str = "") -> str | None:
    """A template value as stripped text; empty or unsubstituted values count as absent."""
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise wrong_type(f"{path}{key}", "a string", value)
    text = value.strip() if isinstance(value, str) else str(value)
    if not text or _UNSUBSTITUTED.fullmatch(text):
        return None
    return text


def _epoch(value: str | None, path: str) -> datetime | None:
    try:
        return parse_epoch_millis(value, path)
    except (OverflowError, OSError, ValueError):
        raise SourceError(f"{path} is not a usable Unix-milliseconds time: {value!r}") from None


def _leading_tags(title: str | None) -> list[str]:
    if not title:
        return []
    match = _LEADING_TAGS.match(title)
    return _TAG.findall(match.group(0)) if match else []


def _strip_tags(title: str) -> str:
    return _LEADING_TAGS.sub("", title, count=1).strip()


def _is_recovery(transition: str | None, *titles: str | None) -> bool:
    if transition is not None:
        return transition.lower() == "recovered"
    return any(
        tag.strip().lower().startswith("recovered") for t in titles for tag in _leading_tags(t)
    )


def _severity(
    priority: str | None,
    titles: tuple[str | None, ...],
    alert_type: str | None,
    resolved: bool,
) -> str | None:
    """Table 0.2's Datadog rule; a recovery without a priority carries none (None)."""
    if priority is not None and priority.upper() in _PRIORITY:
        return _PRIORITY[priority.upper()]
    for title in titles:
        for tag in _leading_tags(title):
            match = _TITLE_PRIORITY.fullmatch(tag.strip())
            if match:
                return _PRIORITY[f"P{match.group(1)}"]
    if alert_type is not None and alert_type.lower() in _ALERT_TYPE:
        return _ALERT_TYPE[alert_type.lower()]
    return None if resolved else "P3"


def _dedup_key(document: Mapping[str, Any], scope: str | None, title: str) -> str:
    alert_id = _text(document, "alert_id")
    if alert_id is not None and scope is not None:
        alert_id = f"{alert_id}/{scope}"
    key = (
        _text(document, "aggreg_key")
        or _text(document, "alert_cycle_key")
        or alert_id
        or one_line(title, limit=len(title) + 1)
    )
    if not key:
        raise SourceError(
            "the body has no dedup key: send aggreg_key, alert_cycle_key, alert_id or title"
        )
    if len(key) <= DEDUP_KEY_LIMIT:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: DEDUP_KEY_LIMIT - len(digest) - 1]}#{digest}"


def _parse_tags(text: str | None) -> dict[str, str]:
    """``k:v`` gives k=v, a bare tag gives tag=""; repeated keys join their values with commas."""
    labels: dict[str, str] = {}
    for item in (text or "").split(","):
        name, _, value = item.strip().partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        existing = labels.get(name)
        if existing is None or not existing:
            labels[name] = value
        elif value and value not in existing.split(","):
            labels[name] = f"{existing},{value}"
    return labels


def _first_tag(tags: Mapping[str, str], name: str) -> str | None:
    value = tags.get(name, "").split(",")[0]
    return value or None


def _labels(document: Mapping[str, Any], tags: dict[str, str], is_form: bool) -> dict[str, str]:
    labels = dict(tags)
    for name in _LABEL_FIELDS:
        value = _text(document, name)
        if value is not None:
            labels[name] = value
    org = document.get("org")
    if isinstance(org, dict):
        org_name = _text(org, "name", "org.")
        if org_name is not None:
            labels["org"] = org_name
    elif org is not None and not is_form:
        raise wrong_type("org", "an object", org)
    return labels


def _links(document: Mapping[str, Any]) -> list[Link]:
    links = []
    for key, text in (("link", "datadog"), ("snapshot", "snapshot")):
        href = _text(document, key)
        if href is not None:
            links.append(Link(href, text))
    return links
