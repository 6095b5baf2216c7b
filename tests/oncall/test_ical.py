"""The iCalendar feeds parse back with the right events; ``?token=`` works for calendar apps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from tests.oncall.test_api import PAYMENTS, SCHEDULES

WINDOW = {"from": "2025-11-03T00:00:00Z", "to": "2025-11-04T00:00:00Z"}


def events(body: bytes) -> list[tuple[str, datetime, datetime, str]]:
    calendar = Calendar.from_ical(body)
    return [
        (
            str(e["SUMMARY"]),
            e.decoded("DTSTART"),
            e.decoded("DTEND"),
            str(e["UID"]),
        )
        for e in calendar.walk("VEVENT")
    ]


@pytest.fixture
def schedules(client, admin, people) -> None:
    assert client.post(SCHEDULES, json=PAYMENTS, headers=admin).status_code == 201
    other = {
        "name": "db-secondary",
        "time_zone": "UTC",
        "layers": [
            {"name": "main", "kind": "daily", "handoff": "2025-11-03T20:00", "users": ["alice"]}
        ],
    }
    assert client.post(SCHEDULES, json=other, headers=admin).status_code == 201


def test_schedule_feed_has_one_event_per_shift_in_utc(client, issue_token, schedules):
    viewer = issue_token("viewer")
    response = client.get(f"{SCHEDULES}/payments-primary/shifts.ics", params=WINDOW, headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert b"DTSTART:20251103T080000Z" in response.content
    found = events(response.content)
    assert found == [
        (
            "On call: payments-primary",
            datetime(2025, 11, 3, 0, 0, tzinfo=UTC),
            datetime(2025, 11, 3, 8, 0, tzinfo=UTC),
            "payments-primary.weekly.alice.20251103T000000Z@warroom",
        ),
        (
            "On call: payments-primary",
            datetime(2025, 11, 3, 8, 0, tzinfo=UTC),
            datetime(2025, 11, 3, 16, 0, tzinfo=UTC),
            "payments-primary.business.carol.20251103T080000Z@warroom",
        ),
        (
            "On call: payments-primary",
            datetime(2025, 11, 3, 16, 0, tzinfo=UTC),
            datetime(2025, 11, 4, 0, 0, tzinfo=UTC),
            "payments-primary.weekly.bob.20251103T160000Z@warroom",
        ),
    ]
    again = client.get(f"{SCHEDULES}/payments-primary/shifts.ics", params=WINDOW, headers=viewer)
    assert [e[3] for e in events(again.content)] == [e[3] for e in found]


def test_default_feed_covers_the_next_60_days(client, issue_token, schedules):
    response = client.get(f"{SCHEDULES}/db-secondary/shifts.ics", headers=issue_token("viewer"))
    found = events(response.content)
    # One merged shift for alice from the first hand-off to 60 days after now (2025-11-01 09:00Z).
    assert [(e[1], e[2]) for e in found] == [
        (datetime(2025, 11, 3, 20, 0, tzinfo=UTC), datetime(2025, 12, 31, 9, 0, tzinfo=UTC))
    ]


def test_user_feed_collects_shifts_from_every_schedule(client, issue_token, schedules):
    response = client.get(
        "/api/v1/users/alice/shifts.ics", params=WINDOW, headers=issue_token("viewer")
    )
    assert response.status_code == 200
    found = events(response.content)
    assert [(e[0], e[1].hour, e[2].hour) for e in found] == [
        ("On call: payments-primary", 0, 8),
        ("On call: db-secondary", 20, 0),
    ]
    missing = client.get("/api/v1/users/zed/shifts.ics", headers=issue_token("viewer"))
    assert missing.status_code == 404


def test_token_in_the_query_works_and_a_bad_one_is_401(client, issue_token, schedules):
    token = issue_token("viewer")["Authorization"].removeprefix("Bearer ")
    url = f"{SCHEDULES}/payments-primary/shifts.ics"
    ok = client.get(url, params={**WINDOW, "token": token})
    assert ok.status_code == 200
    assert len(events(ok.content)) == 3
    assert client.get("/api/v1/users/bob/shifts.ics", params={"token": token}).status_code == 200
    for bad in ("wr_not-a-token", ""):
        refused = client.get(url, params={"token": bad})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.get(url).status_code == 401
    # Only the feeds take a token in the URL.
    assert client.get(f"{SCHEDULES}/payments-primary", params={"token": token}).status_code == 401


def test_feed_window_is_capped(client, issue_token, schedules):
    response = client.get(
        f"{SCHEDULES}/payments-primary/shifts.ics",
        params={"from": "2025-11-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
        headers=issue_token("viewer"),
    )
    assert response.status_code == 422
    assert "93 days" in response.json()["detail"]
