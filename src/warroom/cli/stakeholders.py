"""``warroom stakeholders``: show the stakeholder matrix or replace it from a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from warroom.cli.render import console, print_json, table
from warroom.cli.state import state_of
from warroom.errors import ValidationFailed
from warroom.escalation import stakeholders
from warroom.escalation.schemas import MatrixIn, MatrixOut, matrix_view

app = typer.Typer(help="The stakeholder matrix: who is informed, and when.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def _print(view: MatrixOut, as_json: bool) -> None:
    if as_json:
        print_json(view)
        return
    if not view.rules:
        console.print("the stakeholder matrix is empty")
        return
    table(
        None,
        ["severity", "after", "notify"],
        [
            [r.severity, r.after, ", ".join(f"{k}:{v}" for t in r.notify for k, v in t.items())]
            for r in view.rules
        ],
    )


def _read(path: Path) -> MatrixIn:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed.for_field("file", f"cannot read {path} as JSON: {exc}") from None
    try:
        return MatrixIn.model_validate(
            {"rules": document} if isinstance(document, list) else document
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed.for_field(where, first["msg"]) from None


@app.command("show")
def show(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Show the matrix in the order it was given."""
    state = state_of(ctx)
    with state.session() as session:
        view = matrix_view(stakeholders.list_rules(session))
    _print(view, as_json)


@app.command("set")
def set_matrix(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help='JSON: {"rules": [...]} or a list of rules')],
    as_json: JsonFlag = False,
) -> None:
    """Replace the whole matrix with the rules in FILE."""
    state = state_of(ctx)
    body = _read(file)
    with state.session() as session:
        view = matrix_view(
            stakeholders.replace_matrix(
                session,
                change=state.change(session),
                scheme=state.settings.severity_scheme,
                rules=[rule.spec() for rule in body.rules],
            )
        )
    _print(view, as_json)
