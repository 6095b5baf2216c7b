"""The context of one change: who makes it, when, and in which request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from warroom.actor import Actor
from warroom.clock import Clock


@dataclass(frozen=True)
class Change:
    """Passed to every mutating service function; the audit log and timeline read it."""

    actor: Actor
    clock: Clock
    request_id: str | None = None

    def now(self) -> datetime:
        """The current time from the change's clock."""
        return self.clock.now()
