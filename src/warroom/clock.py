"""The one source of time: every component reads ``clock.now()`` (UTC, timezone-aware)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        initial = start or datetime(2025, 11, 1, 9, 0, tzinfo=UTC)
        if initial.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._now = initial.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by keyword units (``minutes=15``); return the new time."""
        step = (delta or timedelta()) + timedelta(**units)
        if step < timedelta():
            raise ValueError("a FakeClock never goes backwards")
        with self._lock:
            self._now += step
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (not earlier than now)."""
        if moment.tzinfo is None:
            raise ValueError("FakeClock.set needs a timezone-aware time")
        with self._lock:
            if moment < self._now:
                raise ValueError("a FakeClock never goes backwards")
            self._now = moment.astimezone(UTC)


class FixedClock:
    """A clock stopped at one moment, so everything done in one engine tick agrees on the time."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware time")
        self._moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self._moment
