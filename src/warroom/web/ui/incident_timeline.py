"""Timeline entries in words for the incident page: what happened, by whom, with its key facts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.incidents.models import TimelineEntry

MAX_FACT_CHARS = 400
KIND_WORDS = {
    "declared": "Declared",
    "status_changed": "Status changed",
    "reopened": "Reopened",
    "acknowledged": "Acknowledged",
    "severity_changed": "Severity changed",
    "updated": "Details edited",
    "role_assigned": "Role assigned",
    "role_unassigned": "Role unassigned",
    "note": "Note",
    "status_update": "Status update posted",
    "status_page_update": "Status page updated",
    "escalation_started": "Escalation started",
    "escalated": "Escalated by hand",
    "escalation_stopped": "Escalation stopped",
    "escalation_exhausted": "Escalation ran out of steps",
    "escalation_resumed": "Escalation resumed",
    "escalation_target_empty": "Nobody to page at a step",
    "paged": "Paged",
    "reassigned": "Reassigned",
    "notification_sent": "Notification sent",
    "notification_failed": "Notification failed",
    "notification_skipped": "Notification skipped",
    "notification_undeliverable": "Notification undeliverable",
    "broadcast_failed": "Broadcast failed",
    "runbook_suggested": "Runbooks suggested",
    "runbook_accepted": "Runbook followed",
    "checklist_item_done": "Checklist item done",
    "checklist_item_undone": "Checklist item reopened",
    "alerts_resolved": "Alerts resolved",
    "change_event": "Change event",
    "sla_breached": "SLA breached",
    "stakeholders_informed": "Stakeholders informed",
    "subscribed": "Subscribed",
    "unsubscribed": "Unsubscribed",
    "cadence_missed": "Status update overdue",
    "postmortem_drafted": "Postmortem drafted",
    "postmortem_updated": "Postmortem edited",
    "postmortem_published": "Postmortem published",
    "postmortem_reminder": "Postmortem reminder sent",
    "action_item_added": "Action item added",
    "action_item_updated": "Action item updated",
    "action_item_reminder": "Action item reminder sent",
}


@dataclass(frozen=True)
class EntryView:
    """One timeline entry as the page shows it; every string is escaped by the template."""

    id: int
    at: datetime
    actor: str
    kind: str
    words: str
    summary: str
    text: str
    facts: list[tuple[str, str]]


def kind_words(kind: str) -> str:
    """The kind of an entry in words: ``status_changed`` → ``Status changed``."""
    return KIND_WORDS.get(kind) or kind.replace("_", " ").capitalize()


def actor_words(actor: str) -> str:
    """Who did it: ``user:alice`` → ``alice``; tokens, integrations and the system keep a prefix."""
    kind, _, name = actor.partition(":")
    return name if kind == "user" and name else actor


def role_words(role: str) -> str:
    """A role name for people: ``incident_commander`` → ``Incident commander``."""
    return role.replace("_", " ").capitalize()


def _is_steps(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(step, dict) and {"after", "targets"} <= set(step) for step in value
    )


def _targets(targets: Any) -> str:
    if not isinstance(targets, list):
        return str(targets)
    return ", ".join(
        " ".join(f"{kind} {name}" for kind, name in target.items())
        if isinstance(target, dict)
        else str(target)
        for target in targets
    )


def value_words(value: Any) -> str:
    """A fact's value as short text; nested data as compact JSON, cut to a readable length."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, str | int | float):
        text = str(value)
    elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value) or "—"
    elif value and _is_steps(value):
        text = "; ".join(f"after {step['after']}: {_targets(step['targets'])}" for step in value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_FACT_CHARS else text[: MAX_FACT_CHARS - 1] + "…"


def _move(data: dict[str, Any]) -> str:
    return f"{value_words(data.get('from'))} → {value_words(data.get('to'))}"


def _summary(kind: str, data: dict[str, Any]) -> tuple[str, str, set[str]]:
    """A one-line summary, a longer text and the data keys they already show."""
    if kind in ("status_changed", "reopened", "severity_changed"):
        return _move(data), str(data.get("note", "")), {"from", "to", "note"}
    if kind == "updated" and isinstance(data.get("fields"), dict):
        changes = [
            f"{name} {_move(diff) if isinstance(diff, dict) else value_words(diff)}"
            for name, diff in data["fields"].items()
        ]
        return "; ".join(changes), "", {"fields"}
    if kind == "declared":
        return str(data.get("title", "")), "", {"title"}
    if kind == "acknowledged":
        return "", str(data.get("note", "")), {"note"}
    if kind in ("role_assigned", "role_unassigned"):
        role = role_words(str(data.get("role", "")))
        return f"{role}: {value_words(data.get('user'))}", "", {"role", "user"}
    if kind == "note":
        return "", str(data.get("text", "")), {"text"}
    if kind == "status_update":
        audience = str(data.get("audience", ""))
        status = f" ({data['status']})" if data.get("status") else ""
        used = {"audience", "status", "body", "update_id", "template"}
        return f"{audience.capitalize()} update{status}", str(data.get("body", "")), used
    if kind == "paged":
        return value_words(data.get("users")), "", {"users", "targets"}
    if kind in ("checklist_item_done", "checklist_item_undone"):
        return f"Step {value_words(data.get('item'))}: {data.get('text', '')}", "", {"item", "text"}
    if kind == "runbook_accepted":
        return str(data.get("heading", "")), "", {"heading"}
    if kind == "runbook_suggested":
        found = [s.get("heading", "") for s in data.get("suggestions", []) if isinstance(s, dict)]
        summary = ", ".join(str(h) for h in found) if found else "no runbook fits"
        return summary, "", {"suggestions"}
    return "", "", set()


def describe(entry: TimelineEntry) -> EntryView:
    """The entry in words with its remaining data as facts."""
    data = entry.data if isinstance(entry.data, dict) else {"data": entry.data}
    summary, text, shown = _summary(entry.kind, data)
    facts = [
        (key.replace("_", " "), value_words(value))
        for key, value in data.items()
        if key not in shown and value not in (None, "", [], {})
    ]
    return EntryView(
        id=entry.id,
        at=entry.at,
        actor=actor_words(entry.actor),
        kind=entry.kind,
        words=kind_words(entry.kind),
        summary=summary,
        text=text,
        facts=facts,
    )
