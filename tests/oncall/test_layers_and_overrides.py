"""Restrictions let lower layers show through, higher layers win, later overrides win."""

from __future__ import annotations

from sqlalchemy import select

from tests.oncall.conftest import MakeSchedule, layer, table, utc
from warroom.oncall import service
from warroom.users.models import AuditEntry

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def who(session, schedule, at) -> list[str]:
    return [u.handle for u in service.who_is_on_call(session, schedule=schedule, at=at)]


def test_business_hours_layer_shows_the_base_layer_outside_its_hours(
    session, make_schedule: MakeSchedule
):
    schedule = make_schedule(
        "berlin",
        "Europe/Berlin",
        [
            layer("base", "weekly", "2025-11-03T09:00", "alice"),
            layer(
                "business",
                "daily",
                "2025-11-03T00:00",
                "bob",
                "carol",
                restrictions=[(WEEKDAYS, "09:00", "17:00")],
            ),
        ],
    )
    found = service.shifts(
        session, schedule=schedule, start=utc(2025, 11, 3, 8), end=utc(2025, 11, 5, 8)
    )
    assert table(found) == [
        ("bob", "2025-11-03T08:00Z", "2025-11-03T16:00Z", "business"),
        ("alice", "2025-11-03T16:00Z", "2025-11-04T08:00Z", "base"),
        ("carol", "2025-11-04T08:00Z", "2025-11-04T16:00Z", "business"),
        ("alice", "2025-11-04T16:00Z", "2025-11-05T08:00Z", "base"),
    ]
    assert who(session, schedule, utc(2025, 11, 3, 12)) == ["bob"]
    assert who(session, schedule, utc(2025, 11, 8, 12)) == ["alice"]  # Saturday
    assert who(session, schedule, utc(2025, 11, 7, 15, 59)) == ["bob"]  # Friday 16:59 local
    assert who(session, schedule, utc(2025, 11, 7, 16)) == ["alice"]


def test_a_restriction_ending_before_it_starts_wraps_past_midnight(
    session, make_schedule: MakeSchedule
):
    schedule = make_schedule(
        "nights",
        "UTC",
        [
            layer("base", "weekly", "2025-11-03T00:00", "alice"),
            layer(
                "friday-night",
                "weekly",
                "2025-11-03T00:00",
                "dave",
                restrictions=[(["fri"], "22:00", "06:00")],
            ),
        ],
    )
    assert who(session, schedule, utc(2025, 11, 6, 23)) == ["alice"]  # Thursday night
    assert who(session, schedule, utc(2025, 11, 7, 21, 59)) == ["alice"]
    assert who(session, schedule, utc(2025, 11, 7, 22)) == ["dave"]
    assert who(session, schedule, utc(2025, 11, 8, 5, 30)) == ["dave"]  # Saturday morning
    assert who(session, schedule, utc(2025, 11, 8, 6)) == ["alice"]
    found = service.shifts(
        session, schedule=schedule, start=utc(2025, 11, 7, 12), end=utc(2025, 11, 8, 12)
    )
    assert table(found) == [
        ("alice", "2025-11-07T12:00Z", "2025-11-07T22:00Z", "base"),
        ("dave", "2025-11-07T22:00Z", "2025-11-08T06:00Z", "friday-night"),
        ("alice", "2025-11-08T06:00Z", "2025-11-08T12:00Z", "base"),
    ]


def test_a_restricted_layer_alone_leaves_gaps_with_nobody(session, make_schedule: MakeSchedule):
    schedule = make_schedule(
        "office",
        "UTC",
        [
            layer(
                "office",
                "daily",
                "2025-11-03T00:00",
                "bob",
                restrictions=[(["sat"], "10:00", "10:00")],
            )
        ],
    )
    # A start equal to the end means the whole 24 hours from the start.
    found = service.shifts(
        session, schedule=schedule, start=utc(2025, 11, 7), end=utc(2025, 11, 10)
    )
    assert table(found) == [("bob", "2025-11-08T10:00Z", "2025-11-09T10:00Z", "office")]
    assert who(session, schedule, utc(2025, 11, 9, 10)) == []
    now = service.on_call(session, schedule=schedule, at=utc(2025, 11, 9, 12))
    assert now.users == []
    assert now.until == utc(2025, 11, 15, 10)


