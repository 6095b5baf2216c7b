"""Prometheus Alertmanager webhook, version 4: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from warroom.pipeline.event import (
    DEDUP_KEY_LIMIT,
    AlertStatus,
    Event,
    Link,
    SourceError,
    first_text,
    one_line,
    severity_from_labels,
)
from warroom.sources.common import (
    as_object,
    get_list,
    get_str,
    load_json,
    parse_time,
    string_map,
    wrong_type,
)

FORMAT = "alertmanager"

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = b"\xff"
_SURROGATE = re.compile("[\ud800-\udfff]")
_STATUSES = {"firing": AlertStatus.firing, "resolved": AlertStatus.resolved}


@dataclass(frozen=True, slots=True)
class Group:
    """What every alert of one notification shares."""

    labels: dict[str, str]
    external_url: str | None
    truncated: int


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    """One event per element of ``alerts``."""
    message = as_object(load_json(body), "the body")
    group = read_group(message)
    return [
        alert_event(alert, f"alerts[{index}]", group, source_format=FORMAT)
        for index, alert in enumerate(read_alerts(message))
    ]


def read_group(message: Mapping[str, Any]) -> Group:
    """The group-level fields, type-checked (group status is never used for alert status)."""
    for key in ("receiver", "status", "externalURL", "version", "groupKey"):
        get_str(message, key)
    for key in ("commonLabels", "commonAnnotations"):
        string_map(message.get(key), key)
    truncated = message.get("truncatedAlerts")
    if truncated is None:
        truncated = 0
    elif isinstance(truncated, bool) or not isinstance(truncated, int):
        raise wrong_type("truncatedAlerts", "a non-negative integer", truncated)
    elif truncated < 0:
        raise SourceError("truncatedAlerts must be a non-negative integer")
    return Group(
        labels=string_map(message.get("groupLabels"), "groupLabels"),
        external_url=get_str(message, "externalURL"),
        truncated=truncated,
    )


def read_alerts(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``alerts``: a required array of objects."""
    if message.get("alerts") is None:
        raise SourceError("alerts is required")
    return [
        as_object(alert, f"alerts[{index}]")
        for index, alert in enumerate(get_list(message, "alerts"))
    ]


def alert_event(
    alert: Mapping[str, Any],
    path: str,
    group: Group,
    *,
    source_format: str,
    external_text: str = "alertmanager",
) -> Event:
    """One ``alerts[i]`` element mapped by the table of spec section 1."""
    prefix = f"{path}."
    status = alert_status(alert, prefix)
    own_labels = string_map(alert.get("labels"), f"{path}.labels")
    annotations = string_map(alert.get("annotations"), f"{path}.annotations")
    labels = {**group.labels, **own_labels}
    dedup_key = get_str(alert, "fingerprint", prefix)
    if dedup_key is None or not dedup_key.strip():
        dedup_key = fingerprint(own_labels)
    elif len(dedup_key) > DEDUP_KEY_LIMIT:
        raise SourceError(f"{path}.fingerprint is longer than {DEDUP_KEY_LIMIT} characters")
    started_at = parse_time(get_str(alert, "startsAt", prefix), f"{path}.startsAt")
    ended_at = parse_time(get_str(alert, "endsAt", prefix), f"{path}.endsAt")
    links: list[Link] = []
    add_link(links, get_str(alert, "generatorURL", prefix), "generator")
    add_link(links, annotations.get("runbook_url"), "runbook")
    add_link(
        links,
        first_text(annotations.get("dashboard"), annotations.get("dashboard_url")),
        "dashboard",
    )
    add_link(links, group.external_url, external_text)
    title = first_text(
        annotations.get("summary"), annotations.get("title"), labels.get("alertname")
    )
    return Event(
        source_format=source_format,
        dedup_key=dedup_key,
        status=status,
        severity=severity_from_labels(labels),
        title=one_line(title or f"Alert {dedup_key}"),
        description=first_text(annotations.get("description"), annotations.get("message")) or "",
        service=first_text(*(labels.get(name) for name in ("service", "app", "namespace", "job"))),
        resource=first_text(*(labels.get(name) for name in ("instance", "pod", "host"))),
        labels=labels,
        links=links,
        started_at=started_at,
        ended_at=ended_at if status is AlertStatus.resolved else None,
        truncated=group.truncated,
        raw=alert,
    )


def alert_status(alert: Mapping[str, Any], prefix: str) -> AlertStatus:
    """``status`` of one alert: firing or resolved."""
    value = get_str(alert, "status", prefix)
    if value is None:
        raise SourceError(f"{prefix}status is required")
    status = _STATUSES.get(value)
    if status is None:
        raise SourceError(f"{prefix}status must be firing or resolved, not {value[:64]!r}")
    return status


def add_link(links: list[Link], href: str | None, text: str) -> None:
    """Append an http(s) link unless it is empty or already present."""
    if href is None:
        return
    href = href.strip()
    if not href.lower().startswith(("http://", "https://")):
        return
    if all(link.href != href for link in links):
        links.append(Link(href=href, text=text))


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint: FNV-1a 64 over sorted ``name 0xFF value 0xFF``, 16 hex digits."""
    digest = _FNV_OFFSET
    for name in sorted(labels, key=_utf8):
        for byte in _utf8(name) + _SEPARATOR + _utf8(labels[name]) + _SEPARATOR:
            digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"


def _utf8(text: str) -> bytes:
    # Go decodes a lone JSON surrogate escape to U+FFFD; Python keeps it and cannot encode it.
    return _SURROGATE.sub("\ufffd", text).encode("utf-8")
