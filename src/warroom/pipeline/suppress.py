"""Suppression: silences match labels, maintenance windows cover a service; no incident opens."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts.models import Suppression

MATCH_OPERATORS = ("=", "!=", "=~", "!~")


@lru_cache(maxsize=256)
def _pattern(expression: str) -> re.Pattern[str]:
    # Anchored, as in Alertmanager: "db.*" matches "db-1" but not "old-db".
    return re.compile(f"(?:{expression})\\Z")


def matcher_matches(matcher: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether one ``{name, op, value}`` matcher holds for the labels (a missing label is "")."""
    actual = labels.get(matcher["name"], "")
    operator, expected = matcher.get("op", "="), matcher["value"]
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    found = _pattern(expected).match(actual) is not None
    return found if operator == "=~" else not found


def active(session: Session, now: datetime) -> list[Suppression]:
    """Silences and maintenance windows in force at ``now``."""
    query = select(Suppression).where(Suppression.starts_at <= now, Suppression.ends_at > now)
    return list(session.scalars(query.order_by(Suppression.id)))


def suppressing(
    suppressions: Sequence[Suppression], *, service: str, labels: Mapping[str, str]
) -> Suppression | None:
    """The first suppression that covers an alert of ``service`` with ``labels``."""
    for suppression in suppressions:
        if suppression.service is not None and suppression.service != service:
            continue
        if all(matcher_matches(m, labels) for m in suppression.matchers):
            return suppression
    return None
