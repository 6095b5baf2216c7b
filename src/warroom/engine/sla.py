"""Engine module: SLA clocks; mark incidents that miss their acknowledge or resolve target."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.escalation.models import IncidentSlaBreach
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.severity import DEFAULT_SCHEME, SeverityScheme

ACK = "ack"
RESOLVE = "resolve"
COMMANDER = "incident_commander"


class SlaModule:
    """Records each breach once, on the timeline, and tells the commander and those paged."""

    name = "sla"

    def __init__(self, scheme: SeverityScheme = DEFAULT_SCHEME, batch_size: int = 200) -> None:
        self.scheme = scheme
        self.batch_size = batch_size

    def _overdue(self, kind: str, now: datetime) -> ColumnElement[bool]:
        """Incidents of any level whose ``kind`` target has passed."""
        return or_(
            *(
                and_(
                    Incident.severity == level.id,
                    Incident.detected_at <= now - self._target(kind, level.id),
                )
                for level in self.scheme.levels
            )
        )

    def _target(self, kind: str, severity: str) -> timedelta:
        level = self.scheme.get(severity)
        return level.ack_sla if kind == ACK else level.resolve_sla

    def run(self, session: Session, now: datetime) -> int:
        """Breach every open incident past a target it has not met and was not marked for."""
        handled = 0
        for kind in (ACK, RESOLVE):
            handled += self._breach(session, kind, now)
        return handled

    def _breach(self, session: Session, kind: str, now: datetime) -> int:
        marked = exists().where(
            IncidentSlaBreach.incident_id == Incident.id, IncidentSlaBreach.kind == kind
        )
        query = (
            select(Incident)
            .where(
                Incident.status.in_([s.value for s in OPEN_STATUSES]),
                self._overdue(kind, now),
                ~marked,
            )
            .order_by(Incident.id)
            .limit(self.batch_size)
        )
        if kind == ACK:
            query = query.where(Incident.acknowledged_at.is_(None))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Incident)
        due = list(session.scalars(query))
        if not due:
            return 0
        # Read afresh after the claim: another engine may have marked some meanwhile.
        done = set(
            session.scalars(
                select(IncidentSlaBreach.incident_id).where(
                    IncidentSlaBreach.kind == kind,
                    IncidentSlaBreach.incident_id.in_([i.id for i in due]),
                )
            )
        )
        fresh = [i for i in due if i.id not in done]
        paged = outbox.users_sent(session, [i.id for i in fresh])
        change = Change(actor=SYSTEM, clock=FixedClock(now))
        for incident in fresh:
            due_at = incident.detected_at + self._target(kind, incident.severity)
            session.add(
                IncidentSlaBreach(
                    incident_id=incident.id, kind=kind, due_at=due_at, breached_at=now
                )
            )
            data = {"kind": kind, "due_at": due_at.isoformat()}
            timeline.append(
                session, change=change, incident=incident, kind="sla_breached", data=data
            )
            people = {r.user.id: r.user for r in incident.roles if r.role == COMMANDER}
            people.update((u.id, u) for u in paged[incident.id] if u.id not in people)
            outbox.enqueue(
                session,
                incident=incident,
                users=list(people.values()),
                kind=outbox.SLA_BREACH,
                key=kind,
                now=now,
            )
        session.flush()
        return len(fresh)
