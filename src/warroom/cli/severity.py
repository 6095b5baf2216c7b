"""``warroom severity``: the scheme and the assessment questions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from warroom.cli.render import console, severity, table
from warroom.cli.state import state_of
from warroom.durations import format_duration

app = typer.Typer(help="Severity levels and assessment.", no_args_is_help=True)


@app.command("list")
def list_levels(ctx: typer.Context) -> None:
    """Show the severity scheme with SLAs and cadences."""
    scheme = state_of(ctx).settings.severity_scheme
    table(
        None,
        ["level", "name", "aliases", "ack", "resolve", "updates", "postmortem"],
        [
            [
                severity(lv.id),
                lv.name,
                ", ".join(lv.aliases),
                format_duration(lv.ack_sla),
                format_duration(lv.resolve_sla),
                format_duration(lv.internal_update_every) if lv.internal_update_every else "-",
                "required" if lv.postmortem_required else "optional",
            ]
            for lv in scheme.levels
        ],
    )


@app.command("assess")
def assess(
    ctx: typer.Context,
    users_affected_pct: Annotated[
        float, typer.Option("--users-affected", min=0, max=100, help="% of users affected")
    ],
    data_loss: Annotated[bool, typer.Option("--data-loss")] = False,
    security: Annotated[bool, typer.Option("--security")] = False,
    workaround: Annotated[bool, typer.Option("--workaround")] = False,
) -> None:
    """Suggest a severity from the impact."""
    result = state_of(ctx).settings.severity_scheme.assess(
        users_affected_pct=users_affected_pct,
        data_loss=data_loss,
        security=security,
        workaround=workaround,
    )
    console.print(
        Text.assemble(severity(result.level.id), f" {result.level.name}: {result.reason}")
    )
