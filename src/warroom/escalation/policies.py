"""Escalation policies: validate, create, replace, delete, look up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom import validation
from warroom.change import Change
from warroom.durations import format_duration, parse_duration
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.escalation.models import EscalationPolicy
from warroom.incidents.service import normalize_role
from warroom.oncall.models import Schedule
from warroom.services.models import Service
from warroom.users import audit
from warroom.users.models import User

MAX_STEPS = 20
MAX_TARGETS = 20
MAX_REPEAT = 9
MAX_AFTER = timedelta(days=7)
TARGET_KINDS = ("user", "schedule", "role")


@dataclass(frozen=True)
class StepSpec:
    """A step as given: a delay such as ``15m`` and targets like ``{"schedule": "primary"}``."""

    after: str
    targets: Sequence[dict[str, str | None]] = field(default_factory=list)


def _check_after(text: str, where: str) -> int:
    try:
        delay = parse_duration(text)
    except ValueError as exc:
        raise ValidationFailed.for_field(where, str(exc)) from None
    if delay > MAX_AFTER:
        raise ValidationFailed.for_field(where, "must be at most 7d")
    return int(delay.total_seconds())


def _check_target(session: Session, target: dict[str, str | None], where: str) -> dict[str, str]:
    given = {k: v for k, v in target.items() if v is not None}
    if len(given) != 1 or next(iter(given)) not in TARGET_KINDS:
        raise ValidationFailed.for_field(
            where, "give exactly one of user (a handle), schedule (a name) or role"
        )
    kind, raw = next(iter(given.items()))
    value = raw.strip().lower()
    if kind == "user":
        if session.scalar(select(User.id).where(User.handle == value)) is None:
            raise ValidationFailed.for_field(f"{where}.user", f"no user with handle {raw!r}")
    elif kind == "schedule":
        if session.scalar(select(Schedule.id).where(Schedule.name == value)) is None:
            raise ValidationFailed.for_field(f"{where}.schedule", f"no schedule called {raw!r}")
    else:
        try:
            value = normalize_role(raw)
        except ValidationFailed as exc:
            raise ValidationFailed.for_field(f"{where}.role", exc.errors[0].message) from None
    return {kind: value}


def check_steps(session: Session, steps: Sequence[StepSpec]) -> list[dict[str, Any]]:
    """Steps in stored form (``after_seconds``, ``targets``), or a validation error."""
    if not steps:
        raise ValidationFailed.for_field("steps", "a policy needs at least one step")
    if len(steps) > MAX_STEPS:
        raise ValidationFailed.for_field("steps", f"at most {MAX_STEPS} steps")
    checked: list[dict[str, Any]] = []
    for index, step in enumerate(steps):
        where = f"steps.{index}"
        after = _check_after(step.after, f"{where}.after")
        if not step.targets:
            raise ValidationFailed.for_field(f"{where}.targets", "a step needs at least one target")
        if len(step.targets) > MAX_TARGETS:
            raise ValidationFailed.for_field(f"{where}.targets", f"at most {MAX_TARGETS} targets")
        targets = [
            _check_target(session, target, f"{where}.targets.{n}")
            for n, target in enumerate(step.targets)
        ]
        checked.append({"after_seconds": after, "targets": targets})
    return checked


def _check_repeat(repeat: int) -> int:
    if not 0 <= repeat <= MAX_REPEAT:
        raise ValidationFailed.for_field("repeat", f"must be 0 to {MAX_REPEAT}")
    return repeat


def steps_text(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored steps with their delays as text (``15m``), as the API and the timeline show them."""
    return [
        {
            "after": format_duration(timedelta(seconds=s["after_seconds"])),
            "targets": s["targets"],
        }
        for s in steps
    ]


def _facts(policy: EscalationPolicy) -> dict[str, Any]:
    return {"repeat": policy.repeat, "steps": steps_text(policy.steps)}


def create_policy(
    session: Session,
    *,
    change: Change,
    name: str,
    steps: Sequence[StepSpec],
    repeat: int = 0,
    description: str = "",
) -> EscalationPolicy:
    """Add a policy; names are unique."""
    clean_name = validation.slug_name(name)
    clean_description = validation.description(description)
    clean_repeat = _check_repeat(repeat)
    checked = check_steps(session, steps)
    if session.scalar(select(EscalationPolicy.id).where(EscalationPolicy.name == clean_name)):
        raise Conflict(f"an escalation policy called {clean_name!r} already exists")
    now = change.now()
    policy = EscalationPolicy(
        name=clean_name,
        description=clean_description,
        repeat=clean_repeat,
        steps=checked,
        created_at=now,
        updated_at=now,
    )
    session.add(policy)
    session.flush()
    audit.record(
        session,
        change=change,
        action="escalation_policy.create",
        target=f"escalation_policy:{clean_name}",
        data=_facts(policy),
    )
    return policy


def replace_policy(
    session: Session,
    *,
    change: Change,
    policy: EscalationPolicy,
    steps: Sequence[StepSpec],
    repeat: int = 0,
    description: str = "",
) -> EscalationPolicy:
    """Replace a policy's steps, repeat and description; running escalations keep their copy."""
    policy.description = validation.description(description)
    policy.repeat = _check_repeat(repeat)
    policy.steps = check_steps(session, steps)
    policy.updated_at = change.now()
    session.flush()
    audit.record(
        session,
        change=change,
        action="escalation_policy.replace",
        target=f"escalation_policy:{policy.name}",
        data=_facts(policy),
    )
    return policy


def services_using(session: Session, policy: EscalationPolicy) -> list[str]:
    """Names of the services that page by ``policy``."""
    query = select(Service.name).where(Service.escalation_policy_id == policy.id)
    return list(session.scalars(query.order_by(Service.name)))


def delete_policy(session: Session, *, change: Change, policy: EscalationPolicy) -> None:
    """Remove a policy no service uses; running escalations keep their copy."""
    users = services_using(session, policy)
    if users:
        raise Conflict(
            f"escalation policy {policy.name!r} is used by {', '.join(users)}; "
            "give those services another policy first",
            services=users,
        )
    name = policy.name
    session.delete(policy)
    session.flush()
    audit.record(
        session,
        change=change,
        action="escalation_policy.delete",
        target=f"escalation_policy:{name}",
    )


def get_policy(session: Session, name: str) -> EscalationPolicy:
    """The policy called ``name``, or NotFound."""
    policy = session.scalar(
        select(EscalationPolicy).where(EscalationPolicy.name == name.strip().lower())
    )
    if policy is None:
        raise NotFound(f"no escalation policy called {name!r}")
    return policy


def list_policies(session: Session) -> list[EscalationPolicy]:
    """All policies by name."""
    return list(session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name)))


def policies_using_schedule(session: Session, schedule: str) -> list[str]:
    """Names of the policies with a step that pages whoever ``schedule`` has on call."""
    return [
        policy.name
        for policy in session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name))
        if any(
            target.get("schedule") == schedule
            for step in policy.steps
            for target in step.get("targets", [])
        )
    ]
