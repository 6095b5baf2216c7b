"""Uptime per component and day, from the status history.

A day's uptime is 1 - (major_outage seconds + 0.3 * partial_outage seconds) / observed seconds,
where the observed seconds are the part of the day (in the page's time zone) after the
component existed and before now. Degraded performance and maintenance count as up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.statuspage.models import StatusComponent, StatusComponentChange

WINDOW_DAYS = 90
PARTIAL_WEIGHT = 0.3


@dataclass(frozen=True)
class DayUptime:
    """One day of one component."""

    day: date
    observed_seconds: float
    major_seconds: float
    partial_seconds: float
    degraded_seconds: float

    @property
    def down_seconds(self) -> float:
        """Weighted seconds of outage."""
        return self.major_seconds + PARTIAL_WEIGHT * self.partial_seconds

    @property
    def fraction(self) -> float | None:
        """Uptime between 0 and 1, or None for a day with no data."""
        if self.observed_seconds <= 0:
            return None
        return max(0.0, 1 - self.down_seconds / self.observed_seconds)

    @property
    def level(self) -> str:
        """nodata, operational, degraded_performance, partial_outage or major_outage."""
        if self.fraction is None:
            return "nodata"
        if self.major_seconds > 0:
            return "major_outage"
        if self.partial_seconds > 0:
            return "partial_outage"
        if self.degraded_seconds > 0:
            return "degraded_performance"
        return "operational"

    @property
    def label(self) -> str:
        """A sentence for screen readers and tooltips."""
        day = self.day.isoformat()
        if self.fraction is None:
            return f"{day}: no data"
        parts = [
            f"{_minutes(seconds)} {what}"
            for seconds, what in (
                (self.major_seconds, "major outage"),
                (self.partial_seconds, "partial outage"),
                (self.degraded_seconds, "degraded performance"),
            )
            if seconds > 0
        ]
        return f"{day}: {percent(self.fraction)} uptime, " + (", ".join(parts) or "no incidents")


# Days with nothing to report merge into one bar, which keeps the page small.
CALM_LEVELS = frozenset({"operational", "nodata"})


@dataclass(frozen=True)
class ComponentUptime:
    """A component's days, oldest first, and the uptime over all of them."""

    days: list[DayUptime]

    @property
    def fraction(self) -> float | None:
        """Uptime over the window, or None without data."""
        observed = sum(d.observed_seconds for d in self.days)
        if observed <= 0:
            return None
        return max(0.0, 1 - sum(d.down_seconds for d in self.days) / observed)

    @property
    def bars(self) -> list[tuple[str, int, DayUptime]]:
        """Days as (level, run length, day): calm days in a row share a bar, others stand alone."""
        runs: list[tuple[str, int, DayUptime]] = []
        for day in self.days:
            calm = day.level in CALM_LEVELS
            if runs and calm and runs[-1][0] == day.level:
                runs[-1] = (day.level, runs[-1][1] + 1, runs[-1][2])
            else:
                runs.append((day.level, 1, day))
        return runs


def percent(fraction: float | None) -> str:
    """An uptime as a percentage with two decimals (never rounded up to 100)."""
    if fraction is None:
        return "no data"
    hundredths = int(fraction * 10000) / 100
    return f"{hundredths:.2f} %"


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{max(minutes, 1)} min"


def _history(
    session: Session, component_ids: Sequence[int], since: datetime
) -> dict[int, list[tuple[datetime, str]]]:
    """Each component's status at ``since`` (if known) and its changes after, in order."""
    history: dict[int, list[tuple[datetime, str]]] = {i: [] for i in component_ids}
    if not component_ids:
        return history
    latest_before = (
        select(
            StatusComponentChange.component_id, func.max(StatusComponentChange.id).label("last_id")
        )
        .where(
            StatusComponentChange.component_id.in_(component_ids),
            StatusComponentChange.at < since,
        )
        .group_by(StatusComponentChange.component_id)
        .subquery()
    )
    baseline = session.execute(
        select(StatusComponentChange.component_id, StatusComponentChange.status).join(
            latest_before, StatusComponentChange.id == latest_before.c.last_id
        )
    )
    for component_id, status in baseline:
        history[component_id].append((since, status))
    changes = session.execute(
        select(
            StatusComponentChange.component_id,
            StatusComponentChange.at,
            StatusComponentChange.status,
        )
        .where(
            StatusComponentChange.component_id.in_(component_ids),
            StatusComponentChange.at >= since,
        )
        .order_by(StatusComponentChange.at, StatusComponentChange.id)
    )
    for component_id, at, status in changes:
        history[component_id].append((at, status))
    return history


Segment = tuple[datetime, datetime, str]


def _day(day: date, start: datetime, end: datetime, segments: Sequence[Segment]) -> DayUptime:
    seconds = {"observed": 0.0, "major_outage": 0.0, "partial_outage": 0.0}
    seconds["degraded_performance"] = 0.0
    for segment_start, segment_end, status in segments:
        overlap = (min(end, segment_end) - max(start, segment_start)).total_seconds()
        if overlap <= 0:
            continue
        seconds["observed"] += overlap
        if status in seconds:
            seconds[status] += overlap
    return DayUptime(
        day=day,
        observed_seconds=seconds["observed"],
        major_seconds=seconds["major_outage"],
        partial_seconds=seconds["partial_outage"],
        degraded_seconds=seconds["degraded_performance"],
    )


def uptime(
    session: Session,
    components: Sequence[StatusComponent],
    *,
    now: datetime,
    zone: tzinfo,
    days: int = WINDOW_DAYS,
) -> dict[int, ComponentUptime]:
    """Uptime of each (non-group) component over the last ``days`` days, today included."""
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, time(), zone).astimezone(UTC)
    measured = [c for c in components if not c.is_group]
    history = _history(session, [c.id for c in measured], since)
    dates = [first_day + timedelta(days=n) for n in range(days + 1)]
    midnights = [datetime.combine(d, time(), zone).astimezone(UTC) for d in dates]
    bounds = list(zip(dates, midnights, midnights[1:], strict=False))
    result: dict[int, ComponentUptime] = {}
    for component in measured:
        points = history[component.id]
        segments = [
            (at, points[index + 1][0] if index + 1 < len(points) else now, status)
            for index, (at, status) in enumerate(points)
        ]
        result[component.id] = ComponentUptime(_days(bounds, segments))
    return result


def _days(
    bounds: Sequence[tuple[date, datetime, datetime]], segments: list[Segment]
) -> list[DayUptime]:
    """One sweep over days and time-ordered segments, each day seeing only what overlaps it."""
    found, first = [], 0
    for day, start, end in bounds:
        while first < len(segments) and segments[first][1] <= start:
            first += 1
        overlapping = []
        for segment in segments[first:]:
            if segment[0] >= end:
                break
            overlapping.append(segment)
        found.append(_day(day, start, end, overlapping))
    return found
