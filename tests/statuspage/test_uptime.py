"""90-day uptime from the status history: the weighting rule, partial days, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.clock import FakeClock
from warroom.statuspage import components
from warroom.statuspage.uptime import percent, uptime


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2025-10-30 00:00 UTC, before the days these tests look at."""
    return FakeClock(datetime(2025, 10, 30, 0, 0, tzinfo=UTC))


def test_outages_count_by_the_documented_weights(
    session: Session, change: Change, clock: FakeClock
):
    api = components.create_component(session, change=change, name="API")
    clock.advance(timedelta(days=1))  # 31 Oct 00:00: two hours of partial outage
    components.set_status(session, change=change, component=api, status="partial_outage")
    clock.advance(timedelta(hours=2))
    components.set_status(session, change=change, component=api, status="degraded_performance")
    clock.advance(timedelta(hours=1))
    components.set_status(session, change=change, component=api, status="operational")
    clock.set(datetime(2025, 11, 1, 6, 0, tzinfo=UTC))  # 1 Nov: 30 min major outage, then now
    components.set_status(session, change=change, component=api, status="major_outage")
    clock.advance(timedelta(minutes=30))
    components.set_status(session, change=change, component=api, status="operational")
    clock.set(datetime(2025, 11, 1, 12, 0, tzinfo=UTC))
    session.commit()

    measured = uptime(session, [api], now=clock.now(), zone=UTC)[api.id]

    assert len(measured.days) == 90
    assert measured.days[-1].day == date(2025, 11, 1)
    assert all(d.fraction is None for d in measured.days[:-3])
    oct30, oct31, nov1 = measured.days[-3:]
    assert oct30.fraction == 1.0
    assert oct30.level == "operational"
    assert oct31.fraction == pytest.approx(1 - 0.3 * 2 / 24)
    assert oct31.level == "partial_outage"
    assert (
        oct31.label
        == "2025-10-31: 97.50 % uptime, 2 h 0 min partial outage, 1 h 0 min degraded performance"
    )
    assert nov1.fraction == pytest.approx(1 - 0.5 / 12)  # only the 12 hours observed so far count
    assert nov1.level == "major_outage"
    total = 1 - (0.3 * 2 + 0.5) / (24 + 24 + 12)
    assert measured.fraction == pytest.approx(total)
    assert percent(measured.fraction) == "98.16 %"


def test_days_follow_the_page_time_zone(session: Session, change: Change, clock: FakeClock):
    clock.set(datetime(2025, 10, 31, 23, 30, tzinfo=UTC))  # 1 Nov 08:30 in Tokyo
    api = components.create_component(session, change=change, name="API", status="major_outage")
    clock.advance(timedelta(hours=1))
    session.commit()

    tokyo = uptime(session, [api], now=clock.now(), zone=ZoneInfo("Asia/Tokyo"))[api.id]
    utc = uptime(session, [api], now=clock.now(), zone=UTC)[api.id]

    assert tokyo.days[-1].day == date(2025, 11, 1)
    assert tokyo.days[-1].major_seconds == 3600
    assert [d.major_seconds for d in utc.days[-2:]] == [1800, 1800]


def test_groups_have_no_bar_and_a_new_component_has_no_data(
    session: Session, change: Change, clock: FakeClock
):
    group = components.create_component(session, change=change, name="Group", is_group=True)
    fresh = components.create_component(session, change=change, name="Fresh")
    session.commit()

    measured = uptime(session, [group, fresh], now=clock.now(), zone=UTC)

    assert set(measured) == {fresh.id}
    assert measured[fresh.id].fraction is None
    assert percent(None) == "no data"
    assert percent(0.99999) == "99.99 %"
