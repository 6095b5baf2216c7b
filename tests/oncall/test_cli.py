"""``warroom oncall`` who, shifts and override through ``main(argv)``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.oncall.conftest import MakeSchedule, layer
from warroom.cli import main
from warroom.clock import SystemClock
from warroom.oncall import service


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture
def cli(database_url, make_schedule: MakeSchedule, monkeypatch) -> None:
    """Two schedules in the test database, the CLI pointed at it and its clock fixed."""
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2025, 11, 5, 12, tzinfo=UTC))
    make_schedule("ops", "UTC", [layer("primary", "weekly", "2025-11-03T09:00", "alice", "bob")])
    make_schedule("db", "UTC", [layer("primary", "daily", "2025-11-06T09:00", "carol")])


def test_who_lists_every_schedule_now(cli, capsys):
    code, out, err = run(capsys, "oncall", "who", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "schedule": "db",
            "at": "2025-11-05T12:00:00Z",
            "users": [],
            "until": "2025-11-06T09:00:00Z",
            "next": {
                "user": "carol",
                "start": "2025-11-06T09:00:00Z",
                "end": "2026-02-06T12:00:00Z",  # clipped to the 93-day look-ahead
                "source": "primary",
            },
        },
        {
            "schedule": "ops",
            "at": "2025-11-05T12:00:00Z",
            "users": ["alice"],
            "until": "2025-11-10T09:00:00Z",
            "next": {
                "user": "bob",
                "start": "2025-11-10T09:00:00Z",
                "end": "2025-11-17T09:00:00Z",
                "source": "primary",
            },
        },
    ]
    code, out, _ = run(capsys, "oncall", "who")
    assert code == 0
    assert "nobody" in out
    assert "alice" in out
    assert "bob 2025-11-10 09:00:00Z - 2025-11-17 09:00:00Z" in out


def test_who_for_one_schedule_at_a_time(cli, capsys):
    code, out, _ = run(
        capsys, "oncall", "who", "--schedule", "ops", "--at", "2025-11-11T00:00+01:00", "--json"
    )
    assert code == 0
    assert [(v["schedule"], v["users"]) for v in json.loads(out)] == [("ops", ["bob"])]


def test_shifts_and_override(cli, capsys, session: Session):
    code, out, err = run(
        capsys,
        "oncall",
        "override",
        "--schedule",
        "ops",
        "--user",
        "dave",
        "--start",
        "2025-11-06T10:00:00+01:00",
        "--end",
        "2025-11-06T12:00:00Z",
    )
    assert (code, err) == (0, "")
    assert "dave on call for ops from 2025-11-06 09:00:00Z to 2025-11-06 12:00:00Z" in out
    code, out, _ = run(
        capsys,
        "oncall",
        "shifts",
        "--schedule",
        "ops",
        "--from",
        "2025-11-06T00:00Z",
        "--to",
        "2025-11-07T00:00Z",
        "--json",
    )
    assert code == 0
    assert [(s["user"], s["start"], s["end"], s["source"]) for s in json.loads(out)] == [
        ("alice", "2025-11-06T00:00:00Z", "2025-11-06T09:00:00Z", "primary"),
        ("dave", "2025-11-06T09:00:00Z", "2025-11-06T12:00:00Z", "override"),
        ("alice", "2025-11-06T12:00:00Z", "2025-11-07T00:00:00Z", "primary"),
    ]
    schedule = service.get_schedule(session, "ops")
    assert [o.user.handle for o in service.list_overrides(session, schedule=schedule)] == ["dave"]
    code, out, _ = run(capsys, "oncall", "shifts", "--schedule", "ops")
    assert code == 0
    assert "2025-11-05 12:00:00Z" in out
    assert "2025-11-19 12:00:00Z" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["who", "--schedule", "nope"], "no schedule called 'nope'"),
        (["who", "--at", "2025-11-05T12:00"], "has no offset"),
        (["shifts", "--schedule", "ops", "--from", "soon"], "is not a time"),
        (
            [
                "shifts",
                "--schedule",
                "ops",
                "--from",
                "2025-11-01T00:00Z",
                "--to",
                "2026-03-01T00:00Z",
            ],
            "at most 93 days",
        ),
        (
            [
                "override",
                "--schedule",
                "ops",
                "--user",
                "zed",
                "--start",
                "2025-11-06T10:00Z",
                "--end",
                "2025-11-06T12:00Z",
            ],
            "no user with handle 'zed'",
        ),
        (
            [
                "override",
                "--schedule",
                "ops",
                "--user",
                "dave",
                "--start",
                "2025-11-06T10:00Z",
                "--end",
                "2025-11-06T09:00Z",
            ],
            "end: must be after start",
        ),
    ],
)
def test_errors_are_one_line_and_exit_1(cli, capsys, session: Session, argv, fragment):
    code, out, err = run(capsys, "oncall", *argv)
    assert code == 1
    line = err.strip()
    assert "\n" not in line
    assert line.startswith("error: ")
    assert fragment in line
    assert "Traceback" not in err + out
    schedule = service.get_schedule(session, "ops")
    assert service.list_overrides(session, schedule=schedule) == []
