"""``warroom report``: tables on the terminal, CSV files on request, clear errors."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.analytics.conftest import END, NOW, START, DataSet
from warroom.cli import app
from warroom.clock import SystemClock

TABLES = [
    "incidents_by_severity",
    "incidents_by_service",
    "incidents_by_week",
    "time_to_acknowledge",
    "time_to_resolve",
    "ack_sla",
    "resolve_sla",
    "oncall_load",
    "noisy_alerts",
]


@pytest.fixture
def report(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``warroom report ARGS`` against the test database with CliRunner."""
    for name in list(os.environ):
        if name.startswith("WARROOM_"):
            monkeypatch.delenv(name)
    env = {"WARROOM_DATABASE_URL": database_url, "COLUMNS": "200"}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["report", *args], env=env)

    return invoke


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_prints_every_table(report, dataset: DataSet):
    result = report("--from", START, "--to", END)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Incidents detected from 2026-11-04 00:00:00Z to 2026-11-18 12:00:00Z" in out
    for title in (
        "Incidents by severity (9 in all)",
        "Incidents by ISO week",
        "Time to acknowledge",
        "Time to resolve",
        "Acknowledge SLA",
        "Resolve SLA",
        "On-call load",
        "Noisiest alerts",
    ):
        assert title in out
    assert "2026-W46" in out
    assert "(none)" in out  # incident F has no service
    assert "66.67" in out
    assert "33.33" in out
    # MTTR overall: mean 26640 s = 7h24m, p90 93600 s = 1d2h.
    assert "7h24m" in out
    assert "1d2h" in out
    assert "HighErrorRate" in out


def test_csv_into_a_directory_writes_one_file_per_table(report, dataset: DataSet, tmp_path):
    target = tmp_path / "out"
    result = report("--from", START, "--to", END, "--csv", str(target))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    assert read_csv(target / "incidents_by_week.csv") == [
        ["week", "incidents"],
        ["2026-W45", "4"],
        ["2026-W46", "0"],
        ["2026-W47", "5"],
    ]
    resolve = read_csv(target / "time_to_resolve.csv")
    assert resolve[0] == [
        "severity",
        "count",
        "mean_seconds",
        "p50_seconds",
        "p90_seconds",
        "unresolved",
    ]
    assert resolve[1] == ["all", "5", "26640.0", "10800.0", "93600.0", "4"]
    assert resolve[-1] == ["P4", "0", "", "", "", "2"]  # nothing resolved: empty cells
    oncall = read_csv(target / "oncall_load.csv")
    assert oncall[1] == ["alice", "Alice", "UTC", "4", "2"]


def test_csv_into_one_file_is_a_long_table(report, dataset: DataSet, tmp_path):
    target = tmp_path / "report.csv"
    result = report("--from", START, "--to", END, "--csv", str(target))
    assert result.exit_code == 0, result.output
    rows = read_csv(target)
    assert rows[0] == ["table", "key", "metric", "value"]
    assert ["ack_sla", "P2", "breached", "2"] in rows
    assert ["noisy_alerts", "prom/HighErrorRate", "occurrences", "16"] in rows
    assert {row[0] for row in rows[1:]} == set(TABLES)
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]  # no temporary file left


def test_filters(report, dataset: DataSet):
    result = report("--from", START, "--to", END, "--service", "checkout", "--severity", "sev1")
    assert result.exit_code == 0, result.output
    assert "(service checkout, severity P1)" in result.output
    assert "Incidents by severity (3 in all)" in result.output


def test_defaults_to_the_last_thirty_days(report, dataset: DataSet, monkeypatch):
    monkeypatch.setattr(SystemClock, "now", lambda self: NOW)
    result = report()
    assert result.exit_code == 0, result.output
    assert "from 2026-10-20 10:00:00Z to 2026-11-19 10:00:00Z" in result.output
    assert "Incidents by severity (11 in all)" in result.output


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (["--from", "last week"], "--from", "ISO-8601"),
        (["--to", "2026-02-30"], "--to", "ISO-8601"),
        (["--from", "2026-11-05", "--to", "2026-11-01"], "--from", "must be before to"),
        (["--from", "2024-01-01", "--to", "2026-01-01"], "--to", "366 days"),
        (["--severity", "urgent"], "--severity", "unknown severity 'urgent'"),
    ],
)
def test_bad_options_are_usage_errors_without_a_traceback(
    report, engine, args, option, words, tmp_path
):
    target = tmp_path / "out"
    result = report(*args, "--csv", str(target))
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert not target.exists()


def test_an_unwritable_csv_target_is_a_clear_error(report, dataset: DataSet, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    result = report("--from", START, "--to", END, "--csv", str(blocker / "sub"))
    assert result.exit_code == 2
    assert "Invalid value for '--csv'" in result.output
    assert "cannot write" in result.output
    assert "Traceback" not in result.output
