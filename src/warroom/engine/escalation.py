"""Engine module: claim due escalations and page their steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.escalation import runner
from warroom.escalation.models import IncidentEscalation


class EscalationModule:
    """Pages every escalation step that is due, exactly once across any number of engines."""

    name = "escalation"

    def __init__(self, batch_size: int = 200) -> None:
        self.batch_size = batch_size

    def run(self, session: Session, now: datetime) -> int:
        """Claim up to a batch of due escalations, oldest first, and page or stop each."""
        query = (
            select(IncidentEscalation)
            .where(IncidentEscalation.state == runner.ACTIVE, IncidentEscalation.next_at <= now)
            .order_by(IncidentEscalation.next_at, IncidentEscalation.id)
            .limit(self.batch_size)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Rows another engine holds are skipped, not waited for: each is claimed once.
            query = query.with_for_update(skip_locked=True)
        due = list(session.scalars(query))
        if not due:
            return 0
        incidents = runner.lock_incidents(session, [e.incident_id for e in due])
        change = Change(actor=SYSTEM, clock=FixedClock(now))
        for escalation in due:
            runner.page_due(
                session,
                change=change,
                escalation=escalation,
                incident=incidents[escalation.incident_id],
            )
        return len(due)
