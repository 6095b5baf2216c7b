"""The engine loop: every cycle, run each module once, each in its own transaction."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from warroom.clock import Clock
from warroom.db import transaction

log = logging.getLogger(__name__)


class Module(Protocol):
    """One duty of the engine (escalations, reminders, delivery, ...)."""

    name: str

    def run(self, session: Session, now: datetime) -> int:
        """Do what is due at ``now`` in the session's transaction; return the rows handled."""
        ...


class Engine:
    """Runs its modules in order every ``interval`` seconds; timers are rows, never sleeps."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        modules: Sequence[Module],
        interval: float = 1.0,
        wake: threading.Event | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.modules = list(modules)
        self.interval = interval
        self.wake = wake or threading.Event()

    def tick(self) -> dict[str, int]:
        """Run every module once; a failing module is rolled back, the others still run."""
        handled: dict[str, int] = {}
        failure: Exception | None = None
        now = self.clock.now()
        for module in self.modules:
            try:
                with transaction(self.session_factory) as session:
                    handled[module.name] = module.run(session, now)
            except Exception as exc:
                log.exception("engine module %s failed; it runs again next cycle", module.name)
                failure = failure or exc
        if failure is not None:
            raise failure
        return handled

    def close(self) -> None:
        """Release what modules hold (the delivery pool finishes its sends)."""
        for module in self.modules:
            close = getattr(module, "close", None)
            if close is not None:
                close()

    def run(self, stop: threading.Event) -> None:
        """Tick every interval, or at once when woken, until ``stop`` is set (then wake it)."""
        log.info(
            "engine started: %s every %ss", ", ".join(m.name for m in self.modules), self.interval
        )
        while not stop.is_set():
            started = time.monotonic()
            # Cleared before the tick: work made due during it wakes the next one at once.
            self.wake.clear()
            # tick() has logged a failing module; the loop carries on with the next cycle.
            with contextlib.suppress(Exception):
                self.tick()
            self.wake.wait(max(0.0, self.interval - (time.monotonic() - started)))
        log.info("engine stopped")
