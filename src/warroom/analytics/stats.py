"""Pure arithmetic behind the report: percentiles, SLA outcomes, ISO weeks, business hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

BUSINESS_START_HOUR = 9
BUSINESS_END_HOUR = 18  # exclusive: a page at 18:00 is out of hours


class Outcome(StrEnum):
    """How an incident fared against one SLA target."""

    met = "met"
    breached = "breached"
    not_yet_due = "not_yet_due"


def nearest_rank(ordered: Sequence[float], percent: int) -> float | None:
    """Nearest-rank percentile of ascending values: the value at rank ceil(percent/100 x n).

    For n values sorted ascending, p50 is the value at 1-based rank ceil(n/2) and p90 the one at
    ceil(0.9 x n); no interpolation, so the result is always one of the values. None when empty.
    """
    if not ordered:
        return None
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean rounded to milliseconds, or None when there are no values."""
    if not values:
        return None
    return round(sum(values) / len(values), 3)


def compliance_pct(met: int, breached: int) -> float | None:
    """met / (met + breached) as a percentage with two decimals; None when nothing is decided."""
    decided = met + breached
    return round(100 * met / decided, 2) if decided else None


def sla_outcome(
    *, detected_at: datetime, done_at: datetime | None, target: timedelta, now: datetime
) -> Outcome:
    """Met when done before ``detected_at + target``; breached once that moment is reached.

    The deadline itself counts as breached, as the SLA engine marks a breach at that moment.
    """
    due_at = detected_at + target
    if done_at is not None:
        return Outcome.met if done_at < due_at else Outcome.breached
    return Outcome.breached if now >= due_at else Outcome.not_yet_due


def iso_week(moment: datetime) -> str:
    """The ISO week of a UTC time, as ``2026-W47``."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def week_starts(start: datetime, end: datetime) -> list[datetime]:
    """Monday 00:00 of every ISO week that overlaps [start, end), in order."""
    first = (start - timedelta(days=start.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks = []
    monday = first
    while monday < end:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def out_of_hours(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether a time falls outside 09:00-18:00, Monday to Friday, in ``zone``."""
    local = moment.astimezone(zone)
    return local.weekday() >= 5 or not BUSINESS_START_HOUR <= local.hour < BUSINESS_END_HOUR
