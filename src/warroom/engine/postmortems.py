"""Engine module: draft postmortems on resolve; remind about due postmortems and action items."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.config import Settings
from warroom.incidents import timeline
from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.postmortems import actions, service
from warroom.postmortems.generator import COMMANDER, Generator
from warroom.postmortems.models import PUBLISHED, ActionItem, Postmortem
from warroom.severity import SeverityScheme

POSTMORTEM_DUE = "postmortem_due"
ACTION_OVERDUE = "action_overdue"
Query = TypeVar("Query", bound=Select[Any])


def _claimed(session: Session, query: Query, of: Any) -> Query:
    """The query, locking its rows so that no other engine handles them in this cycle."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=of)
    return query


class PostmortemsModule:
    """Drafts each required postmortem once and sends each reminder once, across engines."""

    name = "postmortems"

    def __init__(self, scheme: SeverityScheme, generator: Generator, batch_size: int = 100) -> None:
        self.scheme = scheme
        self.generator = generator
        self.batch_size = batch_size

    @classmethod
    def from_settings(cls, settings: Settings) -> PostmortemsModule:
        """The module as ``warroom engine`` runs it."""
        generator = Generator(
            scheme=settings.severity_scheme,
            time_zone=settings.status_page_time_zone,
            template_dir=settings.template_dir,
            base_url=settings.base_url,
        )
        return cls(settings.severity_scheme, generator)

    def run(self, session: Session, now: datetime) -> int:
        """Draft, re-date, then remind: everything due at ``now``."""
        change = Change(actor=SYSTEM, clock=FixedClock(now))
        return (
            self._draft(session, change)
            + self._follow_resolves(session, now)
            + self._remind_postmortems(session, change)
            + self._remind_action_items(session, change)
        )

    def _draft(self, session: Session, change: Change) -> int:
        levels = [level.id for level in self.scheme.levels if level.postmortem_required]
        if not levels:
            return 0
        query = (
            select(Incident)
            .where(
                Incident.status == Status.resolved.value,
                Incident.severity.in_(levels),
                ~exists().where(Postmortem.incident_id == Incident.id),
            )
            .order_by(Incident.id)
            .limit(self.batch_size)
        )
        due = list(session.scalars(_claimed(session, query, Incident)))
        for incident in due:
            # Another engine may have drafted it between our query and our lock.
            if service.find(session, incident) is None:
                service.create(
                    session,
                    change=change,
                    scheme=self.scheme,
                    generator=self.generator,
                    incident=incident,
                )
        return len(due)

    def _follow_resolves(self, session: Session, now: datetime) -> int:
        """A reopened and re-resolved incident moves its postmortem's due date, not its body."""
        query = (
            select(Postmortem)
            .join(Incident, Incident.id == Postmortem.incident_id)
            .where(
                Incident.status == Status.resolved.value,
                or_(
                    Postmortem.resolved_at.is_(None),
                    Postmortem.resolved_at != Incident.resolved_at,
                ),
            )
            .limit(self.batch_size)
        )
        moved = list(session.scalars(_claimed(session, query, Postmortem)))
        for postmortem in moved:
            incident = session.get(Incident, postmortem.incident_id)
            assert incident is not None
            due_at = service.due_for(incident, self.scheme)
            service.follow_resolve(postmortem=postmortem, incident=incident, due_at=due_at, now=now)
        return len(moved)

    def _remind_postmortems(self, session: Session, change: Change) -> int:
        now = change.now()
        query = (
            select(Postmortem)
            .join(Incident, Incident.id == Postmortem.incident_id)
            .where(
                Postmortem.next_reminder_at <= now,
                Postmortem.status != PUBLISHED,
                Postmortem.due_at.is_not(None),
                Incident.status == Status.resolved.value,
            )
            .order_by(Postmortem.next_reminder_at)
            .limit(self.batch_size)
        )
        due = list(session.scalars(_claimed(session, query, Postmortem)))
        for postmortem in due:
            assert postmortem.due_at is not None
            incident = session.get(Incident, postmortem.incident_id)
            assert incident is not None
            which, slot = service.slot_at(postmortem.due_at, now)
            owner = postmortem.owner or next(
                (r.user for r in incident.roles if r.role == COMMANDER), None
            )
            data = {
                "reminder": which,
                "status": postmortem.status,
                "due_at": postmortem.due_at.isoformat(),
                "due": self.generator.local(postmortem.due_at),
                "overdue_days": max((now - postmortem.due_at).days, 0),
            }
            reminded = outbox.enqueue_once(
                session,
                incident=incident,
                users=[owner] if owner is not None else [],
                kind=POSTMORTEM_DUE,
                key=f"{which}-{slot:%Y%m%dT%H%M%SZ}",
                now=now,
                data=data,
            )
            timeline.append(
                session,
                change=change,
                incident=incident,
                kind="postmortem_reminder",
                data={**data, "users": [u.handle for u in reminded]},
            )
            postmortem.next_reminder_at = service.next_slot_after(postmortem.due_at, now)
        return len(due)

    def _remind_action_items(self, session: Session, change: Change) -> int:
        now = change.now()
        query = (
            select(ActionItem)
            .where(and_(ActionItem.next_reminder_at <= now, ActionItem.status.in_(actions.OPEN)))
            .order_by(ActionItem.next_reminder_at)
            .limit(self.batch_size)
        )
        due = list(session.scalars(_claimed(session, query, ActionItem)))
        for item in due:
            incident = actions.incident_of(session, item)
            _, slot = service.slot_at(item.due_at, now)
            data = {
                "id": item.id,
                "title": item.title,
                "priority": item.priority,
                "status": item.status,
                "due_at": item.due_at.isoformat(),
                "due": self.generator.local(item.due_at),
                "overdue_days": (now - item.due_at).days,
            }
            reminded = outbox.enqueue_once(
                session,
                incident=incident,
                users=[item.owner],
                kind=ACTION_OVERDUE,
                key=f"{item.id}-{slot:%Y%m%dT%H%M%SZ}",
                now=now,
                data=data,
            )
            timeline.append(
                session,
                change=change,
                incident=incident,
                kind="action_item_reminder",
                data={**data, "users": [u.handle for u in reminded]},
            )
            item.next_reminder_at = slot + service.REPEAT_EVERY
        return len(due)
