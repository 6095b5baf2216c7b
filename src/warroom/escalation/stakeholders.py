"""The stakeholder matrix: per severity, who is informed at which incident age."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.durations import format_duration, parse_duration
from warroom.errors import ValidationFailed
from warroom.escalation.models import StakeholderRule
from warroom.incidents.service import normalize_role
from warroom.severity import SeverityScheme
from warroom.users import audit
from warroom.users.models import User

MAX_RULES = 100
MAX_NOTIFY = 20
MAX_AFTER = timedelta(days=30)
NOTIFY_KINDS = ("user", "role")


@dataclass(frozen=True)
class RuleSpec:
    """A rule as given: severity (id or alias), age such as ``15m``, and whom to notify."""

    severity: str
    after: str
    notify: Sequence[dict[str, str | None]] = field(default_factory=list)


def _check_after(text: str, where: str) -> int:
    try:
        age = parse_duration(text)
    except ValueError as exc:
        raise ValidationFailed.for_field(where, str(exc)) from None
    if age > MAX_AFTER:
        raise ValidationFailed.for_field(where, "must be at most 30d")
    return int(age.total_seconds())


def _check_notify(session: Session, target: dict[str, str | None], where: str) -> dict[str, str]:
    given = {k: v for k, v in target.items() if v is not None}
    if len(given) != 1 or next(iter(given)) not in NOTIFY_KINDS:
        raise ValidationFailed.for_field(where, "give exactly one of user (a handle) or role")
    kind, raw = next(iter(given.items()))
    if kind == "role":
        try:
            return {"role": normalize_role(raw)}
        except ValidationFailed as exc:
            raise ValidationFailed.for_field(f"{where}.role", exc.errors[0].message) from None
    handle = raw.strip().lower()
    if session.scalar(select(User.id).where(User.handle == handle)) is None:
        raise ValidationFailed.for_field(f"{where}.user", f"no user with handle {raw!r}")
    return {"user": handle}


def check_rules(
    session: Session, scheme: SeverityScheme, rules: Sequence[RuleSpec]
) -> list[dict[str, Any]]:
    """Rules in stored form (severity id, ``after_seconds``, ``notify``), or a validation error."""
    if len(rules) > MAX_RULES:
        raise ValidationFailed.for_field("rules", f"at most {MAX_RULES} rules")
    checked: list[dict[str, Any]] = []
    for index, rule in enumerate(rules):
        where = f"rules.{index}"
        level = scheme.resolve(rule.severity, f"{where}.severity")
        after = _check_after(rule.after, f"{where}.after")
        if not rule.notify:
            raise ValidationFailed.for_field(f"{where}.notify", "a rule needs at least one person")
        if len(rule.notify) > MAX_NOTIFY:
            raise ValidationFailed.for_field(f"{where}.notify", f"at most {MAX_NOTIFY} entries")
        notify = [
            _check_notify(session, target, f"{where}.notify.{n}")
            for n, target in enumerate(rule.notify)
        ]
        checked.append({"severity": level.id, "after_seconds": after, "notify": notify})
    return checked


def rule_text(rule: StakeholderRule) -> dict[str, Any]:
    """A rule as the API, the CLI and the timeline show it (``after`` as ``15m``)."""
    return {
        "severity": rule.severity,
        "after": format_duration(timedelta(seconds=rule.after_seconds)),
        "notify": rule.notify,
    }


def list_rules(session: Session) -> list[StakeholderRule]:
    """The matrix in the order it was given."""
    return list(session.scalars(select(StakeholderRule).order_by(StakeholderRule.position)))


def digest(rules: Sequence[StakeholderRule]) -> str:
    """A fingerprint of the matrix's content; progress worked out for another one is redone."""
    text = json.dumps([[r.id, r.severity, r.after_seconds, r.notify] for r in rules])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def replace_matrix(
    session: Session, *, change: Change, scheme: SeverityScheme, rules: Sequence[RuleSpec]
) -> list[StakeholderRule]:
    """Replace the whole matrix; nobody already informed about an incident is told again."""
    checked = check_rules(session, scheme, rules)
    session.execute(delete(StakeholderRule))
    now = change.now()
    stored = [
        StakeholderRule(position=index, created_at=now, **rule)
        for index, rule in enumerate(checked)
    ]
    session.add_all(stored)
    session.flush()
    audit.record(
        session,
        change=change,
        action="stakeholders.replace",
        target="stakeholders",
        data={"rules": [rule_text(r) for r in stored]},
    )
    return stored
