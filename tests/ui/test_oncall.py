"""The on-call page: now and next, the 14-day calendar, my shifts, feeds and overrides."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.oncall.conftest import layer
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.oncall import service
from warroom.oncall.models import Override
from warroom.users.models import User
from warroom.users.service import create_user, get_user, update_user

from .conftest import csrf_of

Browser = Callable[[str], TestClient]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.fixture
def rota(session: Session, change: Change, web_users: dict[str, str]) -> None:
    """primary (UTC): bob and alice take weekly turns from Mon 27 Oct 09:00; carol exists."""
    for handle in ("bob", "carol"):
        create_user(
            session, change=change, handle=handle, name=handle.title(), email=f"{handle}@x.org"
        )
    service.create_schedule(
        session,
        change=change,
        name="primary",
        time_zone="UTC",
        layers=[layer("weekly", "weekly", "2025-10-27T09:00", "bob", "alice")],
    )
    session.commit()


def _in_berlin(session: Session, change: Change, handle: str) -> None:
    user = get_user(session, handle)
    update_user(
        session,
        change=change,
        user=user,
        name=user.name,
        email=user.email,
        time_zone="Europe/Berlin",
    )
    session.commit()


def _text(fragment: str) -> str:
    """The visible words of some HTML, tags dropped, spaces collapsed, dashes plain."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("\N{EN DASH}", "-")
    return re.sub(r" ([:,)])", r"\1", " ".join(words.split()))


def _section(page: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert found, f"no section {heading_id}"
    return found.group(1)


def _calendar_rows(page: str, schedule: str) -> list[str]:
    table = _section(page, f"calendar-{schedule}")
    return [_text(row) for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S)]


def _override_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Override)) or 0


def test_now_and_next_show_who_is_on_call_until_the_handover(browser: Browser, rota):
    page = browser("alice").get("/oncall")
    assert page.status_code == 200
    now = _text(_section(page.text, "now-heading"))
    assert "On call now Bob (bob)" in now
    assert "Until Mon 3 Nov 09:00 UTC (in 2d 0h)" in now
    assert "Next Alice (alice) from Mon 3 Nov 09:00 UTC" in now
    assert "Times are in UTC, your time zone." in _text(page.text)


def test_now_and_next_follow_the_clock(browser: Browser, rota, clock: FakeClock):
    clock.advance(timedelta(days=2, hours=1))  # Mon 3 Nov 10:00
    now = _text(_section(browser("alice").get("/oncall").text, "now-heading"))
    assert "On call now Alice (alice)" in now
    assert "Until Mon 10 Nov 09:00 UTC" in now
    assert "Next Bob (bob) from Mon 10 Nov 09:00 UTC" in now


def test_the_calendar_covers_fourteen_local_days_with_the_hours_each_person_covers(
    browser: Browser, rota
):
    rows = _calendar_rows(browser("alice").get("/oncall").text, "primary")
    assert len(rows) == 14
    assert rows[0] == "Sat 1 Nov 00:00-24:00 Bob (bob)"
    assert rows[2] == "Mon 3 Nov 00:00-09:00 Bob (bob) 09:00-24:00 Alice (alice)"
    assert rows[3] == "Tue 4 Nov 00:00-24:00 Alice (alice)"
    assert rows[9] == "Mon 10 Nov 00:00-09:00 Alice (alice) 09:00-24:00 Bob (bob)"
    assert rows[13].startswith("Fri 14 Nov")


def test_times_are_in_the_signed_in_users_time_zone(
    browser: Browser, rota, session: Session, change: Change
):
    _in_berlin(session, change, "alice")
    page = browser("alice").get("/oncall").text
    assert "Times are in Europe/Berlin, your time zone." in _text(page)
    now = _text(_section(page, "now-heading"))
    assert "Until Mon 3 Nov 10:00 CET" in now
    rows = _calendar_rows(page, "primary")
    assert rows[2] == "Mon 3 Nov 00:00-10:00 Bob (bob) 10:00-24:00 Alice (alice)"
    assert 'datetime="2025-11-03T09:00:00+00:00"' in page


