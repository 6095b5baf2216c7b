"""Contact methods: the ordered ways a page reaches a user (email, Slack, webhook, Apprise)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.notifications.egress import EgressGuard
from warroom.users import audit
from warroom.users.contact_rules import (
    TYPES,
    ContactSpec,
    check_contact,
    check_delay,
    check_reachable,
    check_secret,
    is_masked,
    mask_address,
)
from warroom.users.models import ContactMethod, User

__all__ = [
    "TYPES",
    "ContactSpec",
    "add_contact_method",
    "check_contact",
    "list_contact_methods",
    "mask_address",
    "remove_contact_method",
    "replace_contact_methods",
    "update_contact_method",
]


class _Unset:
    """The PATCH marker for a field not given (None means clear)."""


UNSET: Any = _Unset()


def _facts(method: ContactMethod) -> dict[str, Any]:
    """What audit rows record of a method: the address masked, never the secret."""
    return {
        "id": method.id,
        "type": method.type,
        "address": mask_address(method.type, method.address),
        "label": method.label,
        "position": method.position,
        "delay_minutes": method.delay_minutes,
        "has_secret": bool(method.secret),
    }


def _renumber(user: User) -> None:
    for position, method in enumerate(user.contact_methods, start=1):
        method.position = position


def _find(user: User, method_id: int) -> ContactMethod:
    method = next((m for m in user.contact_methods if m.id == method_id), None)
    if method is None:
        raise NotFound(f"user {user.handle!r} has no contact method {method_id}")
    return method


def list_contact_methods(session: Session, user: User) -> list[ContactMethod]:
    """A user's contact methods in the order a page tries them."""
    query = select(ContactMethod).where(ContactMethod.user_id == user.id)
    return list(session.scalars(query.order_by(ContactMethod.position, ContactMethod.id)))


def get_contact_method(user: User, method_id: int) -> ContactMethod:
    """One of a user's contact methods, or NotFound."""
    return _find(user, method_id)


def add_contact_method(
    session: Session,
    *,
    change: Change,
    user: User,
    type: str,
    address: str,
    label: str | None = None,
    position: int | None = None,
    secret: str | None = None,
    delay_minutes: int = 0,
    guard: EgressGuard | None = None,
) -> ContactMethod:
    """Add a contact method at ``position`` (1 first; the end when omitted), passing ``guard``."""
    spec = check_contact(type, address, label)
    secret = check_secret(spec.type, secret)
    check_delay(delay_minutes)
    if position is not None and position < 1:
        raise ValidationFailed.for_field("position", "must be 1 or more")
    methods = user.contact_methods
    shown = mask_address(spec.type, spec.address)
    if any((m.type, m.address) == (spec.type, spec.address) for m in methods):
        raise Conflict(f"user {user.handle!r} already has the {spec.type} {shown!r}")
    check_reachable(guard, spec.type, spec.address)
    method = ContactMethod(
        type=spec.type,
        address=spec.address,
        label=spec.label,
        secret=secret,
        delay_minutes=delay_minutes,
        position=0,
        created_at=change.now(),
    )
    index = len(methods) if position is None else min(position - 1, len(methods))
    methods.insert(index, method)
    _renumber(user)
    session.flush()
    audit.record(
        session,
        change=change,
        action="user.contact_method.add",
        target=f"user:{user.handle}",
        data=_facts(method),
    )
    return method


def update_contact_method(
    session: Session,
    *,
    change: Change,
    user: User,
    method_id: int,
    secret: str | None = UNSET,
    label: str | None = UNSET,
    position: int | None = None,
    delay_minutes: int | None = None,
) -> ContactMethod:
    """Change a method's secret (None clears), label (None clears), position or delay."""
    method = _find(user, method_id)
    changed: list[str] = []
    if secret is not UNSET:
        new_secret = check_secret(method.type, secret)
        if new_secret != method.secret:
            method.secret = new_secret
            changed.append("secret")
    if label is not UNSET:
        new_label = check_contact(method.type, method.address, label).label
        if new_label != method.label:
            method.label = new_label
            changed.append("label")
    if delay_minutes is not None and check_delay(delay_minutes) != method.delay_minutes:
        method.delay_minutes = delay_minutes
        changed.append("delay_minutes")
    if position is not None:
        if position < 1:
            raise ValidationFailed.for_field("position", "must be 1 or more")
        methods = user.contact_methods
        index = min(position - 1, len(methods) - 1)
        if methods.index(method) != index:
            methods.remove(method)
            methods.insert(index, method)
            _renumber(user)
            changed.append("position")
    if not changed:
        return method
    session.flush()
    audit.record(
        session,
        change=change,
        action="user.contact_method.update",
        target=f"user:{user.handle}",
        data={**_facts(method), "changed": changed},
    )
    return method


