"""Engine module: start sending every broadcast (channel post, subscriber message) that is due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.notifications.broadcast import Broadcaster


class BroadcastModule:
    """Claims due broadcasts and hands them to their own sending pool."""

    name = "broadcast"

    def __init__(self, broadcaster: Broadcaster, *, wait: bool = False) -> None:
        self.broadcaster = broadcaster
        self.wait = wait

    def run(self, session: Session, now: datetime) -> int:
        """Claim and start sending (claims commit in their own transaction, before any send)."""
        return self.broadcaster.run_due(now, wait=self.wait)

    def close(self) -> None:
        """Wait for sends in flight."""
        self.broadcaster.close()