def test_uncovered_hours_say_nobody(browser: Browser, rota, session: Session, change: Change):
    service.create_schedule(
        session,
        change=change,
        name="daytime",
        time_zone="UTC",
        layers=[
            layer(
                "office",
                "daily",
                "2025-10-27T00:00",
                "carol",
                restrictions=[(WEEKDAYS, "09:00", "17:00")],
            )
        ],
    )
    session.commit()
    page = browser("alice").get("/oncall").text
    rows = _calendar_rows(page, "daytime")
    assert rows[0] == "Sat 1 Nov 00:00-24:00 Nobody"
    assert rows[2] == "Mon 3 Nov 00:00-09:00 Nobody 09:00-17:00 Carol (carol) 17:00-24:00 Nobody"
    now = _text(re.search(r'<article[^>]*id="now-daytime">(.*?)</article>', page, re.S).group(1))
    assert "On call now Nobody Uncovered until Mon 3 Nov 09:00 UTC" in now
    assert "Next Carol (carol) from Mon 3 Nov 09:00 UTC" in now


def test_my_shifts_list_the_users_turns_for_thirty_days(browser: Browser, rota, clock: FakeClock):
    mine = _text(_section(browser("alice").get("/oncall").text, "mine-heading"))
    assert mine == (
        "My shifts primary: Mon 3 Nov 09:00 UTC - Mon 10 Nov 09:00 UTC (7d 0h) "
        "primary: Mon 17 Nov 09:00 UTC - Mon 24 Nov 09:00 UTC (7d 0h)"
    )
    clock.advance(timedelta(days=3))  # Tue 4 Nov 09:00, a day into alice's turn
    assert _text(_section(browser("alice").get("/oncall").text, "mine-heading")) == (
        "My shifts primary: on call now, until Mon 10 Nov 09:00 UTC (6d 0h left) "
        "primary: Mon 17 Nov 09:00 UTC - Mon 24 Nov 09:00 UTC (7d 0h) "
        "primary: Mon 1 Dec 09:00 UTC - Mon 8 Dec 09:00 UTC (7d 0h)"  # ends after 30 days
    )
    ada = _text(_section(browser("ada").get("/oncall").text, "mine-heading"))
    assert "You have no shifts in the next 30 days." in ada


def test_the_page_gives_calendar_feed_addresses_that_still_need_a_token(browser: Browser, rota):
    alice = browser("alice")
    feeds = _section(alice.get("/oncall").text, "feeds-heading")
    mine = "http://testserver/api/v1/users/alice/shifts.ics?token=YOUR_API_TOKEN"
    schedule = "http://testserver/api/v1/schedules/primary/shifts.ics?token=YOUR_API_TOKEN"
    assert f"<code>{mine}</code>" in feeds
    assert f"<code>{schedule}</code>" in feeds
    assert "warroom token create" in feeds
    assert alice.get("/api/v1/users/alice/shifts.ics").status_code == 401  # the cookie is no key


