"""FakeClock moves only forward and only when told; SystemClock tells aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from warroom.clock import FakeClock, SystemClock

START = datetime(2025, 11, 1, 9, 0, tzinfo=UTC)


def test_fake_clock_stands_still_until_advanced():
    clock = FakeClock(START)
    assert clock.now() == START
    assert clock.now() == START


def test_fake_clock_defaults_to_a_fixed_aware_time():
    now = FakeClock().now()
    assert now == START
    assert now.utcoffset() == timedelta(0)


def test_advance_by_timedelta_units_or_both():
    clock = FakeClock(START)
    assert clock.advance(timedelta(minutes=15)) == START + timedelta(minutes=15)
    assert clock.advance(seconds=30) == START + timedelta(minutes=15, seconds=30)
    assert clock.advance(timedelta(hours=1), minutes=1) == START + timedelta(
        hours=1, minutes=16, seconds=30
    )
    assert clock.advance() == clock.now() == START + timedelta(hours=1, minutes=16, seconds=30)


@pytest.mark.parametrize(
    ("delta", "units"),
    [(timedelta(seconds=-1), {}), (None, {"minutes": -5}), (timedelta(minutes=1), {"hours": -1})],
)
def test_advance_never_goes_backwards(delta: timedelta | None, units: dict[str, float]):
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="never goes backwards"):
        clock.advance(delta, **units)
    assert clock.now() == START


def test_set_jumps_forward_and_normalises_to_utc():
    clock = FakeClock(START)
    clock.set(START)  # standing still is allowed
    later = datetime(2025, 11, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    clock.set(later)
    assert clock.now() == datetime(2025, 11, 1, 10, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_set_never_goes_backwards():
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="never goes backwards"):
        clock.set(START - timedelta(microseconds=1))
    assert clock.now() == START


def test_set_refuses_a_naive_time():
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2030, 1, 1))
    assert clock.now() == START


def test_fake_clock_refuses_a_naive_start():
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2025, 11, 1, 9, 0))


def test_fake_clock_converts_an_offset_start_to_utc():
    clock = FakeClock(datetime(2025, 11, 1, 4, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert clock.now() == START
    assert clock.now().tzinfo == UTC


def test_system_clock_tells_aware_utc_now():
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo == UTC
    assert before <= now <= after
