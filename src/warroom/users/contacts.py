"""Contact methods: the ordered ways a page reaches a user (email, Slack, webhook, Apprise)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.users import audit
from warroom.users.models import ContactMethod, User
from warroom.users.service import EMAIL

TYPES = ("email", "slack", "webhook", "apprise")
_SLACK_MEMBER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_SLACK_CHANNEL = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")
_APPRISE = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
_MAX_ADDRESS = 1000
_MAX_LABEL = 200


@dataclass(frozen=True)
class ContactSpec:
    """A contact method as given to ``replace_contact_methods``; list order is the position."""

    type: str
    address: str
    label: str | None = None


def _is_web_url(address: str, schemes: tuple[str, ...]) -> bool:
    """Whether ``address`` is an absolute URL with one of ``schemes`` and a host."""
    if any(c.isspace() for c in address):
        return False
    try:
        parts = urlsplit(address)
        return parts.scheme.lower() in schemes and bool(parts.hostname)
    except ValueError:
        return False


def _address_problem(kind: str, address: str) -> str | None:
    """Why ``address`` is not usable for a contact method of ``kind``, or None."""
    if kind == "email" and not EMAIL.match(address):
        return f"{address!r} is not an email address"
    if kind == "slack" and not (
        _SLACK_MEMBER.match(address)
        or _SLACK_CHANNEL.match(address)
        or _is_web_url(address, ("https",))
    ):
        return (
            f"{address!r} is not a Slack member id (like U0123ABCD), "
            "a channel (#name) or an incoming-webhook https URL"
        )
    if kind == "webhook" and not _is_web_url(address, ("http", "https")):
        return f"{address!r} is not an http(s) URL"
    if kind == "apprise" and not _APPRISE.match(address):
        return f"{address!r} is not an Apprise URL (scheme://...)"
    return None


def check_contact(kind: str, address: str, label: str | None) -> ContactSpec:
    """The cleaned contact method, or ValidationFailed naming type, address or label."""
    kind = kind.strip().lower()
    if kind not in TYPES:
        raise ValidationFailed.for_field(
            "type", f"unknown contact method type {kind!r}; use one of {', '.join(TYPES)}"
        )
    address = address.strip()
    if not address:
        raise ValidationFailed.for_field("address", "must not be empty")
    if len(address) > _MAX_ADDRESS:
        raise ValidationFailed.for_field("address", f"must be at most {_MAX_ADDRESS} characters")
    problem = _address_problem(kind, address)
    if problem:
        raise ValidationFailed.for_field("address", problem)
    label = (label or "").strip() or None
    if label is not None and len(label) > _MAX_LABEL:
        raise ValidationFailed.for_field("label", f"must be at most {_MAX_LABEL} characters")
    return ContactSpec(kind, address, label)


def _facts(method: ContactMethod) -> dict[str, Any]:
    return {
        "id": method.id,
        "type": method.type,
        "address": method.address,
        "label": method.label,
        "position": method.position,
    }


def _renumber(user: User) -> None:
    for position, method in enumerate(user.contact_methods, start=1):
        method.position = position


def list_contact_methods(session: Session, user: User) -> list[ContactMethod]:
    """A user's contact methods in the order a page tries them."""
    query = select(ContactMethod).where(ContactMethod.user_id == user.id)
    return list(session.scalars(query.order_by(ContactMethod.position, ContactMethod.id)))


def add_contact_method(
    session: Session,
    *,
    change: Change,
    user: User,
    type: str,
    address: str,
    label: str | None = None,
    position: int | None = None,
) -> ContactMethod:
    """Add a contact method at ``position`` (1 is tried first; the end when omitted)."""
    spec = check_contact(type, address, label)
    if position is not None and position < 1:
        raise ValidationFailed.for_field("position", "must be 1 or more")
    methods = user.contact_methods
    if any((m.type, m.address) == (spec.type, spec.address) for m in methods):
        raise Conflict(f"user {user.handle!r} already has the {spec.type} {spec.address!r}")
    method = ContactMethod(
        type=spec.type,
        address=spec.address,
        label=spec.label,
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


def remove_contact_method(session: Session, *, change: Change, user: User, method_id: int) -> None:
    """Remove one of a user's contact methods; the rest keep their order."""
    method = next((m for m in user.contact_methods if m.id == method_id), None)
    if method is None:
        raise NotFound(f"user {user.handle!r} has no contact method {method_id}")
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


def replace_contact_methods(
    session: Session, *, change: Change, user: User, methods: Sequence[ContactSpec]
) -> None:
    """Make ``methods`` the user's contact methods in that order; nothing is written if equal."""
    wanted: list[ContactSpec] = []
    for index, given in enumerate(methods):
        try:
            spec = check_contact(given.type, given.address, given.label)
        except ValidationFailed as exc:
            field = exc.errors[0].field
            raise ValidationFailed.for_field(
                f"contact_methods.{index}.{field}", exc.errors[0].message
            ) from None
        if any((w.type, w.address) == (spec.type, spec.address) for w in wanted):
            raise ValidationFailed.for_field(
                f"contact_methods.{index}.address",
                f"the {spec.type} {spec.address!r} is given twice",
            )
        wanted.append(spec)
    current = [ContactSpec(m.type, m.address, m.label) for m in user.contact_methods]
    if current == wanted:
        return
    existing = {(m.type, m.address): m for m in user.contact_methods}
    kept: list[ContactMethod] = []
    for spec in wanted:
        method = existing.pop((spec.type, spec.address), None)
        if method is None:
            method = ContactMethod(
                type=spec.type, address=spec.address, position=0, created_at=change.now()
            )
        method.label = spec.label
        kept.append(method)
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
