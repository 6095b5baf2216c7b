"""``warroom apply`` and ``warroom export``: configuration as code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from warroom.cli.render import console
from warroom.cli.state import state_of
from warroom.configcode.apply import apply
from warroom.configcode.export import export
from warroom.configcode.yamlreader import DocumentInvalid
from warroom.errors import ConfigError


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from None


def apply_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="YAML file", dir_okay=False)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what would change; write nothing")
    ] = False,
) -> None:
    """Create or update users, schedules, policies, services, integrations and status page."""
    state = state_of(ctx)
    text = _read(file)
    with state.session() as session:
        try:
            plan = apply(
                session,
                change=state.change(session),
                scheme=state.settings.severity_scheme,
                document=text,
                dry_run=dry_run,
                guard=state.settings.egress_guard,
            )
        except DocumentInvalid as exc:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            for error in exc.placed:
                err.print(Text.assemble(("error:", "bold red"), f" {file}:{error.render()}"))
            raise typer.Exit(1) from None
    for line in plan.lines():
        console.print(Text(line))
    if dry_run:
        console.print("dry run: nothing was written")


def export_file(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here instead of stdout")
    ] = None,
    include_secrets: Annotated[
        bool,
        typer.Option(
            "--include-secrets",
            help="write contact-method addresses unmasked and webhook secrets (keep it safe)",
        ),
    ] = False,
) -> None:
    """Write the current users, schedules, policies, services, integrations and status page."""
    state = state_of(ctx)
    with state.session() as session:
        text = export(session, include_secrets=include_secrets)
    if output is None:
        print(text, end="")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from None
    console.print(Text(f"wrote {output}"))
