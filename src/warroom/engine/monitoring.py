"""Engine module: resolve incidents whose alerts all cleared and stayed quiet for the period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.incidents import timeline
from warroom.incidents.lifecycle import Status, set_milestones
from warroom.incidents.models import Incident
from warroom.incidents.service import tell_paged


class MonitoringModule:
    """Resolves each quiet incident once, across any number of engines."""

    name = "monitoring"

    def __init__(self, batch_size: int = 200) -> None:
        self.batch_size = batch_size

    def run(self, session: Session, now: datetime) -> int:
        """Resolve monitoring incidents whose quiet period has passed without a re-fire."""
        query = (
            select(Incident)
            .where(Incident.status == Status.monitoring.value, Incident.quiet_until <= now)
            .order_by(Incident.quiet_until, Incident.id)
            .limit(self.batch_size)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        due = list(session.scalars(query))
        change = Change(actor=SYSTEM, clock=FixedClock(now))
        for incident in due:
            data = {
                "from": Status.monitoring.value,
                "to": Status.resolved.value,
                "reason": "no alert fired during the quiet period",
                "quiet_since": incident.mitigated_at.isoformat() if incident.mitigated_at else None,
            }
            incident.status = Status.resolved.value
            incident.quiet_until = None
            incident.updated_at = now
            set_milestones(incident, Status.resolved, now)
            timeline.append(
                session, change=change, incident=incident, kind="status_changed", data=data
            )
            tell_paged(session, change=change, incident=incident, kind=Status.resolved.value)
        return len(due)
