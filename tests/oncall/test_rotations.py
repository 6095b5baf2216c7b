"""Rotation arithmetic: hand-offs at local wall-clock time across DST, custom lengths, merging."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.oncall.conftest import MakeSchedule, layer, table, utc
from warroom.errors import ValidationFailed
from warroom.oncall import service
from warroom.oncall.calendar import to_utc


def test_daily_berlin_spring_forward_keeps_nine_local_and_shortens_the_shift(
    session, make_schedule: MakeSchedule
):
    schedule = make_schedule(
        "berlin", "Europe/Berlin", [layer("primary", "daily", "2026-03-27T09:00", "alice", "bob")]
    )
    found = service.shifts(session, schedule=schedule, start=utc(2026, 3, 27), end=utc(2026, 3, 31))
    assert table(found) == [
        ("alice", "2026-03-27T08:00Z", "2026-03-28T08:00Z", "primary"),
        ("bob", "2026-03-28T08:00Z", "2026-03-29T07:00Z", "primary"),
        ("alice", "2026-03-29T07:00Z", "2026-03-30T07:00Z", "primary"),
        ("bob", "2026-03-30T07:00Z", "2026-03-31T00:00Z", "primary"),
    ]
    assert found[1].end - found[1].start == timedelta(hours=23)
    paris = ZoneInfo("Europe/Berlin")
    assert [s.start.astimezone(paris).hour for s in found[1:]] == [9, 9, 9]


def test_weekly_berlin_fall_back_makes_a_169_hour_week(session, make_schedule: MakeSchedule):
    schedule = make_schedule(
        "berlin", "Europe/Berlin", [layer("weekly", "weekly", "2026-10-19T09:00", "alice", "bob")]
    )
    found = service.shifts(
        session, schedule=schedule, start=utc(2026, 10, 19), end=utc(2026, 11, 3)
    )
    assert table(found) == [
        ("alice", "2026-10-19T07:00Z", "2026-10-26T08:00Z", "weekly"),
        ("bob", "2026-10-26T08:00Z", "2026-11-02T08:00Z", "weekly"),
        ("alice", "2026-11-02T08:00Z", "2026-11-03T00:00Z", "weekly"),
    ]
    assert found[0].end - found[0].start == timedelta(hours=169)


def test_daily_new_york_spring_forward_and_fall_back(session, make_schedule: MakeSchedule):
    spring = make_schedule(
        "ny-spring",
        "America/New_York",
        [layer("primary", "daily", "2026-03-07T09:00", "alice", "bob")],
    )
    fall = make_schedule(
        "ny-fall",
        "America/New_York",
        [layer("primary", "daily", "2026-10-31T09:00", "carol", "dave")],
    )
    assert table(
        service.shifts(session, schedule=spring, start=utc(2026, 3, 7), end=utc(2026, 3, 9, 14))
    ) == [
        ("alice", "2026-03-07T14:00Z", "2026-03-08T13:00Z", "primary"),
        ("bob", "2026-03-08T13:00Z", "2026-03-09T13:00Z", "primary"),
        ("alice", "2026-03-09T13:00Z", "2026-03-09T14:00Z", "primary"),
    ]
    found = service.shifts(session, schedule=fall, start=utc(2026, 10, 31), end=utc(2026, 11, 3))
    assert table(found) == [
        ("carol", "2026-10-31T13:00Z", "2026-11-01T14:00Z", "primary"),
        ("dave", "2026-11-01T14:00Z", "2026-11-02T14:00Z", "primary"),
        ("carol", "2026-11-02T14:00Z", "2026-11-03T00:00Z", "primary"),
    ]
    assert found[0].end - found[0].start == timedelta(hours=25)


def test_custom_lengths_are_absolute_across_dst(session, make_schedule: MakeSchedule):
    schedule = make_schedule(
        "halves",
        "Europe/Berlin",
        [layer("halves", "custom", "2026-03-28T20:00", "alice", "bob", length="12h")],
    )
    found = service.shifts(
        session, schedule=schedule, start=utc(2026, 3, 28, 19), end=utc(2026, 3, 30, 7)
    )
    assert table(found) == [
        ("alice", "2026-03-28T19:00Z", "2026-03-29T07:00Z", "halves"),
        ("bob", "2026-03-29T07:00Z", "2026-03-29T19:00Z", "halves"),
        ("alice", "2026-03-29T19:00Z", "2026-03-30T07:00Z", "halves"),
    ]
    # 20:00 CET the evening before is 21:00 CEST after the change: the length wins, not the clock.
    assert found[2].start.astimezone(ZoneInfo("Europe/Berlin")).hour == 21


def test_a_hand_off_in_the_skipped_hour_moves_to_just_after_the_change():
    berlin = ZoneInfo("Europe/Berlin")
    assert to_utc(datetime(2026, 3, 29, 2, 30), berlin) == utc(2026, 3, 29, 1, 30)
    assert to_utc(datetime(2026, 10, 25, 2, 30), berlin) == utc(2026, 10, 25, 0, 30)


def test_nobody_before_the_first_hand_off_and_clipping_to_the_window(
    session, make_schedule: MakeSchedule
):
    schedule = make_schedule(
        "utc", "UTC", [layer("primary", "daily", "2025-11-03T09:00", "alice", "bob")]
    )
    assert service.who_is_on_call(session, schedule=schedule, at=utc(2025, 11, 3, 8, 59)) == []
    assert [
        u.handle for u in service.who_is_on_call(session, schedule=schedule, at=utc(2025, 11, 3, 9))
    ] == ["alice"]
    found = service.shifts(
        session, schedule=schedule, start=utc(2025, 11, 3, 12), end=utc(2025, 11, 4, 10, 30)
    )
    assert table(found) == [
        ("alice", "2025-11-03T12:00Z", "2025-11-04T09:00Z", "primary"),
        ("bob", "2025-11-04T09:00Z", "2025-11-04T10:30Z", "primary"),
    ]


def test_the_same_user_twice_in_a_row_is_one_merged_shift(session, make_schedule: MakeSchedule):
    schedule = make_schedule(
        "twice", "UTC", [layer("primary", "daily", "2025-11-03T00:00", "alice", "alice", "bob")]
    )
    found = service.shifts(session, schedule=schedule, start=utc(2025, 11, 3), end=utc(2025, 11, 7))
    assert table(found) == [
        ("alice", "2025-11-03T00:00Z", "2025-11-05T00:00Z", "primary"),
        ("bob", "2025-11-05T00:00Z", "2025-11-06T00:00Z", "primary"),
        ("alice", "2025-11-06T00:00Z", "2025-11-07T00:00Z", "primary"),
    ]


def test_on_call_says_until_when_and_who_is_next(session, make_schedule: MakeSchedule):
    schedule = make_schedule(
        "utc", "UTC", [layer("primary", "weekly", "2025-11-03T09:00", "alice", "bob")]
    )
    now = service.on_call(session, schedule=schedule, at=utc(2025, 11, 5, 12))
    assert [u.handle for u in now.users] == ["alice"]
    assert now.until == utc(2025, 11, 10, 9)
    assert now.next is not None
    assert (now.next.user.handle, now.next.start, now.next.end) == (
        "bob",
        utc(2025, 11, 10, 9),
        utc(2025, 11, 17, 9),
    )
    before = service.on_call(session, schedule=schedule, at=utc(2025, 11, 1))
    assert before.users == []
    assert before.until == utc(2025, 11, 3, 9)
    nxt = service.next_shift(session, schedule=schedule, at=utc(2025, 11, 1))
    assert nxt is not None
    assert nxt.user.handle == "alice"


def test_windows_longer_than_93_days_or_backwards_are_refused(session, make_schedule: MakeSchedule):
    schedule = make_schedule(
        "utc", "UTC", [layer("primary", "weekly", "2025-11-03T09:00", "alice")]
    )
    assert service.shifts(
        session,
        schedule=schedule,
        start=utc(2025, 11, 1),
        end=utc(2025, 11, 1) + timedelta(days=93),
    )
    with pytest.raises(ValidationFailed, match="at most 93 days") as too_long:
        service.shifts(session, schedule=schedule, start=utc(2025, 11, 1), end=utc(2026, 2, 3))
    assert too_long.value.errors[0].field == "to"
    with pytest.raises(ValidationFailed, match="after from"):
        service.shifts(session, schedule=schedule, start=utc(2025, 11, 2), end=utc(2025, 11, 1))
    with pytest.raises(ValidationFailed, match="offset"):
        service.shifts(
            session, schedule=schedule, start=datetime(2025, 11, 1), end=utc(2025, 11, 2)
        )


def test_until_is_null_when_nothing_changes_within_the_look_ahead(
    session, make_schedule: MakeSchedule
):
    schedule = make_schedule(
        "solo", "UTC", [layer("primary", "daily", "2025-11-03T09:00", "alice")]
    )
    now = service.on_call(session, schedule=schedule, at=utc(2025, 11, 5))
    assert [u.handle for u in now.users] == ["alice"]
    assert (now.until, now.next) == (None, None)
