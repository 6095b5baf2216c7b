"""``warroom service``: register services and list them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.markup import escape

from warroom.cli.render import console, print_json, table
from warroom.cli.state import state_of
from warroom.durations import format_duration, parse_duration
from warroom.errors import ValidationFailed
from warroom.escalation.schemas import ServiceOut, service_view
from warroom.services import service

app = typer.Typer(help="Services and the escalation policy each pages by.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def grouping_rule(
    group_by: list[str] | None, mode: str | None, window: str | None
) -> dict[str, object] | None:
    """The grouping rule the options give; None (the default rule) when none is given."""
    rule: dict[str, object] = {}
    if mode is not None:
        rule["mode"] = mode
    if group_by:
        rule["labels"] = group_by
    if window is not None:
        try:
            rule["window_seconds"] = int(parse_duration(window).total_seconds())
        except ValueError as exc:
            raise ValidationFailed.for_field("group-window", str(exc)) from None
    return rule or None


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="as incidents name it in --service")],
    description: Annotated[str, typer.Option(help="what the service is")] = "",
    escalation_policy: Annotated[
        str | None, typer.Option("--escalation-policy", help="policy its incidents page by")
    ] = None,
    group_by: Annotated[
        list[str] | None,
        typer.Option("--group-by", help="alerts with the same value of this label group (repeat)"),
    ] = None,
    grouping_mode: Annotated[
        str | None, typer.Option("--grouping-mode", help="content (default), time or none")
    ] = None,
    group_window: Annotated[
        str | None, typer.Option("--group-window", help="e.g. 30m (the default)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a service, optionally with how its alerts group into incidents."""
    state = state_of(ctx)
    with state.session() as session:
        view = service_view(
            service.create_service(
                session,
                change=state.change(session),
                name=name,
                description=description,
                escalation_policy=escalation_policy,
                grouping=grouping_rule(group_by, grouping_mode, group_window),
            )
        )
    if as_json:
        print_json(view)
        return
    policy = view.escalation_policy or "no escalation policy"
    console.print(escape(f"service {view.name} created ({policy})"))


@app.command("list")
def list_command(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List services by name."""
    state = state_of(ctx)
    with state.session() as session:
        views = [service_view(s) for s in service.list_services(session)]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("no services")
        return
    table(
        None,
        ["name", "escalation policy", "grouping", "description"],
        [[v.name, v.escalation_policy or "-", _grouping_text(v), v.description] for v in views],
    )


def _grouping_text(view: ServiceOut) -> str:
    rule = view.grouping
    if rule.mode == "none":
        return "none"
    window = format_duration(timedelta(seconds=rule.window_seconds))
    if rule.mode == "time":
        return f"time within {window}"
    return f"{', '.join(rule.labels)} within {window}"
