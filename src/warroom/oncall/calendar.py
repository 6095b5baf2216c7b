"""Schedule arithmetic without a database: rotation turns, restrictions, layers and overrides."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
OVERRIDE = "override"


@dataclass(frozen=True)
class Restriction:
    """Local hours on some weekdays (0 = Monday) when a rotation has someone on call."""

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True)
class Rotation:
    """One layer: users taking turns from a local hand-off time, every day, week or length."""

    name: str
    kind: str
    handoff: datetime
    users: tuple[int, ...]
    length: timedelta | None = None
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Span:
    """Someone on call from ``start`` to ``end`` (UTC), and why (``override`` or a rotation)."""

    user_id: int
    start: datetime
    end: datetime
    source: str


@dataclass(frozen=True)
class Cover:
    """An override: ``user_id`` on call from ``start`` to ``end``; a higher ``rank`` wins."""

    user_id: int
    start: datetime
    end: datetime
    rank: int


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall-clock time as a UTC instant.

    A time skipped by a spring-forward change maps to the instant after the change (02:30 in
    Berlin on the last Sunday of March is 01:30 UTC, i.e. 03:30 summer time); a repeated time at a
    fall-back change maps to its first occurrence.
    """
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def turn_start(rotation: Rotation, index: int, zone: ZoneInfo) -> datetime:
    """When turn ``index`` (0 at the hand-off) begins, in UTC."""
    if rotation.kind == "custom":
        assert rotation.length is not None
        return to_utc(rotation.handoff, zone) + index * rotation.length
    # Daily and weekly turns hand off at the same local wall-clock time, so a turn that spans a
    # DST change lasts 23 or 25 hours (or 167/169 for weekly turns).
    period = DAY if rotation.kind == "daily" else WEEK
    return to_utc(rotation.handoff + index * period, zone)


def _first_turn(rotation: Rotation, start: datetime, zone: ZoneInfo) -> int:
    """A turn index at or before the turn that covers ``start`` (never negative)."""
    if rotation.kind == "custom":
        assert rotation.length is not None
        index = (start - to_utc(rotation.handoff, zone)) // rotation.length
    else:
        period = DAY if rotation.kind == "daily" else WEEK
        local = start.astimezone(zone).replace(tzinfo=None)
        # Local arithmetic is off by at most an hour around DST, so step back one turn to be safe.
        index = (local - rotation.handoff) // period - 1
    return max(0, int(index))


def _turns(rotation: Rotation, start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[Span]:
    index = _first_turn(rotation, start, zone)
    begins = turn_start(rotation, index, zone)
    while begins < end:
        ends = turn_start(rotation, index + 1, zone)
        if ends > start:
            user = rotation.users[index % len(rotation.users)]
            yield Span(user, max(begins, start), min(ends, end), rotation.name)
        index += 1
        begins = ends


def restriction_windows(
    restrictions: Sequence[Restriction], start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The UTC intervals, merged and sorted, in which ``restrictions`` allow someone on call."""
    first = start.astimezone(zone).date() - DAY
    last = end.astimezone(zone).date()
    windows: list[tuple[datetime, datetime]] = []
    day: date = first
    while day <= last:
        for restriction in restrictions:
            if day.weekday() not in restriction.days:
                continue
            begins = to_utc(datetime.combine(day, restriction.start), zone)
            # An end at or before the start wraps past midnight into the next day.
            end_day = day if restriction.end > restriction.start else day + DAY
            ends = to_utc(datetime.combine(end_day, restriction.end), zone)
            if ends > start and begins < end and ends > begins:
                windows.append((max(begins, start), min(ends, end)))
        day += DAY
    windows.sort()
    merged: list[tuple[datetime, datetime]] = []
    for begins, ends in windows:
        if merged and begins <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends))
        else:
            merged.append((begins, ends))
    return merged


def rotation_spans(
    rotation: Rotation, start: datetime, end: datetime, zone: ZoneInfo
) -> list[Span]:
    """Who the rotation puts on call between ``start`` and ``end``, sorted, not overlapping."""
    turns = list(_turns(rotation, start, end, zone))
    if not rotation.restrictions:
        return turns
    windows = restriction_windows(rotation.restrictions, start, end, zone)
    spans: list[Span] = []
    first = 0
    # Turns and windows are both sorted and disjoint: walk them together.
    for turn in turns:
        while first < len(windows) and windows[first][1] <= turn.start:
            first += 1
        index = first
        while index < len(windows) and windows[index][0] < turn.end:
            begins, ends = windows[index]
            spans.append(
                Span(turn.user_id, max(begins, turn.start), min(ends, turn.end), turn.source)
            )
            index += 1
    return spans


def _covering(spans: Sequence[Span], starts: Sequence[datetime], moment: datetime) -> Span | None:
    index = bisect.bisect_right(starts, moment) - 1
    if index >= 0 and spans[index].end > moment:
        return spans[index]
    return None


def on_call_spans(
    rotations: Sequence[Rotation],
    covers: Sequence[Cover],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> list[Span]:
    """Who is on call between ``start`` and ``end``: overrides first, then the highest layer.

    Consecutive spans of the same user from the same source are merged; gaps mean nobody.
    """
    layers = [rotation_spans(r, start, end, zone) for r in rotations]
    starts = [[s.start for s in spans] for spans in layers]
    active = sorted(
        (c for c in covers if c.end > start and c.start < end), key=lambda c: c.rank, reverse=True
    )
    cuts = {start, end}
    for spans in layers:
        cuts.update(moment for span in spans for moment in (span.start, span.end))
    cuts.update(max(start, min(moment, end)) for c in active for moment in (c.start, c.end))
    instants = sorted(cuts)
    result: list[Span] = []
    for begins, ends in pairwise(instants):
        winner = _winner(layers, starts, active, begins)
        if winner is None:
            continue
        user_id, source = winner
        last = result[-1] if result else None
        if last and last.end == begins and last.user_id == user_id and last.source == source:
            result[-1] = Span(user_id, last.start, ends, source)
        else:
            result.append(Span(user_id, begins, ends, source))
    return result


def _winner(
    layers: Sequence[Sequence[Span]],
    starts: Sequence[Sequence[datetime]],
    covers: Sequence[Cover],
    moment: datetime,
) -> tuple[int, str] | None:
    for cover in covers:
        if cover.start <= moment < cover.end:
            return cover.user_id, OVERRIDE
    for spans, span_starts in zip(reversed(layers), reversed(starts), strict=True):
        span = _covering(spans, span_starts, moment)
        if span is not None:
            return span.user_id, span.source
    return None
