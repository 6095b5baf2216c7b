"""The arithmetic and the parameter checks, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from warroom.analytics import service, stats
from warroom.analytics.stats import Outcome
from warroom.errors import ValidationFailed
from warroom.severity import DEFAULT_SCHEME

NOW = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 50, None),
        ([7.0], 50, 7.0),
        ([7.0], 90, 7.0),
        # n = 4: p50 rank ceil(2) = 2; p90 rank ceil(3.6) = 4; p25 rank 1; p75 rank 3.
        ([10.0, 20.0, 30.0, 40.0], 50, 20.0),
        ([10.0, 20.0, 30.0, 40.0], 90, 40.0),
        ([10.0, 20.0, 30.0, 40.0], 25, 10.0),
        ([10.0, 20.0, 30.0, 40.0], 75, 30.0),
        # n = 10: p90 rank exactly 9 (no rounding up); p50 rank 5.
        ([float(v) for v in range(1, 11)], 90, 9.0),
        ([float(v) for v in range(1, 11)], 50, 5.0),
        # n = 11: p90 rank ceil(9.9) = 10; p50 rank ceil(5.5) = 6.
        ([float(v) for v in range(1, 12)], 90, 10.0),
        ([float(v) for v in range(1, 12)], 50, 6.0),
        ([3.0, 5.0], 0, 3.0),
        ([3.0, 5.0], 100, 5.0),
    ],
)
def test_nearest_rank_percentile(values, percent, expected):
    assert stats.nearest_rank(values, percent) == expected


def test_mean_and_compliance():
    assert stats.mean([]) is None
    assert stats.mean([1.0, 2.0, 4.0]) == 2.333  # 7 / 3, to the millisecond
    assert stats.compliance_pct(0, 0) is None
    assert stats.compliance_pct(2, 1) == 66.67
    assert stats.compliance_pct(0, 3) == 0.0
    assert stats.compliance_pct(1, 0) == 100.0


def test_sla_outcome_at_the_deadline():
    detected = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    target = timedelta(minutes=15)
    due = detected + target

    def judge(done: datetime | None, now: datetime = NOW) -> Outcome:
        return stats.sla_outcome(detected_at=detected, done_at=done, target=target, now=now)

    assert judge(due - timedelta(seconds=1)) is Outcome.met
    assert judge(due) is Outcome.breached  # the engine marks the breach at the deadline
    assert judge(due + timedelta(minutes=1)) is Outcome.breached
    assert judge(None, now=due - timedelta(seconds=1)) is Outcome.not_yet_due
    assert judge(None, now=due) is Outcome.breached


def test_weeks_across_a_53_week_year():
    # 2026 has 53 ISO weeks; 2026-12-24 is a Thursday in W52, 2027-01-06 a Wednesday in W01.
    start = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    end = datetime(2027, 1, 6, tzinfo=UTC)
    weeks = stats.week_starts(start, end)
    assert [stats.iso_week(w) for w in weeks] == ["2026-W52", "2026-W53", "2027-W01"]
    assert weeks[0] == datetime(2026, 12, 21, tzinfo=UTC)
    # An end at Monday 00:00 does not open that week.
    assert len(stats.week_starts(start, datetime(2027, 1, 4, tzinfo=UTC))) == 2


@pytest.mark.parametrize(
    ("moment", "zone", "outside"),
    [
        (datetime(2026, 11, 18, 9, 0, tzinfo=UTC), "UTC", False),  # Wed 09:00 opens the day
        (datetime(2026, 11, 18, 8, 59, tzinfo=UTC), "UTC", True),
        (datetime(2026, 11, 18, 17, 59, tzinfo=UTC), "UTC", False),
        (datetime(2026, 11, 18, 18, 0, tzinfo=UTC), "UTC", True),  # 18:00 closes it
        (datetime(2026, 11, 21, 12, 0, tzinfo=UTC), "UTC", True),  # Saturday
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), "UTC", True),  # Sunday
        # Mon 2026-11-23 02:00 UTC is Sun 21:00 in New York and Mon 11:00 in Tokyo.
        (datetime(2026, 11, 23, 2, 0, tzinfo=UTC), "America/New_York", True),
        (datetime(2026, 11, 23, 2, 0, tzinfo=UTC), "Asia/Tokyo", False),
        # Summer time: Wed 2026-07-15 13:30 UTC is 09:30 EDT (UTC-4), so in hours.
        (datetime(2026, 7, 15, 13, 30, tzinfo=UTC), "America/New_York", False),
    ],
)
def test_business_hours(moment, zone, outside):
    assert stats.out_of_hours(moment, ZoneInfo(zone)) is outside


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-04", datetime(2026, 11, 4, tzinfo=UTC)),
        ("2026-11-04T09:30", datetime(2026, 11, 4, 9, 30, tzinfo=UTC)),
        ("2026-11-04T09:30:00Z", datetime(2026, 11, 4, 9, 30, tzinfo=UTC)),
        ("2026-11-04T09:30:00+01:00", datetime(2026, 11, 4, 8, 30, tzinfo=UTC)),
        # An unencoded '+' in a URL arrives as a space.
        ("2026-11-04T09:30:00 01:00", datetime(2026, 11, 4, 8, 30, tzinfo=UTC)),
        (" 2026-11-04T09:30:00-05:00 ", datetime(2026, 11, 4, 14, 30, tzinfo=UTC)),
    ],
)
def test_parse_moment(text, expected):
    assert service.parse_moment(text, "from") == expected


def failure(**given: str | None) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as raised:
        service.parse_query(scheme=DEFAULT_SCHEME, now=NOW, **given)
    error = raised.value.errors[0]
    return error.field, error.message


@pytest.mark.parametrize(
    "bad", ["yesterday", "2026-13-01", "", "2026-11-04T25:00", "9999-12-31T23:00-05:00"]
)
def test_bad_moments_name_the_parameter(bad):
    field, message = failure(start=bad)
    assert field == "from"
    assert "ISO-8601" in message
    assert failure(end=bad)[0] == "to"


def test_range_checks():
    assert failure(start="2026-11-05", end="2026-11-05")[0] == "from"
    assert failure(start="2026-11-06", end="2026-11-05")[0] == "from"
    field, message = failure(start="2025-01-01", end="2026-01-03")  # 367 days
    assert (field, "366 days" in message) == ("to", True)
    leap = service.parse_query(scheme=DEFAULT_SCHEME, now=NOW, start="2024-01-01", end="2025-01-01")
    assert leap.end - leap.start == timedelta(days=366)


def test_unknown_severity_lists_the_levels():
    field, message = failure(severity="urgent")
    assert field == "severity"
    assert all(level in message for level in ("P1", "P2", "P3", "P4"))


def test_defaults_are_the_thirty_days_up_to_now():
    query = service.parse_query(scheme=DEFAULT_SCHEME, now=NOW, service=" ")
    assert (query.start, query.end) == (NOW - timedelta(days=30), NOW)
    assert query.service is None
    only_end = service.parse_query(scheme=DEFAULT_SCHEME, now=NOW, end="2026-06-01")
    assert only_end.start == datetime(2026, 5, 2, tzinfo=UTC)
