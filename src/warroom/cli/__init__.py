"""The ``warroom`` command: serve, engine, db, incident, service, integration, alert, ..."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from warroom.cli import (
    alerts,
    comms,
    configcode,
    db,
    engine,
    incident,
    integrations,
    oncall,
    postmortem,
    report,
    runbooks,
    serve,
    services,
    severity,
    stakeholders,
    statuspage,
    users,
)
from warroom.cli.state import CliState
from warroom.errors import WarroomError

app = typer.Typer(
    name="warroom",
    help="Incident response: declare, page, escalate, communicate, resolve, learn.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(incident.app, name="incident")
incident.app.command("update")(comms.update)
incident.app.command("updates")(comms.updates)
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")
app.add_typer(severity.app, name="severity")
app.add_typer(runbooks.app, name="runbooks")
app.add_typer(oncall.app, name="oncall")
app.add_typer(services.app, name="service")
app.add_typer(stakeholders.app, name="stakeholders")
app.add_typer(integrations.app, name="integration")
app.add_typer(alerts.alert_app, name="alert")
app.add_typer(alerts.silence_app, name="silence")
app.add_typer(alerts.maintenance_app, name="maintenance")
app.add_typer(postmortem.postmortem_app, name="postmortem")
app.add_typer(postmortem.action_app, name="action-item")
app.add_typer(statuspage.app, name="status-page")
app.command("serve")(serve.serve)
app.command("engine")(engine.engine)
app.command("apply")(configcode.apply_file)
app.command("export")(configcode.export_file)
app.command("report")(report.report)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="WARROOM_CONFIG", help="TOML config file"),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", envvar="WARROOM_AS", help="act as this user (handle) in the log"),
    ] = None,
) -> None:
    """Settings come from WARROOM_* variables and the optional --config file."""
    ctx.obj = CliState(config_file=config, as_handle=as_user)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every error becomes one line on stderr and a non-zero exit."""
    # One line per error, whatever the terminal width; details are shown literally (not markup).
    err = Console(stderr=True, highlight=False, soft_wrap=True)

    def fail(message: str) -> None:
        err.print(Text.assemble(("error:", "bold red"), " ", message))

    try:
        result = app(args=argv, prog_name="warroom", standalone_mode=False)
    except WarroomError as exc:
        fail(exc.detail)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:
        # Newer typer vendors click, so its usage errors are not click.ClickException.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            fail(exc.format_message())
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort):
        err.print("aborted")
        sys.exit(1)
    except SQLAlchemyError as exc:
        first_line = str(exc).strip().splitlines()[0]
        fail(f"database error: {first_line}")
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("WARROOM_DEBUG"):
            raise
        fail(f"{type(exc).__name__}: {exc} (set WARROOM_DEBUG=1 for details)")
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
