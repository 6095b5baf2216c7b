"""``warroom runbooks``: import Markdown runbooks, inspect them, match alerts."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, TextIO

import typer

from warroom.cli.render import console, print_json, table, when
from warroom.cli.state import state_of
from warroom.errors import ValidationFailed
from warroom.runbooks import apply, library, suggest
from warroom.runbooks.matcher import AlertQuery
from warroom.runbooks.schemas import runbook_view, summary_view

app = typer.Typer(help="Runbooks: import, show, match.", no_args_is_help=True)


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in library.SUFFIXES
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ValidationFailed.for_field("path", f"{path} does not exist")
    return found


@app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="files or directories (.md, .markdown, .txt)")
    ],
) -> None:
    """Import runbooks; importing a changed file again adds a new version."""
    state = state_of(ctx)
    files = _files(paths)
    if not files:
        raise ValidationFailed.for_field("path", "no .md, .markdown or .txt files found")
    rows = []
    with state.session() as session:
        for path in files:
            imported = library.import_runbook(
                session,
                change=state.change(session),
                source=str(path.resolve()),
                raw=path.read_bytes(),
            )
            view = summary_view(imported.runbook)
            rows.append(
                [
                    str(view.id),
                    imported.outcome,
                    f"v{view.version}",
                    str(view.incident_sections),
                    str(path),
                ]
            )
    table(None, ["id", "outcome", "version", "entries", "file"], rows)


@app.command("list")
def list_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List imported runbooks."""
    state = state_of(ctx)
    with state.session() as session:
        views = [summary_view(r) for r in library.list_runbooks(session)]
    if as_json:
        print_json(views)
        return
    table(
        None,
        ["id", "title", "file", "version", "entries", "updated"],
        [
            [
                str(v.id),
                v.title,
                v.file_name,
                str(v.version),
                str(v.incident_sections),
                when(v.updated_at),
            ]
            for v in views
        ],
    )


@app.command("show")
def show(
    ctx: typer.Context,
    runbook_id: Annotated[int, typer.Argument(help="runbook id from `warroom runbooks list`")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a runbook's sections; incident and procedure entries are marked."""
    state = state_of(ctx)
    with state.session() as session:
        view = runbook_view(library.get_runbook(session, runbook_id))
    if as_json:
        print_json(view)
        return
    console.print(f"{view.title}  ({view.file_name}, v{view.version})")
    for section in view.sections:
        marker = {"incident": "  [incident]", "procedure": "  [procedure]"}.get(section.kind, "")
        steps = f"  {len(section.checklist)} steps" if section.checklist else ""
        console.print(
            f"{section.line:>5}  {'  ' * (section.level - 1)}{section.heading}{marker}{steps}",
            markup=False,
        )


@app.command("match")
def match(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="alert or incident title")] = "",
    description: Annotated[str, typer.Option()] = "",
    label: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable")] = None,
    batch: Annotated[
        Path | None,
        typer.Option(help="JSON lines {id, alert: {title, description, labels}}; - for stdin"),
    ] = None,
) -> None:
    """Suggest runbook sections for one alert, or for every line of a batch file."""
    state = state_of(ctx)
    with state.session() as session:
        matcher = suggest.build_matcher(session)
    if batch is None:
        labels = dict(item.split("=", 1) for item in label or [] if "=" in item)
        matches = matcher.match(AlertQuery(title=title, description=description, labels=labels))
        if matches:
            print_json({"ranked": [asdict(m) for m in matches]})
        else:
            console.print("no runbook section fits this alert")
        return
    stream = sys.stdin if str(batch) == "-" else batch.open(encoding="utf-8")
    with stream:
        items = _read_batch(stream)
    for item_id, query in items:
        ranked = [
            {
                "file": m.file,
                "heading": m.heading,
                "line": m.line,
                "score": m.score,
                "reason": m.reason,
            }
            for m in matcher.match(query)
        ]
        print(json.dumps({"id": item_id, "ranked": ranked}, ensure_ascii=False))


def _read_batch(stream: TextIO) -> list[tuple[object, AlertQuery]]:
    """Every line of a batch file, checked before any output is written."""
    items = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            items.append((item.get("id"), AlertQuery.from_json(item["alert"])))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValidationFailed.for_field(
                "batch", f'line {number} is not {{"id", "alert": {{...}}}}: {exc}'
            ) from None
    return items


@app.command("apply-config")
def apply_config(
    ctx: typer.Context,
    runbook: Annotated[Path, typer.Argument(help="a runbook with a severity table")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show the changes, write nothing")
    ] = False,
) -> None:
    """Take the severity levels and response times from a runbook's table into the config file."""
    state = state_of(ctx)
    if not runbook.is_file():
        raise ValidationFailed.for_field("runbook", f"{runbook} does not exist")
    proposal = apply.propose(runbook.read_bytes(), state.settings.severity_scheme)
    target = state.config_file or Path("warroom.toml")
    for line in proposal.changes or ["no changes: the scheme already matches the runbook"]:
        console.print(f"  {line}", markup=False)
    if dry_run or not proposal.changes:
        return
    apply.write(target, proposal.levels)
    console.print(
        f"severity scheme written to {target}; start warroom with --config {target} "
        "(or WARROOM_CONFIG) to use it",
        markup=False,
    )
