"""Fixtures for the ``warroom`` command: run it in-process, against the test database."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from warroom.cli import main


@dataclass(frozen=True)
class Result:
    """What one run of the command did."""

    code: int | str | None
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``warroom ARGS…`` in-process and return its exit code and output."""
    for name in list(os.environ):
        if name.startswith("WARROOM_") and name != "WARROOM_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that table cells are not folded

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out, err = capsys.readouterr()
        return Result(exited.value.code, out, err)

    return invoke


@pytest.fixture
def cli(run: Run, database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run`` pointed at the (emptied) test database."""
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    return run
