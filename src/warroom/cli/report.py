"""``warroom report``: the analytics figures as tables, or as CSV files."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from warroom.analytics import service
from warroom.analytics.schemas import (
    AnalyticsReport,
    DurationStats,
    SlaCompliance,
)
from warroom.cli.render import console, table, when
from warroom.cli.state import state_of
from warroom.durations import format_duration
from warroom.errors import ValidationFailed

Cell = str | int | float | None
OPTION_OF_FIELD = {"from": "--from", "to": "--to", "severity": "--severity"}
LONG_COLUMNS = ("table", "key", "metric", "value")


@dataclass(frozen=True)
class ReportTable:
    """One table of the report: shown with rich, written as CSV with raw numbers."""

    name: str
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    durations: frozenset[int] = field(default_factory=frozenset)
    key_columns: int = 1


def _duration_row(label: str, figures: DurationStats, missing: int) -> list[Cell]:
    return [
        label,
        figures.count,
        figures.mean_seconds,
        figures.p50_seconds,
        figures.p90_seconds,
        missing,
    ]


def _sla_rows(rows: Sequence[SlaCompliance]) -> list[list[Cell]]:
    return [
        [r.severity, r.target_seconds, r.met, r.breached, r.not_yet_due, r.compliance_pct]
        for r in rows
    ]


def report_tables(report: AnalyticsReport) -> list[ReportTable]:
    """The report's figures as tables, in the order they are shown."""
    counts, mtta, mttr = report.incidents, report.mtta, report.mttr
    timing = ["severity", "count", "mean_seconds", "p50_seconds", "p90_seconds"]
    sla = ["severity", "target_seconds", "met", "breached", "not_yet_due", "compliance_pct"]
    return [
        ReportTable(
            "incidents_by_severity",
            f"Incidents by severity ({counts.total} in all)",
            ["severity", "incidents"],
            [[c.severity, c.count] for c in counts.by_severity],
        ),
        ReportTable(
            "incidents_by_service",
            "Incidents by service",
            ["service", "incidents"],
            [[c.service or "(none)", c.count] for c in counts.by_service],
        ),
        ReportTable(
            "incidents_by_week",
            "Incidents by ISO week",
            ["week", "incidents"],
            [[c.week, c.count] for c in counts.by_week],
        ),
        ReportTable(
            "time_to_acknowledge",
            "Time to acknowledge (nearest-rank percentiles)",
            [*timing, "unacknowledged"],
            [_duration_row("all", mtta.overall, mtta.overall.unacknowledged)]
            + [_duration_row(s.severity, s, s.unacknowledged) for s in mtta.by_severity],
            durations=frozenset({2, 3, 4}),
        ),
        ReportTable(
            "time_to_resolve",
            "Time to resolve (nearest-rank percentiles)",
            [*timing, "unresolved"],
            [_duration_row("all", mttr.overall, mttr.overall.unresolved)]
            + [_duration_row(s.severity, s, s.unresolved) for s in mttr.by_severity],
            durations=frozenset({2, 3, 4}),
        ),
        ReportTable(
            "ack_sla",
            "Acknowledge SLA",
            sla,
            _sla_rows(report.sla.ack),
            durations=frozenset({1}),
        ),
        ReportTable(
            "resolve_sla",
            "Resolve SLA",
            sla,
            _sla_rows(report.sla.resolve),
            durations=frozenset({1}),
        ),
        ReportTable(
            "oncall_load",
            "On-call load (out of hours: outside 09:00-18:00 Mon-Fri, local time)",
            ["user", "name", "time_zone", "pages", "out_of_hours_pages"],
            [[o.user, o.name, o.time_zone, o.pages, o.out_of_hours_pages] for o in report.oncall],
        ),
        ReportTable(
            "noisy_alerts",
            "Noisiest alerts",
            ["integration", "alert", "occurrences", "alerts", "incidents"],
            [
                [n.integration, n.alert, n.occurrences, n.alerts, n.incidents]
                for n in report.noisy_alerts
            ],
            key_columns=2,
        ),
    ]


def _shown(value: Cell, is_duration: bool) -> str:
    if value is None:
        return "-"
    if is_duration and isinstance(value, int | float):
        return format_duration(timedelta(seconds=value))
    return str(value)


def _csv_text(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return buffer.getvalue()


def _long_rows(tables: Sequence[ReportTable]) -> list[list[Cell]]:
    """Every cell of every table as (table, key, metric, value), for a single CSV file."""
    rows: list[list[Cell]] = []
    for t in tables:
        for row in t.rows:
            key = "/".join(str(cell) for cell in row[: t.key_columns])
            for column, value in zip(t.columns[t.key_columns :], row[t.key_columns :], strict=True):
                rows.append([t.name, key, column, value])
    return rows


def _write_all(files: Sequence[tuple[Path, str]]) -> None:
    """Write every file to a temporary sibling first, then move them all into place."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            handle, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            staged.append((temporary, path))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
        for temporary, path in staged:
            os.replace(temporary, path)
    except BaseException:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(tables: Sequence[ReportTable], target: Path) -> list[Path]:
    """A directory gets one ``NAME.csv`` per table; a ``*.csv`` path gets one long table."""
    if not target.is_dir() and target.suffix.lower() == ".csv":
        files = [(target, _csv_text(LONG_COLUMNS, _long_rows(tables)))]
    else:
        target.mkdir(parents=True, exist_ok=True)
        files = [(target / f"{t.name}.csv", _csv_text(t.columns, t.rows)) for t in tables]
    _write_all(files)
    return [path for path, _ in files]


def report(
    ctx: typer.Context,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="ISO-8601 date or date-time (UTC if no offset); default: --to minus 30 days",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="exclusive end, ISO-8601 date or date-time; default: now"),
    ] = None,
    service_name: Annotated[
        str | None, typer.Option("--service", help="only incidents of this service")
    ] = None,
    severity: Annotated[
        str | None, typer.Option("--severity", help="only incidents of this level (id or alias)")
    ] = None,
    csv_target: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="write CSV instead: a directory gets one file per table, FILE.csv one long table",
        ),
    ] = None,
) -> None:
    """Incident counts, MTTA/MTTR, SLA compliance, on-call load and noisy alerts."""
    state = state_of(ctx)
    scheme = state.settings.severity_scheme
    now = state.clock.now()
    try:
        query = service.parse_query(
            scheme=scheme, now=now, start=start, end=end, service=service_name, severity=severity
        )
    except ValidationFailed as exc:
        failed = exc.errors[0]
        raise typer.BadParameter(
            failed.message, param_hint=f"'{OPTION_OF_FIELD[failed.field]}'"
        ) from None
    with state.session() as session:
        figures = service.build_report(session, scheme=scheme, query=query, now=now)
    tables = report_tables(figures)
    if csv_target is not None:
        try:
            written = write_csv(tables, csv_target)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise typer.BadParameter(
                f"cannot write {csv_target}: {reason}", param_hint="'--csv'"
            ) from None
        for path in written:
            console.print(Text(f"wrote {path}"))
        return
    scope = ", ".join(
        f"{name} {value}"
        for name, value in (("service", query.service), ("severity", query.severity))
        if value
    )
    console.print(
        Text(
            f"Incidents detected from {when(query.start)} to {when(query.end)}"
            + (f" ({scope})" if scope else "")
        )
    )
    for t in tables:
        table(
            t.title,
            [
                c.removesuffix("_seconds") if i in t.durations else c
                for i, c in enumerate(t.columns)
            ],
            [[_shown(cell, i in t.durations) for i, cell in enumerate(row)] for row in t.rows],
        )
