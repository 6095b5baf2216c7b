"""The normalised alert event every source adapter produces (specs/alert-formats.md section 0)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

TITLE_LIMIT = 1024
DEDUP_KEY_LIMIT = 512
DEFAULT_SEVERITY = "P3"


class AlertStatus(StrEnum):
    """What the sender says about the problem."""

    firing = "firing"
    acknowledged = "acknowledged"
    resolved = "resolved"


@dataclass(frozen=True, slots=True)
class Link:
    """A link a sender attached: runbook, dashboard, generator, silence, snapshot."""

    href: str
    text: str = ""


@dataclass(slots=True)
class Event:
    """One alert state report from one sender; ``severity`` None means the event carried none."""

    source_format: str
    dedup_key: str
    status: AlertStatus
    severity: str | None
    title: str
    description: str = ""
    service: str | None = None
    resource: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    delivery_id: str | None = None
    # Alerts the sender left out of this message ("+N more"); their absence resolves nothing.
    truncated: int = 0
    raw: Any = None


class SourceError(Exception):
    """A body the sender must not retry: malformed, wrong types, unknown enums (HTTP 400)."""

    status = 400

    def __init__(self, detail: str, errors: list[str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or [detail]


class VerificationFailed(Exception):
    """A signature, certificate or topic that does not check out (HTTP 401 or 403)."""

    def __init__(self, detail: str, status: int = 401) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


_LABEL_SEVERITY = {
    "P1": "critical crit fatal emergency emerg page disaster sev0 sev-0 sev1 sev-1 p0 p1 1",
    "P2": "error err high major sev2 sev-2 p2 2",
    "P3": "warning warn medium moderate minor average sev3 sev-3 p3 3",
    "P4": "info informational notice low none debug ok sev4 sev-4 sev5 sev-5 p4 p5 4 5",
}
_SEVERITY_BY_WORD = {
    word: level for level, words in _LABEL_SEVERITY.items() for word in words.split()
}


def severity_from_word(value: object) -> str | None:
    """The P-level a label-style value names (table 0.2, any case), or None if it names none."""
    if not isinstance(value, str):
        return None
    return _SEVERITY_BY_WORD.get(value.strip().lower())


def severity_from_labels(labels: Mapping[str, str]) -> str:
    """``severity`` label, then ``priority``, through table 0.2; P3 when neither is usable."""
    for name in ("severity", "priority"):
        level = severity_from_word(labels.get(name))
        if level is not None:
            return level
    return DEFAULT_SEVERITY


def one_line(text: str, limit: int = TITLE_LIMIT) -> str:
    """Whitespace collapsed to single spaces and cut to ``limit`` characters (never rejected)."""
    collapsed = re.sub(r"\s+", " ", text).strip()
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1] + "…"


def first_text(*values: object) -> str | None:
    """The first value that is a non-blank string."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value
    return None
