"""``warroom oncall``: who is on call, shifts, and overrides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape

from warroom.cli.render import console, print_json, table, when
from warroom.cli.state import state_of
from warroom.errors import ValidationFailed
from warroom.oncall import service
from warroom.oncall.schemas import OnCallOut, on_call_view, override_view, shift_view

app = typer.Typer(help="On-call: who is on call, shifts, overrides.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
SHIFTS_AHEAD = timedelta(days=14)


def parse_time(text: str, option: str) -> datetime:
    """An ISO-8601 time with an offset, e.g. ``2025-11-03T09:00+01:00`` or ``...Z``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed.for_field(
            option, f"{text!r} is not a time like 2025-11-03T09:00:00+01:00"
        ) from None
    if moment.tzinfo is None:
        raise ValidationFailed.for_field(
            option, f"{text!r} has no offset; add one, e.g. +01:00 or Z"
        )
    return moment


def _next_text(view: OnCallOut) -> str:
    if view.next is None:
        return "-"
    return f"{view.next.user} {when(view.next.start)} - {when(view.next.end)}"


@app.command("who")
def who(
    ctx: typer.Context,
    schedule: Annotated[str | None, typer.Option(help="one schedule; all when omitted")] = None,
    at: Annotated[str | None, typer.Option(help="a time with an offset; default now")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Who is on call now (or --at), until when, and who is next."""
    state = state_of(ctx)
    moment = parse_time(at, "at") if at else state.clock.now()
    with state.session() as session:
        schedules = (
            [service.get_schedule(session, schedule)]
            if schedule
            else service.list_schedules(session)
        )
        views = [
            on_call_view(s, moment, service.on_call(session, schedule=s, at=moment))
            for s in schedules
        ]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("no schedules yet")
        return
    table(
        None,
        ["schedule", "on call", "until", "next"],
        [[v.schedule, ", ".join(v.users) or "nobody", when(v.until), _next_text(v)] for v in views],
    )


@app.command("shifts")
def shifts(
    ctx: typer.Context,
    schedule: Annotated[str, typer.Option(help="schedule name")],
    start: Annotated[
        str | None, typer.Option("--from", help="a time with an offset; default now")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="default 14 days after --from")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A schedule's shifts between --from and --to (at most 93 days)."""
    state = state_of(ctx)
    begins = parse_time(start, "from") if start else state.clock.now()
    ends = parse_time(end, "to") if end else begins + SHIFTS_AHEAD
    with state.session() as session:
        found = service.shifts(
            session, schedule=service.get_schedule(session, schedule), start=begins, end=ends
        )
        views = [shift_view(s) for s in found]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("nobody is on call in that window")
        return
    table(
        None,
        ["start", "end", "user", "source"],
        [[when(v.start), when(v.end), v.user, v.source] for v in views],
    )


@app.command("override")
def override(
    ctx: typer.Context,
    schedule: Annotated[str, typer.Option(help="schedule name")],
    user: Annotated[str, typer.Option(help="handle of who takes over")],
    start: Annotated[str, typer.Option(help="a time with an offset")],
    end: Annotated[str, typer.Option(help="a time with an offset")],
    as_json: JsonFlag = False,
) -> None:
    """Put someone on call instead of the schedule's layers for a while."""
    state = state_of(ctx)
    begins, ends = parse_time(start, "start"), parse_time(end, "end")
    with state.session() as session:
        found = service.get_schedule(session, schedule)
        created = service.add_override(
            session,
            change=state.change(session),
            schedule=found,
            user_handle=user,
            start=begins,
            end=ends,
        )
        view = override_view(found, created)
    if as_json:
        print_json(view)
        return
    console.print(
        escape(
            f"override {view.id}: {view.user} on call for {view.schedule} "
            f"from {when(view.start)} to {when(view.end)}"
        )
    )
