"""Engine module: start delivering every notification that is due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.notifications.delivery import Deliverer


class DeliveryModule:
    """Claims due notifications and hands them to the sending pool; it does not wait for sends."""

    name = "delivery"

    def __init__(self, deliverer: Deliverer, *, wait: bool = False) -> None:
        self.deliverer = deliverer
        self.wait = wait

    def run(self, session: Session, now: datetime) -> int:
        """Claim and start sending (claims commit in their own transaction, before any send)."""
        return self.deliverer.run_due(now, wait=self.wait)

    def close(self) -> None:
        """Wait for sends in flight."""
        self.deliverer.close()
