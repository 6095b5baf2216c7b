"""What every CLI command shares: settings, the database and the acting user."""

from __future__ import annotations

import getpass
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.clock import SystemClock
from warroom.config import Settings, load_settings
from warroom.db import make_engine, make_session_factory, transaction
from warroom.engine import wake
from warroom.migrate import ensure_current
from warroom.users.service import get_user


@dataclass
class CliState:
    """Lazily built settings and engine for one CLI invocation."""

    config_file: Path | None = None
    as_handle: str | None = None
    clock: SystemClock = field(default_factory=SystemClock)
    _settings: Settings | None = None
    _engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        """Settings, built on first use."""
        if self._settings is None:
            self._settings = load_settings(self.config_file)
        return self._settings

    @property
    def engine(self) -> Engine:
        """The database engine, built on first use."""
        if self._engine is None:
            self._engine = make_engine(self.settings)
        return self._engine

    @contextmanager
    def session(self, *, migrated: bool = True) -> Iterator[Session]:
        """A transaction on a database that must be migrated (unless ``migrated`` is False)."""
        if migrated:
            ensure_current(self.engine)
        sessions = make_session_factory(self.engine)
        # Only the NOTIFY matters here: an engine in another process pages what this CLI wrote.
        wake.install(sessions, threading.Event())
        with transaction(sessions) as session:
            yield session

    def change(self, session: Session) -> Change:
        """The change context for this invocation: the local admin, or the --as user."""
        if self.as_handle:
            user = get_user(session, self.as_handle)
            actor = Actor(kind="user", name=user.handle, role=Role.admin, user_id=user.id)
        else:
            actor = Actor(kind="cli", name=getpass.getuser(), role=Role.admin)
        return Change(actor=actor, clock=self.clock)


def state_of(ctx: typer.Context) -> CliState:
    """The CliState the root callback put on the context."""
    state = ctx.find_root().obj
    assert isinstance(state, CliState)
    return state
