"""``warroom alert``, ``warroom silence`` and ``warroom maintenance``."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from warroom.alerts import service as alerts
from warroom.alerts.schemas import (
    AlertOut,
    SuppressionOut,
    alert_detail,
    alert_view,
    suppression_view,
)
from warroom.cli.oncall import parse_time
from warroom.cli.render import console, print_json, severity, table, when
from warroom.cli.state import state_of
from warroom.durations import parse_duration
from warroom.errors import ValidationFailed

alert_app = typer.Typer(help="Alerts the integrations sent.", no_args_is_help=True)
silence_app = typer.Typer(
    help="Silences: alerts matching labels open no incident for a while.", no_args_is_help=True
)
maintenance_app = typer.Typer(
    help="Maintenance windows: a service's alerts open no incident.", no_args_is_help=True
)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
ActiveFlag = Annotated[bool, typer.Option("--active", help="only those in force now")]
_MATCHER = re.compile(r"^\s*([^=!~\s]+)\s*(=~|!~|!=|=)(.*)$")


def parse_matcher(text: str) -> dict[str, str]:
    """``name=value``, ``name!=value``, ``name=~regex`` or ``name!~regex`` as a matcher."""
    found = _MATCHER.match(text)
    if found is None:
        raise ValidationFailed.for_field(
            "match", f"{text!r} is not name=value, name!=value, name=~regex or name!~regex"
        )
    return {"name": found.group(1), "op": found.group(2), "value": found.group(3)}


@alert_app.command("list")
def list_alerts(
    ctx: typer.Context,
    integration: Annotated[str | None, typer.Option(help="integration name")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="firing, acknowledged or resolved (repeat)")
    ] = None,
    service: Annotated[str | None, typer.Option(help="the integration's service")] = None,
    incident: Annotated[str | None, typer.Option(help="incident ref")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List alerts, newest first."""
    state = state_of(ctx)
    with state.session() as session:
        rows = alerts.list_alerts(
            session,
            integration=integration,
            statuses=[alerts.parse_alert_status(s) for s in status or []],
            service=service,
            incident=incident,
            limit=limit,
        )
        refs = alerts.incident_refs(session, rows)
        views = [alert_view(a, refs.get(a.incident_id or 0)) for a in rows]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("no alerts")
        return
    table(
        None,
        ["id", "sev", "status", "integration", "title", "count", "last", "incident"],
        [_alert_row(v) for v in views],
    )


def _alert_row(view: AlertOut) -> list[str | Text]:
    return [
        str(view.id),
        severity(view.severity),
        view.status + (" (suppressed)" if view.suppressed_by else ""),
        view.integration,
        view.title,
        str(view.event_count),
        when(view.last_event_at),
        view.incident_ref or "-",
    ]


@alert_app.command("show")
def show_alert(ctx: typer.Context, alert_id: Annotated[int, typer.Argument(help="id")]) -> None:
    """Print one alert as JSON, with the sender's last body."""
    state = state_of(ctx)
    with state.session() as session:
        alert = alerts.get_alert(session, alert_id)
        view = alert_detail(
            alert, alerts.incident_refs(session, [alert]).get(alert.incident_id or 0)
        )
    print_json(view)


def _print_suppressions(views: list[SuppressionOut], as_json: bool, empty: str) -> None:
    if as_json:
        print_json(views)
        return
    if not views:
        console.print(empty)
        return
    table(
        None,
        ["id", "service", "matchers", "starts", "ends", "by", "comment"],
        [
            [
                str(v.id),
                v.service or "-",
                ", ".join(f"{m['name']}{m['op']}{m['value']}" for m in v.matchers) or "-",
                when(v.starts_at),
                when(v.ends_at),
                v.created_by,
                v.comment,
            ]
            for v in views
        ],
    )


