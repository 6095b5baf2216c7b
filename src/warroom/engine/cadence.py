"""Engine module: remind the comms lead when an internal or public update is overdue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.comms import cadence
from warroom.comms.models import CommsCadence
from warroom.comms.templates import AUDIENCES, INTERNAL, PUBLIC, when
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.severity import DEFAULT_SCHEME, SeverityLevel, SeverityScheme
from warroom.users.models import User

UPDATE_DUE = "update_due"
CADENCE_MISSED = "cadence_missed"
# Whom a reminder goes to: the first role held, else everyone paged so far.
REMINDED_ROLES = ("communications_lead", "incident_commander")


class CadenceModule:
    """Per open incident and audience: one reminder and one timeline entry per missed update."""

    name = "cadence"

    def __init__(self, scheme: SeverityScheme = DEFAULT_SCHEME, batch_size: int = 200) -> None:
        self.scheme = scheme
        self.batch_size = batch_size

    def run(self, session: Session, now: datetime) -> int:
        """Work through open incidents that are new here, changed, or have an update overdue."""
        internal, public = aliased(CommsCadence), aliased(CommsCadence)
        public_applies = or_(Incident.customer_facing, public.last_update_at.is_not(None))
        query = (
            select(Incident)
            .outerjoin(
                internal, and_(internal.incident_id == Incident.id, internal.audience == INTERNAL)
            )
            .outerjoin(public, and_(public.incident_id == Incident.id, public.audience == PUBLIC))
            .where(
                Incident.status.in_([s.value for s in OPEN_STATUSES]),
                or_(
                    *(
                        condition
                        for row in (internal, public)
                        for condition in (
                            row.incident_id.is_(None),
                            row.next_due_at <= now,
                            row.severity != Incident.severity,
                            row.reopen_count != Incident.reopen_count,
                        )
                    ),
                    public.applies != public_applies,
                ),
            )
            .order_by(Incident.id)
            .limit(self.batch_size)
        )
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            # Incidents another engine is working on are skipped, not waited for.
            query = query.with_for_update(skip_locked=True, of=Incident)
        due = list(session.scalars(query))
        if not due:
            return 0
        # Read schedules afresh after the claim: another engine or an update may have moved them.
        fresh = (
            select(CommsCadence)
            .where(CommsCadence.incident_id.in_([i.id for i in due]))
            .execution_options(populate_existing=True)
        )
        if postgres:
            fresh = fresh.with_for_update()
        rows = {(r.incident_id, r.audience): r for r in session.scalars(fresh)}
        paged = outbox.users_sent(session, [i.id for i in due])
        change = Change(actor=SYSTEM, clock=FixedClock(now))
        # Counted are incidents this engine changed: another may have done the rest meanwhile.
        changed: set[int] = set()
        for incident in due:
            level = self.scheme.find(incident.severity)
            for audience in AUDIENCES:
                row = rows.get((incident.id, audience))
                if row is None:
                    row = CommsCadence(
                        incident_id=incident.id, audience=audience, reminders=0, updated_at=now
                    )
                    session.add(row)
                    _rebase(row, incident, level, base=incident.detected_at, now=now)
                    changed.add(incident.id)
                elif _basis(row) != _wanted(row, incident):
                    # A new severity, a reopen or a change of audience: the schedule starts now.
                    _rebase(row, incident, level, base=now, now=now)
                    changed.add(incident.id)
                if row.next_due_at is not None and row.next_due_at <= now:
                    _remind(session, change, incident, row, level, paged[incident.id])
                    changed.add(incident.id)
        session.flush()
        return len(changed)


def _applies(row: CommsCadence, incident: Incident) -> bool:
    """Internal updates always; public ones for customer-facing incidents or once one went out."""
    return row.audience == INTERNAL or incident.customer_facing or row.last_update_at is not None


def _basis(row: CommsCadence) -> tuple[str, int, bool]:
    return row.severity, row.reopen_count, row.applies


def _wanted(row: CommsCadence, incident: Incident) -> tuple[str, int, bool]:
    return incident.severity, incident.reopen_count, _applies(row, incident)


def _rebase(
    row: CommsCadence,
    incident: Incident,
    level: SeverityLevel | None,
    *,
    base: datetime,
    now: datetime,
) -> None:
    row.severity, row.reopen_count, row.applies = _wanted(row, incident)
    row.overdue_since = None
    updated = row.last_update_at is not None
    row.next_due_at = (
        cadence.next_due(level, row.audience, base=base, updated=updated) if row.applies else None
    )
    row.updated_at = now


def _recipients(incident: Incident, paged: Sequence[User]) -> list[User]:
    for role in REMINDED_ROLES:
        holder = next((r.user for r in incident.roles if r.role == role), None)
        if holder is not None:
            return [holder]
    return list(paged)


def _remind(
    session: Session,
    change: Change,
    incident: Incident,
    row: CommsCadence,
    level: SeverityLevel | None,
    paged: Sequence[User],
) -> None:
    now = change.now()
    due = row.next_due_at
    step = cadence.reminder_interval(level, row.audience)
    assert due is not None
    row.overdue_since = row.overdue_since or due
    # The level may have lost its cadence since the schedule was made (a new severity scheme).
    row.next_due_at = cadence.after(due, step, now) if step is not None else None
    row.reminders += 1
    row.updated_at = now
    people = _recipients(incident, paged)
    if people:
        outbox.enqueue(
            session,
            incident=incident,
            users=people,
            kind=UPDATE_DUE,
            key=f"{row.audience}-{row.reminders}",
            now=now,
            data={
                "audience": row.audience,
                "due_at": when(due),
                "overdue_since": when(row.overdue_since),
                "last_update": when(row.last_update_at),
                "next_reminder": when(row.next_due_at),
            },
        )
    timeline.append(
        session,
        change=change,
        incident=incident,
        kind=CADENCE_MISSED,
        data={
            "audience": row.audience,
            "due_at": due.isoformat(),
            "overdue_since": row.overdue_since.isoformat(),
            "reminded": [u.handle for u in people],
        },
    )
