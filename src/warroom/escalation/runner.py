"""Run an incident's escalation: snapshot the policy at trigger, page due steps, stop on ack."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.escalation.models import EscalationPolicy, IncidentEscalation
from warroom.escalation.policies import get_policy, steps_text
from warroom.incidents import timeline
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.models import Incident
from warroom.notifications import service as outbox
from warroom.oncall.models import Schedule
from warroom.oncall.service import who_is_on_call
from warroom.services.service import policy_for
from warroom.users import audit
from warroom.users.models import User

ACTIVE = "active"
STOPPED = "stopped"
EXHAUSTED = "exhausted"
# Monitoring reached without an acknowledgement means the alerts cleared by themselves.
_QUIET_STATUSES = (Status.monitoring, Status.resolved, Status.closed)


def stops(incident: Incident) -> bool:
    """Escalation pages until someone acknowledges, or until the incident quiets down."""
    status = Status(incident.status)
    if status is Status.triggered:
        return False
    return incident.acknowledged_at is not None or status in _QUIET_STATUSES


def _after(step: dict[str, Any]) -> timedelta:
    return timedelta(seconds=step["after_seconds"])


def _chosen_policy(
    session: Session, incident: Incident, policy_name: str | None
) -> EscalationPolicy | None:
    if policy_name is None or not policy_name.strip():
        return policy_for(session, incident.service)
    try:
        return get_policy(session, policy_name)
    except NotFound as exc:
        raise ValidationFailed.for_field("escalation_policy", exc.detail) from None


def start(
    session: Session, *, change: Change, incident: Incident, policy_name: str | None = None
) -> IncidentEscalation | None:
    """Snapshot the named policy (else the service's) onto a new incident; None without one."""
    policy = _chosen_policy(session, incident, policy_name)
    if policy is None:
        return None
    now = change.now()
    next_at = now + _after(policy.steps[0])
    escalation = IncidentEscalation(
        incident_id=incident.id,
        policy=policy.name,
        steps=copy.deepcopy(policy.steps),
        repeat=policy.repeat,
        step_index=0,
        round=1,
        next_at=next_at,
        state=ACTIVE,
        started_at=now,
        updated_at=now,
    )
    session.add(escalation)
    session.flush()
    data = {
        "policy": policy.name,
        "repeat": policy.repeat,
        "steps": steps_text(policy.steps),
        "next_at": next_at.isoformat(),
    }
    timeline.append(session, change=change, incident=incident, kind="escalation_started", data=data)
    return escalation


def get_escalation(session: Session, *, incident: Incident) -> IncidentEscalation:
    """The incident's escalation, or NotFound."""
    escalation = session.scalar(
        select(IncidentEscalation).where(IncidentEscalation.incident_id == incident.id)
    )
    if escalation is None:
        raise NotFound(f"{incident.ref} has no escalation policy")
    return escalation


def lock_incidents(session: Session, incident_ids: Sequence[int]) -> dict[int, Incident]:
    """Load and lock incidents (by id, so lockers never deadlock): an ack waits for a page."""
    query = (
        select(Incident)
        .where(Incident.id.in_(incident_ids))
        .order_by(Incident.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {incident.id: incident for incident in session.scalars(query)}


def _resolve(
    session: Session, incident: Incident, target: dict[str, str], change: Change
) -> list[User]:
    ((kind, value),) = target.items()
    if kind == "user":
        user = session.scalar(select(User).where(User.handle == value))
        return [user] if user else []
    if kind == "schedule":
        schedule = session.scalar(select(Schedule).where(Schedule.name == value))
        return who_is_on_call(session, schedule=schedule, at=change.now()) if schedule else []
    holder = next((r for r in incident.roles if r.role == value), None)
    return [holder.user] if holder else []


def _finish(
    session: Session,
    *,
    change: Change,
    escalation: IncidentEscalation,
    incident: Incident,
    state: str,
    data: dict[str, Any],
) -> None:
    escalation.state = state
    escalation.next_at = None
    escalation.updated_at = change.now()
    timeline.append(
        session, change=change, incident=incident, kind=f"escalation_{state}", data=data
    )


def _advance(
    session: Session, *, change: Change, escalation: IncidentEscalation, incident: Incident
) -> None:
    # From when the step was due, not when it ran, so a late tick does not delay later steps.
    due = escalation.next_at or change.now()
    steps = escalation.steps
    if escalation.step_index + 1 < len(steps):
        escalation.step_index += 1
        escalation.next_at = due + _after(steps[escalation.step_index])
    elif escalation.round <= escalation.repeat:
        # A new round waits as long after the last step as the last step waited.
        escalation.round += 1
        escalation.step_index = 0
        escalation.next_at = due + _after(steps[-1])
    else:
        _finish(
            session,
            change=change,
            escalation=escalation,
            incident=incident,
            state=EXHAUSTED,
            data={"rounds": escalation.round},
        )
        return
    escalation.updated_at = change.now()


def page_due(
    session: Session, *, change: Change, escalation: IncidentEscalation, incident: Incident
) -> list[User]:
    """Page the current step (or stop, once acknowledged) and advance; return who was paged."""
    if stops(incident):
        _finish(
            session,
            change=change,
            escalation=escalation,
            incident=incident,
            state=STOPPED,
            data={"status": incident.status},
        )
        return []
    step = escalation.step_index + 1
    where = {"step": step, "round": escalation.round}
    users: dict[int, User] = {}
    targets: list[dict[str, Any]] = []
    for target in escalation.steps[escalation.step_index]["targets"]:
        found = _resolve(session, incident, target, change)
        targets.append({**target, "users": [u.handle for u in found]})
        if not found:
            timeline.append(
                session,
                change=change,
                incident=incident,
                kind="escalation_target_empty",
                data={**where, "target": target},
            )
        users.update((u.id, u) for u in found if u.id not in users)
    paged = outbox.enqueue_pages(
        session,
        incident=incident,
        users=list(users.values()),
        step=step,
        round_number=escalation.round,
        now=change.now(),
        generation=escalation.generation,
    )
    if paged:
        data = {**where, "users": [u.handle for u in paged], "targets": targets}
        timeline.append(session, change=change, incident=incident, kind="paged", data=data)
    _advance(session, change=change, escalation=escalation, incident=incident)
    session.flush()
    return paged


def escalate_now(
    session: Session, *, change: Change, incident: Incident
) -> tuple[IncidentEscalation, list[User]]:
    """Page the escalation's next step now, in this transaction; later steps follow from now."""
    escalation = session.scalar(
        select(IncidentEscalation)
        .where(IncidentEscalation.incident_id == incident.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if escalation is None or escalation.state != ACTIVE:
        state = "no escalation policy" if escalation is None else f"a {escalation.state} escalation"
        raise Conflict(f"{incident.ref} has {state}; there is nothing to escalate")
    locked = lock_incidents(session, [incident.id])[incident.id]
    if stops(locked):
        raise Conflict(
            f"{incident.ref} is {locked.status}; escalation stops once an incident is acknowledged"
        )
    data = {"step": escalation.step_index + 1, "round": escalation.round}
    timeline.append(session, change=change, incident=locked, kind="escalated", data=data)
    audit.record(session, change=change, action="incident.escalate", target=locked.ref, data=data)
    escalation.next_at = change.now()
    return escalation, page_due(session, change=change, escalation=escalation, incident=locked)


def resume(session: Session, *, change: Change, incident: Incident) -> IncidentEscalation | None:
    """Page again from the step it stopped at when an unacknowledged incident fires again."""
    escalation = session.scalar(
        select(IncidentEscalation).where(IncidentEscalation.incident_id == incident.id)
    )
    if escalation is None or escalation.state != STOPPED or stops(incident):
        return None
    escalation.state = ACTIVE
    escalation.next_at = change.now()
    escalation.updated_at = change.now()
    data = {"step": escalation.step_index + 1, "round": escalation.round}
    timeline.append(session, change=change, incident=incident, kind="escalation_resumed", data=data)
    return escalation


def reassign(
    session: Session,
    *,
    change: Change,
    incident: Incident,
    user_handle: str | None = None,
    policy_name: str | None = None,
) -> IncidentEscalation:
    """Hand the incident to a user or another policy: it is triggered again and pages from now."""
    if (user_handle is None) == (policy_name is None):
        raise ValidationFailed.for_field("user", "give either a user or an escalation_policy")
    locked = lock_incidents(session, [incident.id])[incident.id]
    if Status(locked.status) not in OPEN_STATUSES:
        raise Conflict(f"{locked.ref} is {locked.status}; reopen it before re-assigning it")
    policy_label, steps, repeat = _reassign_target(session, user_handle, policy_name)
    now = change.now()
    escalation = session.scalar(
        select(IncidentEscalation)
        .where(IncidentEscalation.incident_id == locked.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if escalation is None:
        escalation = IncidentEscalation(incident_id=locked.id, generation=0, started_at=now)
        session.add(escalation)
    escalation.generation += 1
    escalation.policy, escalation.steps, escalation.repeat = policy_label, steps, repeat
    escalation.step_index, escalation.round = 0, 1
    escalation.state, escalation.next_at = ACTIVE, now + _after(steps[0])
    escalation.started_at = escalation.updated_at = now
    data = {
        "from_status": locked.status,
        "user": user_handle,
        "escalation_policy": policy_name,
        "steps": steps_text(steps),
        "generation": escalation.generation,
    }
    # The new target has not acknowledged anything: back to triggered, so it is paged.
    locked.status = Status.triggered.value
    locked.updated_at = now
    timeline.append(session, change=change, incident=locked, kind="reassigned", data=data)
    audit.record(session, change=change, action="incident.reassign", target=locked.ref, data=data)
    session.flush()
    return escalation


def _reassign_target(
    session: Session, user_handle: str | None, policy_name: str | None
) -> tuple[str, list[dict[str, Any]], int]:
    if policy_name is not None:
        try:
            policy = get_policy(session, policy_name)
        except NotFound as exc:
            raise ValidationFailed.for_field("escalation_policy", exc.detail) from None
        return policy.name, copy.deepcopy(policy.steps), policy.repeat
    handle = (user_handle or "").strip()
    if session.scalar(select(User.id).where(User.handle == handle)) is None:
        raise ValidationFailed.for_field("user", f"no user with handle {user_handle!r}")
    return f"user:{handle}", [{"after_seconds": 0, "targets": [{"user": handle}]}], 0
