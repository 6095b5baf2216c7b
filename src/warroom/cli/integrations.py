"""``warroom integration``: the senders of alerts, their keys and where they post to."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape

from warroom.alerts import integrations
from warroom.alerts.schemas import IntegrationOut, created_view, integration_view
from warroom.cli.render import console, print_json, table
from warroom.cli.state import state_of
from warroom.errors import ValidationFailed

app = typer.Typer(
    help="Integrations: alert senders, their keys (stored hashed, shown once) and ingest URLs.",
    no_args_is_help=True,
)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
NameArg = Annotated[str, typer.Argument(help="the integration's name")]


def parse_options(pairs: list[str] | None) -> dict[str, Any] | None:
    """``key=value`` pairs as options; a value is JSON when it parses as JSON, else text."""
    if not pairs:
        return None
    options: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed.for_field("option", f"{pair!r} is not key=value")
        try:
            options[name.strip()] = json.loads(text)
        except ValueError:
            options[name.strip()] = text
    return options


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="slug, e.g. prod-alertmanager")],
    source: Annotated[str, typer.Option("--source", help=", ".join(integrations.SOURCES))],
    service: Annotated[str, typer.Option("--service", help="the service its alerts belong to")],
    key: Annotated[
        str | None, typer.Option("--key", help="keep an existing key; generated when omitted")
    ] = None,
    secret: Annotated[
        str | None, typer.Option("--secret", help="grafana HMAC signing secret")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="key=value, e.g. rate_limit_per_minute=600 (repeat)"),
    ] = None,
) -> None:
    """Add an integration and print it as JSON with its key (shown this once)."""
    state = state_of(ctx)
    with state.session() as session:
        created, clear_key = integrations.create_integration(
            session,
            change=state.change(session),
            name=name,
            source=source,
            service=service,
            key=key,
            secret=secret,
            options=parse_options(option),
        )
        view = created_view(created, state.settings.base_url, clear_key)
    print_json(view)


@app.command("list")
def list_command(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List integrations by name (without keys)."""
    state = state_of(ctx)
    with state.session() as session:
        base = state.settings.base_url
        views = [integration_view(i, base) for i in integrations.list_integrations(session)]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("no integrations")
        return
    table(
        None,
        ["name", "source", "service", "enabled", "key", "ingest url"],
        [_row(v) for v in views],
    )


def _row(view: IntegrationOut) -> list[str]:
    enabled = "yes" if view.enabled else "no"
    url = view.ingest_url or "(polled)"
    return [view.name, view.source, view.service, enabled, f"…{view.key_hint}", url]


@app.command("show")
def show(ctx: typer.Context, name: NameArg) -> None:
    """Print one integration as JSON (without its key)."""
    state = state_of(ctx)
    with state.session() as session:
        found = integrations.get_integration(session, name)
        view = integration_view(found, state.settings.base_url)
    print_json(view)


@app.command("rotate-key")
def rotate_key(
    ctx: typer.Context,
    name: NameArg,
    key: Annotated[
        str | None, typer.Option("--key", help="the new key; generated when omitted")
    ] = None,
) -> None:
    """Replace the key; the old one stops working. Prints the integration with the new key."""
    state = state_of(ctx)
    with state.session() as session:
        found = integrations.get_integration(session, name)
        new_key = integrations.rotate_key(
            session, change=state.change(session), integration=found, key=key
        )
        view = created_view(found, state.settings.base_url, new_key)
    print_json(view)


def _set_enabled(ctx: typer.Context, name: str, enabled: bool) -> None:
    state = state_of(ctx)
    with state.session() as session:
        found = integrations.get_integration(session, name)
        integrations.update_integration(
            session, change=state.change(session), integration=found, enabled=enabled
        )
    console.print(escape(f"integration {found.name} {'enabled' if enabled else 'disabled'}"))


@app.command("disable")
def disable(ctx: typer.Context, name: NameArg) -> None:
    """Stop accepting alerts from an integration (its alerts stay)."""
    _set_enabled(ctx, name, False)


@app.command("enable")
def enable(ctx: typer.Context, name: NameArg) -> None:
    """Accept alerts from an integration again."""
    _set_enabled(ctx, name, True)


@app.command("delete")
def delete(ctx: typer.Context, name: NameArg) -> None:
    """Remove an integration that never sent an alert (disable one that did)."""
    state = state_of(ctx)
    with state.session() as session:
        found = integrations.get_integration(session, name)
        integrations.delete_integration(session, change=state.change(session), integration=found)
    console.print(escape(f"integration {found.name} deleted"))
