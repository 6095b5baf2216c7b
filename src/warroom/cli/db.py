"""``warroom db``: apply and inspect schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from warroom.cli.state import state_of
from warroom.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
console = Console(highlight=False)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply all pending migrations."""
    state = state_of(ctx)
    before = current_revision(state.engine)
    upgrade(state.engine)
    after = current_revision(state.engine)
    if before == after:
        console.print(f"database already at {after}")
    else:
        console.print(f"database upgraded from {before or 'empty'} to {after}")


@app.command("current")
def current_command(ctx: typer.Context) -> None:
    """Show the database's schema revision and whether it is up to date."""
    state = state_of(ctx)
    current = current_revision(state.engine)
    head = head_revision()
    if current == head:
        console.print(f"{current} (up to date)")
    elif current is None:
        console.print(f"not migrated (latest is {head}); run `warroom db upgrade`")
        raise typer.Exit(1)
    else:
        console.print(f"{current} (latest is {head}); run `warroom db upgrade`")
        raise typer.Exit(1)
