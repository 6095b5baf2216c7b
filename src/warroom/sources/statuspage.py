"""Atlassian Statuspage public API v2, polled: https://developer.statuspage.io/."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from warroom.pipeline.event import AlertStatus, Event, Link, SourceError, one_line
from warroom.sources.common import (
    as_object,
    get_list,
    get_object,
    get_str,
    load_json,
    parse_time,
    require_str,
)

FORMAT = "statuspage"

_INCIDENT_STATUS = {
    "investigating": AlertStatus.firing,
    "identified": AlertStatus.firing,
    "monitoring": AlertStatus.firing,
    "resolved": AlertStatus.resolved,
    "postmortem": AlertStatus.resolved,
}
_MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})
_IMPACT = {"critical": "P1", "major": "P2", "minor": "P3", "none": "P4", "maintenance": "P4"}
_COMPONENT_SEVERITY = {"major_outage": "P1", "partial_outage": "P2", "degraded_performance": "P3"}
_COMPONENT_STATUSES = frozenset({*_COMPONENT_SEVERITY, "operational", "under_maintenance"})


def parse_incidents(body: bytes, *, page_url: str) -> list[Event]:
    """One event per incident of a summary.json, incidents.json or incidents/unresolved.json."""
    document = as_object(load_json(body), "the body")
    if document.get("incidents") is None:
        raise SourceError("incidents is required: poll summary.json or incidents.json")
    page_name = get_str(get_object(document, "page"), "name", "page.")
    page_name = page_name.strip() if page_name and page_name.strip() else None
    service = page_name or urlsplit(page_url).hostname or None
    events = []
    for index, item in enumerate(get_list(document, "incidents")):
        incident = as_object(item, f"incidents[{index}]")
        event = _incident_event(incident, f"incidents[{index}].", page_name, service, page_url)
        if event is not None:
            events.append(event)
    return events


def parse_components(body: bytes) -> list[Event]:
    """Component health from summary.json or components.json: outages fire, operational resolves."""
    document = as_object(load_json(body), "the body")
    if document.get("components") is None:
        raise SourceError("components is required: poll summary.json or components.json")
    page = get_object(document, "page")
    page_name = get_str(page, "name", "page.")
    page_link = get_str(page, "url", "page.")
    prefix = f"{page_name}: " if page_name else ""
    components = [
        as_object(item, f"components[{index}]")
        for index, item in enumerate(get_list(document, "components"))
    ]
    groups = {
        component["id"]: component.get("name")
        for component in components
        if component.get("group") is True and isinstance(component.get("id"), str)
    }
    events = []
    for index, component in enumerate(components):
        path = f"components[{index}]."
        if component.get("group") is True:
            continue
        component_id = require_str(component, "id", path)
        name = require_str(component, "name", path)
        status = require_str(component, "status", path)
        if status not in _COMPONENT_STATUSES:
            raise SourceError(f"{path}status is not a known component status: {status!r}")
        if status == "under_maintenance":
            continue
        changed_at = _time(get_str(component, "updated_at", path), f"{path}updated_at")
        operational = status == "operational"
        labels = {"component_status": status}
        if page_name:
            labels["page"] = page_name
        group = groups.get(get_str(component, "group_id", path))
        if isinstance(group, str) and group:
            labels["group"] = group
        events.append(
            Event(
                source_format=FORMAT,
                dedup_key=f"component:{component_id}",
                status=AlertStatus.resolved if operational else AlertStatus.firing,
                severity=None if operational else _COMPONENT_SEVERITY[status],
                title=one_line(f"{prefix}{name}: {status.replace('_', ' ')}"),
                description=get_str(component, "description", path) or "",
                service=page_name,
                resource=name,
                labels=labels,
                links=[Link(page_link, "status page")] if page_link else [],
                started_at=None if operational else changed_at,
                ended_at=changed_at if operational else None,
                raw=component,
            )
        )
    return events


def _incident_event(
    incident: Mapping[str, Any],
    path: str,
    page_name: str | None,
    service: str | None,
    page_url: str,
) -> Event | None:
    status_word = require_str(incident, "status", path)
    if incident.get("scheduled_for") is not None or status_word in _MAINTENANCE_STATUSES:
        return None
    status = _INCIDENT_STATUS.get(status_word)
    if status is None:
        raise SourceError(f"{path}status is not a known incident status: {status_word!r}")
    impact = get_str(incident, "impact", path)
    severity = "P3" if impact is None else _IMPACT.get(impact)
    if severity is None:
        raise SourceError(f"{path}impact is not a known impact: {impact!r}")
    incident_id = require_str(incident, "id", path)
    name = require_str(incident, "name", path)
    started_at = _time(get_str(incident, "started_at", path), f"{path}started_at") or _time(
        get_str(incident, "created_at", path), f"{path}created_at"
    )
    resolved_at = _time(get_str(incident, "resolved_at", path), f"{path}resolved_at")
    shortlink = get_str(incident, "shortlink", path)
    href = shortlink or f"{page_url.rstrip('/')}/incidents/{incident_id}"
    labels = {"impact": impact} if impact else {}
    if service:
        labels["page"] = service
    components = _component_names(incident, path)
    if components:
        labels["components"] = ", ".join(components)
    return Event(
        source_format=FORMAT,
        dedup_key=incident_id,
        status=status,
        severity=severity,
        title=one_line(f"{page_name}: {name}" if page_name else name),
        description=_latest_update(incident, path),
        service=service,
        labels=labels,
        links=[Link(href, "status page")],
        started_at=started_at,
        ended_at=resolved_at if status is AlertStatus.resolved else None,
        raw=incident,
    )


def _latest_update(incident: Mapping[str, Any], path: str) -> str:
    updates = get_list(incident, "incident_updates", path)
    if not updates:
        return ""
    latest = as_object(updates[0], f"{path}incident_updates[0]")
    return (get_str(latest, "body", f"{path}incident_updates[0].") or "").strip()


def _component_names(incident: Mapping[str, Any], path: str) -> list[str]:
    names: list[str] = []
    for index, item in enumerate(get_list(incident, "components", path)):
        component = as_object(item, f"{path}components[{index}]")
        name = get_str(component, "name", f"{path}components[{index}].")
        if name and name not in names:
            names.append(name)
    return names


def _time(value: str | None, path: str) -> datetime | None:
    try:
        return parse_time(value, path)
    except OverflowError:
        raise SourceError(f"{path} is out of range: {value!r}") from None