def test_an_override_changes_who_is_on_call_now(
    browser: Browser, rota, session: Session, change: Change, clock: FakeClock
):
    _in_berlin(session, change, "alice")
    alice = browser("alice")
    form = {
        "csrf_token": csrf_of(alice.get("/oncall").text),
        "schedule": "primary",
        "user": "carol",
        "start": "2025-11-01T09:00",  # Berlin: 08:00 UTC, before now
        "end": "2025-11-01T12:00",
    }
    answer = alice.post("/oncall/overrides", data=form, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/oncall")
    override = session.scalars(select(Override)).one()
    assert (override.start_at, override.end_at) == (
        datetime(2025, 11, 1, 8, tzinfo=UTC),
        datetime(2025, 11, 1, 11, tzinfo=UTC),
    )
    assert override.created_by == "user:alice"
    schedule = service.get_schedule(session, "primary")
    on_call = service.who_is_on_call(session, schedule=schedule, at=clock.now())
    assert [u.handle for u in on_call] == ["carol"]
    page = alice.get("/oncall").text
    now = _text(_section(page, "now-heading"))
    assert "On call now Carol (carol)" in now
    assert "Until Sat 1 Nov 12:00 CET" in now
    assert "Next Bob (bob) from Sat 1 Nov 12:00 CET" in now
    assert _calendar_rows(page, "primary")[0] == (
        "Sat 1 Nov 00:00-09:00 Bob (bob) 09:00-12:00 Carol (carol) (override) 12:00-24:00 Bob (bob)"
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"end": "2025-11-01T08:00"}, "end", "must be after start"),
        ({"end": "2025-11-01T10:00"}, "end", "must be after start"),
        ({"user": "nobody"}, "user", "no user with handle 'nobody'"),
        ({"user": ""}, "user", "enter the handle"),
        ({"schedule": "secondary"}, "schedule", "choose a schedule"),
        ({"start": "tomorrow"}, "start", "is not a date and time like 2025-11-03T09:00"),
        ({"end": ""}, "end", "give a date and time"),
    ],
)
def test_bad_override_input_is_a_422_with_the_form_kept_and_nothing_written(
    browser: Browser, rota, session: Session, fields, field, message
):
    alice = browser("alice")
    good = {
        "schedule": "primary",
        "user": "carol",
        "start": "2025-11-01T10:00",
        "end": "2025-11-01T12:00",
    }
    data = {"csrf_token": csrf_of(alice.get("/oncall").text), **good, **fields}
    answer = alice.post("/oncall/overrides", data=data, follow_redirects=False)
    assert answer.status_code == 422
    error = re.search(rf'id="override-{field}-error">([^<]*)</p>', answer.text)
    assert error
    assert message in html.unescape(error.group(1))
    kept = {**good, **fields}
    assert f'name="start" type="datetime-local" value="{kept["start"]}"' in answer.text
    assert f'name="user" list="override-people" autocomplete="off" value="{kept["user"]}"' in (
        answer.text
    )
    assert _override_count(session) == 0


def test_a_time_that_cannot_be_read_in_the_users_zone_is_a_422(
    browser: Browser, rota, session: Session, change: Change
):
    _in_berlin(session, change, "alice")
    alice = browser("alice")
    data = {
        "csrf_token": csrf_of(alice.get("/oncall").text),
        "schedule": "primary",
        "user": "carol",
        "start": "0001-01-01T00:30",  # before year 1 in UTC
        "end": "2025-11-01T12:00",
    }
    answer = alice.post("/oncall/overrides", data=data, follow_redirects=False)
    assert answer.status_code == 422
    assert 'id="override-start-error">' in answer.text
    assert "is not a date and time like 2025-11-03T09:00" in answer.text
    assert _override_count(session) == 0


def test_overrides_need_a_responder_and_the_csrf_token(browser: Browser, rota, session: Session):
    fields = {
        "schedule": "primary",
        "user": "carol",
        "start": "2025-11-01T10:00",
        "end": "2025-11-01T12:00",
    }
    vera = browser("vera")
    page = vera.get("/oncall")
    assert page.status_code == 200
    assert 'action="/oncall/overrides"' not in page.text
    assert "needs the responder role" in page.text
    assert (
        vera.post(
            "/oncall/overrides", data={**fields, "csrf_token": csrf_of(page.text)}
        ).status_code
        == 403
    )
    alice = browser("alice")
    assert alice.post("/oncall/overrides", data=fields).status_code == 403
    assert alice.post("/oncall/overrides", data={**fields, "csrf_token": "x"}).status_code == 403
    assert _override_count(session) == 0


def test_no_schedules_yet(browser: Browser, web_users, session: Session):
    page = browser("alice").get("/oncall")
    assert page.status_code == 200
    assert "No schedules yet" in page.text
    assert 'action="/oncall/overrides"' not in page.text
    assert session.scalar(select(func.count()).select_from(User)) == 3