def remove_contact_method(session: Session, *, change: Change, user: User, method_id: int) -> None:
    """Remove one of a user's contact methods; the rest keep their order."""
    method = _find(user, method_id)
    facts = _facts(method)
    user.contact_methods.remove(method)
    _renumber(user)
    session.flush()
    audit.record(
        session,
        change=change,
        action="user.contact_method.remove",
        target=f"user:{user.handle}",
        data=facts,
    )


def _unmasked(spec: ContactSpec, user: User, taken: set[int]) -> ContactSpec:
    """``spec`` with a masked address (from an export) replaced by the method it stands for."""
    if not is_masked(spec.address):
        return spec
    for method in user.contact_methods:
        shown = mask_address(method.type, method.address)
        if method.id not in taken and (method.type, shown) == (spec.type, spec.address):
            taken.add(method.id)
            return ContactSpec(
                method.type, method.address, spec.label, spec.secret, spec.delay_minutes
            )
    raise ValidationFailed.for_field(
        "address",
        "is masked (****) and matches none of the user's current contact methods; "
        "give the real address (warroom export --include-secrets writes it)",
    )


def _checked(
    given: ContactSpec, user: User, taken: set[int], guard: EgressGuard | None
) -> ContactSpec:
    spec = _unmasked(check_contact(given.type, given.address, given.label), user, taken)
    spec = ContactSpec(
        spec.type,
        spec.address,
        spec.label,
        given.secret if given.secret is None else (check_secret(spec.type, given.secret) or ""),
        check_delay(given.delay_minutes),
    )
    if not any((m.type, m.address) == (spec.type, spec.address) for m in user.contact_methods):
        check_reachable(guard, spec.type, spec.address)
    return spec


def replace_contact_methods(
    session: Session,
    *,
    change: Change,
    user: User,
    methods: Sequence[ContactSpec],
    guard: EgressGuard | None = None,
) -> None:
    """Make ``methods`` the user's contact methods in that order; nothing is written if equal."""
    # A masked address (from an export) keeps the method it matches; new addresses pass guard.
    wanted: list[ContactSpec] = []
    taken: set[int] = set()
    for index, given in enumerate(methods):
        try:
            spec = _checked(given, user, taken, guard)
        except ValidationFailed as exc:
            field = exc.errors[0].field
            raise ValidationFailed.for_field(
                f"contact_methods.{index}.{field}", exc.errors[0].message
            ) from None
        if any((w.type, w.address) == (spec.type, spec.address) for w in wanted):
            shown = mask_address(spec.type, spec.address)
            raise ValidationFailed.for_field(
                f"contact_methods.{index}.address", f"the {spec.type} {shown!r} is given twice"
            )
        wanted.append(spec)
    existing = {(m.type, m.address): m for m in user.contact_methods}
    current = [_state(m) for m in user.contact_methods]
    kept: list[ContactMethod] = []
    for spec in wanted:
        method = existing.pop((spec.type, spec.address), None)
        if method is None:
            method = ContactMethod(
                type=spec.type, address=spec.address, position=0, created_at=change.now()
            )
        method.label = spec.label
        method.delay_minutes = spec.delay_minutes
        if spec.secret is not None:
            method.secret = spec.secret or None
        kept.append(method)
    if current == [_state(m) for m in kept] and not existing:
        return
    user.contact_methods = kept
    _renumber(user)
    session.flush()
    audit.record(
        session,
        change=change,
        action="user.contact_methods.replace",
        target=f"user:{user.handle}",
        data={"contact_methods": [_facts(m) for m in kept]},
    )


def _state(method: ContactMethod) -> tuple[Any, ...]:
    return (method.type, method.address, method.label, method.delay_minutes, method.secret)
