"""``warroom service``: register services and list them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from warroom.cli.render import console, print_json, table
from warroom.cli.state import state_of
from warroom.escalation.schemas import service_view
from warroom.services import service

app = typer.Typer(help="Services and the escalation policy each pages by.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="as incidents name it in --service")],
    description: Annotated[str, typer.Option(help="what the service is")] = "",
    escalation_policy: Annotated[
        str | None, typer.Option("--escalation-policy", help="policy its incidents page by")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a service."""
    state = state_of(ctx)
    with state.session() as session:
        view = service_view(
            service.create_service(
                session,
                change=state.change(session),
                name=name,
                description=description,
                escalation_policy=escalation_policy,
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
        ["name", "escalation policy", "description"],
        [[v.name, v.escalation_policy or "-", v.description] for v in views],
    )