def test_a_higher_layer_wins_from_its_first_hand_off(session, make_schedule: MakeSchedule):
    schedule = make_schedule(
        "stack",
        "UTC",
        [
            layer("base", "daily", "2025-11-03T00:00", "alice"),
            layer("top", "weekly", "2025-11-05T00:00", "bob"),
        ],
    )
    found = service.shifts(session, schedule=schedule, start=utc(2025, 11, 2), end=utc(2025, 11, 7))
    assert table(found) == [
        ("alice", "2025-11-03T00:00Z", "2025-11-05T00:00Z", "base"),
        ("bob", "2025-11-05T00:00Z", "2025-11-07T00:00Z", "top"),
    ]


def test_overrides_win_later_ones_win_overlaps_and_deletion_restores(
    session, change, make_schedule: MakeSchedule
):
    schedule = make_schedule("ops", "UTC", [layer("base", "weekly", "2025-11-03T00:00", "alice")])
    service.add_override(
        session,
        change=change,
        schedule=schedule,
        user_handle="bob",
        start=utc(2025, 11, 4, 10),
        end=utc(2025, 11, 4, 14),
    )
    later = service.add_override(
        session,
        change=change,
        schedule=schedule,
        user_handle="carol",
        start=utc(2025, 11, 4, 12),
        end=utc(2025, 11, 4, 16),
    )
    session.commit()
    day = {"start": utc(2025, 11, 4), "end": utc(2025, 11, 5)}
    assert table(service.shifts(session, schedule=schedule, **day)) == [
        ("alice", "2025-11-04T00:00Z", "2025-11-04T10:00Z", "base"),
        ("bob", "2025-11-04T10:00Z", "2025-11-04T12:00Z", "override"),
        ("carol", "2025-11-04T12:00Z", "2025-11-04T16:00Z", "override"),
        ("alice", "2025-11-04T16:00Z", "2025-11-05T00:00Z", "base"),
    ]
    assert who(session, schedule, utc(2025, 11, 4, 13)) == ["carol"]
    service.delete_override(session, change=change, schedule=schedule, override_id=later.id)
    session.commit()
    assert table(service.shifts(session, schedule=schedule, **day)) == [
        ("alice", "2025-11-04T00:00Z", "2025-11-04T10:00Z", "base"),
        ("bob", "2025-11-04T10:00Z", "2025-11-04T14:00Z", "override"),
        ("alice", "2025-11-04T14:00Z", "2025-11-05T00:00Z", "base"),
    ]
    assert [o.user.handle for o in service.list_overrides(session, schedule=schedule)] == ["bob"]
    actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-4:] == [
        "schedule.create",
        "override.create",
        "override.create",
        "override.delete",
    ]


def test_an_override_by_the_rotation_user_is_a_separate_shift(
    session, change, make_schedule: MakeSchedule
):
    schedule = make_schedule("ops", "UTC", [layer("base", "weekly", "2025-11-03T00:00", "alice")])
    service.add_override(
        session,
        change=change,
        schedule=schedule,
        user_handle="alice",
        start=utc(2025, 11, 4, 10),
        end=utc(2025, 11, 4, 12),
    )
    session.commit()
    found = service.shifts(session, schedule=schedule, start=utc(2025, 11, 4), end=utc(2025, 11, 5))
    assert [(s.source, s.start.hour, s.end.hour) for s in found] == [
        ("base", 0, 10),
        ("override", 10, 12),
        ("base", 12, 0),
    ]