@silence_app.command("create")
def create_silence(
    ctx: typer.Context,
    match: Annotated[
        list[str], typer.Option("--match", help="name=value, name!=v, name=~re, name!~re (repeat)")
    ],
    comment: Annotated[str, typer.Option(help="why the alerts are silenced")],
    service: Annotated[str | None, typer.Option(help="only this service's alerts")] = None,
    duration: Annotated[str | None, typer.Option(help="e.g. 2h")] = None,
    until: Annotated[str | None, typer.Option(help="end time, e.g. 2025-11-03T18:00Z")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Silence alerts whose labels match every --match; give --duration or --until."""
    if (duration is None) == (until is None):
        raise ValidationFailed.for_field("duration", "give exactly one of --duration or --until")
    state = state_of(ctx)
    with state.session() as session:
        change = state.change(session)
        if until is not None:
            ends_at = parse_time(until, "until")
        else:
            try:
                ends_at = change.now() + parse_duration(duration or "")
            except ValueError as exc:
                raise ValidationFailed.for_field("duration", str(exc)) from None
        silence = alerts.create_silence(
            session,
            change=change,
            matchers=[parse_matcher(m) for m in match],
            service=service,
            ends_at=ends_at,
            comment=comment,
            created_by=str(change.actor),
        )
        view = suppression_view(silence)
    if as_json:
        print_json(view)
        return
    console.print(escape(f"silence {view.id} created, until {when(view.ends_at)}"))


@silence_app.command("list")
def list_silences(
    ctx: typer.Context, active: ActiveFlag = False, as_json: JsonFlag = False
) -> None:
    """List silences, newest first."""
    _list_suppressions(ctx, "silence", active, as_json, "no silences")


@silence_app.command("expire")
def expire_silence(
    ctx: typer.Context, silence_id: Annotated[int, typer.Argument(help="id")]
) -> None:
    """End a silence now."""
    _end_suppression(ctx, "silence", silence_id)
    console.print(f"silence {silence_id} expired")


@maintenance_app.command("create")
def create_maintenance(
    ctx: typer.Context,
    service: Annotated[str, typer.Option(help="the service under maintenance")],
    start: Annotated[str, typer.Option(help="e.g. 2025-11-03T09:00+01:00")],
    end: Annotated[str, typer.Option(help="e.g. 2025-11-03T11:00+01:00")],
    description: Annotated[str, typer.Option(help="what is being done")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Schedule a maintenance window for a service."""
    state = state_of(ctx)
    with state.session() as session:
        window = alerts.create_maintenance(
            session,
            change=state.change(session),
            service=service,
            starts_at=parse_time(start, "start"),
            ends_at=parse_time(end, "end"),
            description=description,
        )
        view = suppression_view(window)
    if as_json:
        print_json(view)
        return
    console.print(
        escape(
            f"maintenance window {view.id} for {view.service}: {when(view.starts_at)} - "
            f"{when(view.ends_at)}"
        )
    )


@maintenance_app.command("list")
def list_maintenance(
    ctx: typer.Context, active: ActiveFlag = False, as_json: JsonFlag = False
) -> None:
    """List maintenance windows, newest first."""
    _list_suppressions(ctx, "maintenance", active, as_json, "no maintenance windows")


@maintenance_app.command("end")
def end_maintenance(
    ctx: typer.Context, window_id: Annotated[int, typer.Argument(help="id")]
) -> None:
    """End a maintenance window now."""
    _end_suppression(ctx, "maintenance", window_id)
    console.print(f"maintenance window {window_id} ended")


def _list_suppressions(
    ctx: typer.Context, kind: str, active: bool, as_json: bool, empty: str
) -> None:
    state = state_of(ctx)
    with state.session() as session:
        rows = alerts.list_suppressions(
            session, kind=kind, active_at=state.clock.now() if active else None
        )
        views = [suppression_view(s) for s in rows]
    _print_suppressions(views, as_json, empty)


def _end_suppression(ctx: typer.Context, kind: str, suppression_id: int) -> None:
    state = state_of(ctx)
    with state.session() as session:
        alerts.expire_suppression(
            session, change=state.change(session), suppression_id=suppression_id, kind=kind
        )
