"""Engine module: inform the stakeholder matrix's people as open incidents reach each age."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.clock import FixedClock
from warroom.escalation import stakeholders
from warroom.escalation.models import IncidentStakeholders, StakeholderRule
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.users.models import User


class StakeholdersModule:
    """Informs (never pages) each person once per incident, when a rule of its severity is due."""

    name = "stakeholders"

    def __init__(self, batch_size: int = 200) -> None:
        self.batch_size = batch_size

    def run(self, session: Session, now: datetime) -> int:
        """Work through open incidents that are new to the matrix, changed, or have a rule due."""
        rules = stakeholders.list_rules(session)
        if not rules:
            return 0
        matrix = stakeholders.digest(rules)
        progress = IncidentStakeholders
        query = (
            select(Incident)
            .outerjoin(progress, progress.incident_id == Incident.id)
            .where(
                Incident.status.in_([s.value for s in OPEN_STATUSES]),
                Incident.severity.in_(sorted({r.severity for r in rules})),
                or_(
                    progress.incident_id.is_(None),
                    progress.severity != Incident.severity,
                    progress.matrix != matrix,
                    progress.next_at <= now,
                ),
            )
            .order_by(Incident.id)
            .limit(self.batch_size)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Incidents another engine is working on are skipped, not waited for.
            query = query.with_for_update(skip_locked=True, of=Incident)
        due = list(session.scalars(query))
        if not due:
            return 0
        # Read progress afresh after the claim: another engine may have committed it meanwhile.
        known = {
            p.incident_id: p
            for p in session.scalars(
                select(progress)
                .where(progress.incident_id.in_([i.id for i in due]))
                .execution_options(populate_existing=True)
            )
        }
        handles = {t["user"] for r in rules for t in r.notify if "user" in t}
        users = {u.handle: u for u in session.scalars(select(User).where(User.handle.in_(handles)))}
        change = Change(actor=SYSTEM, clock=FixedClock(now))
        # Counted are incidents this engine moved on: another may have just done the rest.
        moved = 0
        for incident in due:
            state = known.get(incident.id)
            if state is None:
                state = IncidentStakeholders(incident_id=incident.id, informed=[])
                session.add(state)
            moved += _advance(session, change, incident, state, rules, matrix, users)
        session.flush()
        return moved


def _recipients(incident: Incident, rule: StakeholderRule, users: dict[str, User]) -> list[User]:
    found: dict[int, User] = {}
    for target in rule.notify:
        if "user" in target:
            user = users.get(target["user"])
            people = [user] if user else []
        else:
            people = [r.user for r in incident.roles if r.role == target["role"]]
        found.update((u.id, u) for u in people if u.id not in found)
    return list(found.values())


def _advance(
    session: Session,
    change: Change,
    incident: Incident,
    state: IncidentStakeholders,
    rules: Sequence[StakeholderRule],
    matrix: str,
    users: dict[str, User],
) -> bool:
    """Inform whoever is due; whether the incident was new here, re-based or anyone informed."""
    now = change.now()
    informed_before = len(state.informed or [])
    changed = state.severity != incident.severity or state.matrix != matrix
    if changed:
        # A new severity or matrix: its rules for ages already passed apply at once.
        state.severity, state.matrix, state.covered_seconds = incident.severity, matrix, -1
    age = int((now - incident.detected_at).total_seconds())
    mine = sorted(
        (r for r in rules if r.severity == incident.severity), key=lambda r: r.after_seconds
    )
    informed = list(state.informed or [])
    for rule in mine:
        if not state.covered_seconds < rule.after_seconds <= age:
            continue
        fresh = [u for u in _recipients(incident, rule, users) if u.id not in informed]
        if fresh:
            outbox.enqueue(
                session,
                incident=incident,
                users=fresh,
                kind=outbox.INFORM,
                key=str(rule.id),
                now=now,
            )
            informed.extend(u.id for u in fresh)
            data = {
                "users": [u.handle for u in fresh],
                "rule": {"id": rule.id, **stakeholders.rule_text(rule)},
            }
            timeline.append(
                session, change=change, incident=incident, kind="stakeholders_informed", data=data
            )
    state.covered_seconds = max(state.covered_seconds, age)
    state.informed = informed
    pending = [r.after_seconds for r in mine if r.after_seconds > state.covered_seconds]
    state.next_at = incident.detected_at + timedelta(seconds=min(pending)) if pending else None
    state.updated_at = now
    return changed or len(informed) > informed_before
