"""Readable tables and ``--json`` output for the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(highlight=False, soft_wrap=True)

SEVERITY_STYLES = {"P1": "bold white on red", "P2": "bold red", "P3": "yellow", "P4": "dim"}


def print_json(value: BaseModel | Sequence[BaseModel] | dict[str, Any]) -> None:
    """Print a model, a list of models or a dict as JSON on stdout."""
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json")
    elif isinstance(value, dict):
        data = value
    else:
        data = [item.model_dump(mode="json") for item in value]
    print(json.dumps(data, indent=2, ensure_ascii=False))


def when(moment: datetime | None) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SSZ`` (UTC), or a dash."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str | Text]]) -> None:
    """Print a simple table; plain strings are shown literally, never parsed as markup."""
    grid = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in row))
    console.print(grid)


def severity(level: str) -> Text:
    """A severity label with its colour (the label itself carries the meaning)."""
    return Text(level, style=SEVERITY_STYLES.get(level, ""))
