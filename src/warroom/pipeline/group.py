"""Grouping: which open incident a new alert joins, per its service's rule."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from warroom.errors import ValidationFailed
from warroom.incidents.lifecycle import OPEN_STATUSES
from warroom.incidents.models import Incident

MODES = ("content", "time", "none")
DEFAULT_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class GroupingRule:
    """``content``: same values of ``labels``; ``time``: any alert; ``none``: one incident each."""

    mode: str = "content"
    labels: tuple[str, ...] = ("alertname",)
    window: timedelta = DEFAULT_WINDOW

    def as_json(self) -> dict[str, Any]:
        """The rule as stored on a service and shown by the API."""
        return {
            "mode": self.mode,
            "labels": list(self.labels),
            "window_seconds": int(self.window.total_seconds()),
        }


DEFAULT_RULE = GroupingRule()


def rule_from_json(document: Mapping[str, Any] | None) -> GroupingRule:
    """The stored rule, or the default for a service without one."""
    if not document:
        return DEFAULT_RULE
    return GroupingRule(
        mode=document.get("mode", DEFAULT_RULE.mode),
        labels=tuple(document.get("labels", DEFAULT_RULE.labels)),
        window=timedelta(seconds=document.get("window_seconds", 1800)),
    )


def clean_rule(document: Mapping[str, Any] | None) -> GroupingRule:
    """Validate a rule a user sent (``mode``, ``labels``, ``window_seconds``)."""
    if document is None:
        return DEFAULT_RULE
    unknown = sorted(set(document) - {"mode", "labels", "window_seconds"})
    if unknown:
        raise ValidationFailed.for_field(
            f"grouping.{unknown[0]}", "unknown; use mode, labels and window_seconds"
        )
    mode = document.get("mode", "content")
    if mode not in MODES:
        raise ValidationFailed.for_field("grouping.mode", f"use one of {', '.join(MODES)}")
    labels = document.get("labels", ["alertname"])
    if not isinstance(labels, list) or not all(isinstance(n, str) and n.strip() for n in labels):
        raise ValidationFailed.for_field("grouping.labels", "must be a list of label names")
    if mode == "content" and not labels:
        raise ValidationFailed.for_field("grouping.labels", "content grouping needs a label")
    window = document.get("window_seconds", 1800)
    if isinstance(window, bool) or not isinstance(window, int) or not 60 <= window <= 7 * 86400:
        raise ValidationFailed.for_field(
            "grouping.window_seconds", "must be whole seconds from 60 to 604800 (7 days)"
        )
    return GroupingRule(
        mode=mode, labels=tuple(n.strip() for n in labels), window=timedelta(seconds=window)
    )


def group_key(
    rule: GroupingRule, *, service_id: int, labels: Mapping[str, str], title: str = ""
) -> str | None:
    """The key alerts share when they belong together; None when each opens its own incident."""
    if rule.mode == "none":
        return None
    values = ""
    if rule.mode == "content":
        found = [labels.get(n, "") for n in rule.labels]
        # Senders without the rule's labels (PagerDuty, CloudWatch, ...) group by what they say.
        values = "\x1f".join(found) if any(found) else f"title\x1d{title}"
    text = f"{service_id}\x1e{rule.mode}\x1e{values}"
    return hashlib.sha256(text.encode()).hexdigest()


def open_incident(
    session: Session, *, key: str, now: datetime, window: timedelta
) -> Incident | None:
    """The newest open incident with this group key whose last alert is within the window."""
    query = (
        select(Incident)
        .where(
            Incident.group_key == key,
            Incident.status.in_([s.value for s in OPEN_STATUSES]),
            Incident.last_alert_at >= now - window,
        )
        .order_by(Incident.id.desc())
        .limit(1)
        .options(lazyload(Incident.roles))
    )
    return session.scalar(query)
