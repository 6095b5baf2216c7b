"""Wake the engine when work becomes due now: in-process, and across processes by LISTEN/NOTIFY."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from warroom.escalation.models import IncidentEscalation
from warroom.notifications.models import Notification

log = logging.getLogger(__name__)
CHANNEL = "warroom_engine"
_DUE_NOW = (Notification, IncidentEscalation)


def install(sessions: sessionmaker[Session], wake: threading.Event) -> None:
    """Wake the engine after a commit that wrote a notification or started an escalation."""

    @event.listens_for(sessions, "after_flush")
    def _note_due_work(session: Session, _context: Any) -> None:
        if session.info.get("wakes_engine"):
            return
        if any(isinstance(row, _DUE_NOW) for row in session.new):
            session.info["wakes_engine"] = True
            if session.get_bind().dialect.name == "postgresql":
                # Delivered to listening engines when (and only if) this transaction commits.
                session.connection().exec_driver_sql(f"NOTIFY {CHANNEL}")

    @event.listens_for(sessions, "after_commit")
    def _wake(session: Session) -> None:
        if session.info.pop("wakes_engine", False):
            wake.set()

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop("wakes_engine", None)


class Listener:
    """Sets ``wake`` whenever another process NOTIFYs; reconnects after a lost connection."""

    def __init__(self, database: Engine, wake: threading.Event, stop: threading.Event) -> None:
        self.url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.wake = wake
        self.stop = stop
        self.thread = threading.Thread(target=self._listen, name="warroom-listen", daemon=True)

    def start(self) -> None:
        """Listen in a background thread until ``stop`` is set."""
        self.thread.start()

    def _listen(self) -> None:
        import psycopg  # only PostgreSQL installs listen; SQLite ones never load the driver

        while not self.stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    while not self.stop.is_set():
                        for _ in connection.notifies(timeout=1.0):
                            self.wake.set()
            except psycopg.Error as exc:
                log.warning("engine LISTEN connection lost (%s); reconnecting", exc)
                self.stop.wait(2.0)
