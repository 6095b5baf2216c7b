"""The incident timeline as a postmortem shows it: one readable row per meaningful entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from warroom.incidents.models import TimelineEntry

# Per-message delivery records: the ``paged`` entry already says who was paged.
HIDDEN_KINDS = frozenset({"notification_sent", "notification_skipped"})
# Entries about the follow-up itself (drafting, reminders, action items) are not the incident.
HIDDEN_PREFIXES = ("postmortem_", "action_item_")


@dataclass(frozen=True)
class TimelineRow:
    """One row of the postmortem's timeline table."""

    at: datetime
    kind: str
    actor: str
    event: str
    details: str


def shown(kind: str) -> bool:
    """Whether entries of ``kind`` appear in a postmortem's timeline."""
    return kind not in HIDDEN_KINDS and not kind.startswith(HIDDEN_PREFIXES)


def rows(entries: Iterable[TimelineEntry]) -> list[TimelineRow]:
    """The rows for ``entries``, in their order, skipping delivery noise and follow-up entries."""
    return [
        TimelineRow(
            at=entry.at,
            kind=entry.kind,
            actor=entry.actor,
            event=event_label(entry.kind, entry.data or {}),
            details=details(entry.kind, entry.data or {}),
        )
        for entry in entries
        if shown(entry.kind)
    ]


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """``2025-11-01 10:05:00 +01:00``: the time in ``zone`` with its UTC offset."""
    local = moment.astimezone(zone)
    offset = local.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{local:%Y-%m-%d %H:%M:%S} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def human_duration(value: timedelta) -> str:
    """A duration for people: ``45s``, ``12m``, ``1h 5m``, ``2d 3h``."""
    seconds = max(int(value.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
    return f"{seconds}s"


def _role(data: Mapping[str, Any]) -> str:
    return str(data.get("role", "")).replace("_", " ")


def _move(data: Mapping[str, Any]) -> str:
    target = data.get("to")
    if target in ("acknowledged", "resolved", "closed"):
        return str(target).capitalize()
    return f"Status {data.get('from', '?')} → {target}"


_LABELS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "declared": lambda d: f"Declared {d.get('severity', '')}".rstrip(),
    "alert_attached": lambda d: "Alert attached",
    "alert_resolved": lambda d: "Alert resolved",
    "alerts_resolved": lambda d: f"{len(d.get('alert_ids') or [])} alert(s) resolved",
    "severity_changed": lambda d: f"Severity {d.get('from')} → {d.get('to')}",
    "acknowledged": lambda d: "Acknowledged",
    "status_changed": _move,
    "reopened": lambda d: "Reopened",
    "role_assigned": lambda d: f"{d.get('user')} is {_role(d)}",
    "role_unassigned": lambda d: f"{d.get('user')} is no longer {_role(d)}",
    "escalation_started": lambda d: "Escalation started",
    "paged": lambda d: f"Paged {', '.join(d.get('users') or []) or 'nobody'}",
    "escalated": lambda d: f"Escalated to step {d.get('step')}",
    "reassigned": lambda d: "Reassigned",
    "notification_failed": lambda d: f"Message to {d.get('user')} failed",
    "notification_undeliverable": lambda d: f"Could not reach {d.get('user')}",
    "note": lambda d: "Note",
    "updated": lambda d: f"Changed {', '.join(sorted(d.get('fields') or {}))}",
    "sla_breached": lambda d: f"{str(d.get('kind', '')).capitalize()} SLA breached".strip(),
    "stakeholders_informed": lambda d: f"Informed {', '.join(d.get('users') or [])}",
    "runbook_accepted": lambda d: f"Runbook accepted: {d.get('heading', '')}",
    "checklist_item_done": lambda d: "Checklist item done",
    "checklist_item_undone": lambda d: "Checklist item reopened",
    "status_update": lambda d: f"{str(d.get('audience', '')).capitalize()} update".strip(),
    "status_page_update": lambda d: f"Status page: {d.get('status', '')}".strip(),
    "cadence_missed": lambda d: f"{str(d.get('audience', '')).capitalize()} update missed".strip(),
}
_DETAIL_KEYS = ("note", "text", "message", "reason", "title", "error", "policy")


def event_label(kind: str, data: Mapping[str, Any]) -> str:
    """What happened, in a few words."""
    label = _LABELS.get(kind)
    return label(data) if label is not None else kind.replace("_", " ").capitalize()


def details(kind: str, data: Mapping[str, Any]) -> str:
    """The entry's words worth reading: a note's text, a reason, an alert's title."""
    if kind == "declared":
        return str(data.get("title") or "")
    if kind == "paged":
        return f"step {data.get('step')}, round {data.get('round')}"
    if kind == "alert_attached":
        return f"{data.get('title', '')} ({data.get('integration', '')})"
    if kind in ("status_update", "status_page_update"):
        return str(data.get("body") or "")
    if kind == "updated":
        fields = data.get("fields") or {}
        return "; ".join(f"{name}: {change.get('to')}" for name, change in sorted(fields.items()))
    return " — ".join(str(data[key]) for key in _DETAIL_KEYS if data.get(key))
