"""Services: create, replace, delete, look up, and the policy an incident's service pages by."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom import validation
from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.escalation.models import EscalationPolicy
from warroom.escalation.policies import get_policy
from warroom.pipeline.group import clean_rule
from warroom.services.models import Service
from warroom.users import audit


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 200 or "/" in cleaned:
        raise ValidationFailed.for_field("name", "use 1-200 characters without '/'")
    return cleaned


def _policy(session: Session, name: str | None) -> EscalationPolicy | None:
    if name is None or not name.strip():
        return None
    try:
        return get_policy(session, name)
    except NotFound as exc:
        raise ValidationFailed.for_field("escalation_policy", exc.detail) from None


def _grouping(document: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The rule to store: None keeps the default."""
    return None if document is None else clean_rule(document).as_json()


def _facts(service: Service) -> dict[str, object]:
    policy = service.escalation_policy
    return {
        "description": service.description,
        "escalation_policy": policy.name if policy else None,
        "grouping": service.grouping,
    }


def create_service(
    session: Session,
    *,
    change: Change,
    name: str,
    description: str = "",
    escalation_policy: str | None = None,
    grouping: Mapping[str, Any] | None = None,
) -> Service:
    """Register a service, optionally with its escalation policy and alert grouping rule."""
    clean_name = _clean_name(name)
    clean_description = validation.description(description)
    policy = _policy(session, escalation_policy)
    rule = _grouping(grouping)
    if session.scalar(select(Service.id).where(Service.name == clean_name)) is not None:
        raise Conflict(f"a service called {clean_name!r} already exists")
    now = change.now()
    service = Service(
        name=clean_name,
        description=clean_description,
        escalation_policy=policy,
        grouping=rule,
        created_at=now,
        updated_at=now,
    )
    session.add(service)
    session.flush()
    audit.record(
        session,
        change=change,
        action="service.create",
        target=f"service:{clean_name}",
        data=_facts(service),
    )
    return service


def replace_service(
    session: Session,
    *,
    change: Change,
    service: Service,
    description: str = "",
    escalation_policy: str | None = None,
    grouping: Mapping[str, Any] | None = None,
) -> Service:
    """Replace a service's description, escalation policy and grouping (None: the default)."""
    service.description = validation.description(description)
    service.escalation_policy = _policy(session, escalation_policy)
    service.grouping = _grouping(grouping)
    service.updated_at = change.now()
    session.flush()
    audit.record(
        session,
        change=change,
        action="service.replace",
        target=f"service:{service.name}",
        data=_facts(service),
    )
    return service


def delete_service(session: Session, *, change: Change, service: Service) -> None:
    """Remove a service; incidents keep its name."""
    name = service.name
    session.delete(service)
    session.flush()
    audit.record(session, change=change, action="service.delete", target=f"service:{name}")


def get_service(session: Session, name: str) -> Service:
    """The service called ``name``, or NotFound."""
    service = session.scalar(select(Service).where(Service.name == name.strip()))
    if service is None:
        raise NotFound(f"no service called {name!r}")
    return service


def list_services(session: Session) -> list[Service]:
    """All services by name."""
    return list(session.scalars(select(Service).order_by(Service.name)))


def policy_for(session: Session, service_name: str | None) -> EscalationPolicy | None:
    """The escalation policy of the registered service called ``service_name``, if any."""
    if not service_name:
        return None
    service = session.scalar(select(Service).where(Service.name == service_name))
    return service.escalation_policy if service else None
