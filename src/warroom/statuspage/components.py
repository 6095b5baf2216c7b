"""Status page components and groups: create, edit, move status (with history), look up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom import validation
from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.statuspage.models import StatusComponent, StatusComponentChange
from warroom.users import audit

OPERATIONAL = "operational"
UNDER_MAINTENANCE = "under_maintenance"
# Least to most severe; a group shows its worst child.
COMPONENT_STATUSES = (
    OPERATIONAL,
    UNDER_MAINTENANCE,
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
EDITABLE = (
    "name",
    "description",
    "group",
    "position",
    "showcase",
    "only_show_if_degraded",
    "start_date",
    "services",
    "follow_incidents",
)


def parse_component_status(value: str, field: str = "status") -> str:
    """A component status, or a validation error listing them."""
    cleaned = value.strip().lower() if isinstance(value, str) else ""
    if cleaned not in COMPONENT_STATUSES:
        raise ValidationFailed.for_field(
            field, f"unknown component status {value!r}; use one of {', '.join(COMPONENT_STATUSES)}"
        )
    return cleaned


def worst(statuses: Sequence[str]) -> str:
    """The most severe of some component statuses (operational when there are none)."""
    return max(statuses, key=COMPONENT_STATUSES.index, default=OPERATIONAL)


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split()) if isinstance(name, str) else ""
    if not cleaned or len(cleaned) > 200:
        raise ValidationFailed.for_field("name", "use 1-200 characters")
    return cleaned


def _clean_services(services: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for service in services:
        value = service.strip() if isinstance(service, str) else ""
        if not value or len(value) > 200:
            raise ValidationFailed.for_field("services", "each service name has 1-200 characters")
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def _group(session: Session, public_id: str | None) -> StatusComponent | None:
    if public_id is None or not public_id.strip():
        return None
    group = session.scalar(select(StatusComponent).where(StatusComponent.public_id == public_id))
    if group is None or not group.is_group:
        raise ValidationFailed.for_field("group", f"no component group with id {public_id!r}")
    return group


def record_status(
    session: Session,
    *,
    change: Change,
    component: StatusComponent,
    status: str,
    notify: bool = False,
) -> bool:
    """Move a component to ``status`` and keep the history; False if it already was."""
    if component.status == status:
        return False
    now = change.now()
    session.add(
        StatusComponentChange(
            component_id=component.id,
            status=status,
            old_status=component.status,
            at=now,
            notify_pending=notify,
        )
    )
    component.status = status
    component.updated_at = now
    return True


def create_component(
    session: Session,
    *,
    change: Change,
    name: str,
    description: str = "",
    group: str | None = None,
    is_group: bool = False,
    position: int | None = None,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    start_date: date | None = None,
    status: str = OPERATIONAL,
    services: Sequence[str] = (),
    follow_incidents: bool = True,
) -> StatusComponent:
    """Add a component (or, with ``is_group``, a group) to the page."""
    clean_name = _clean_name(name)
    parent = _group(session, group)
    if is_group and parent is not None:
        raise ValidationFailed.for_field("group", "a group cannot be inside another group")
    clean_status = parse_component_status(status)
    if position is None:
        last = session.scalar(select(func.max(StatusComponent.position)))
        position = (last or 0) + 1
    now = change.now()
    component = StatusComponent(
        name=clean_name,
        description=validation.description(description),
        is_group=is_group,
        group_id=parent.id if parent else None,
        position=position,
        showcase=showcase,
        only_show_if_degraded=only_show_if_degraded,
        start_date=start_date,
        status=clean_status,
        services=_clean_services(services),
        follow_incidents=follow_incidents,
        created_at=now,
        updated_at=now,
    )
    session.add(component)
    session.flush()
    session.add(
        StatusComponentChange(
            component_id=component.id, status=clean_status, old_status=None, at=now
        )
    )
    audit.record(
        session,
        change=change,
        action="status_component.create",
        target=f"status_component:{component.public_id}",
        data={"name": clean_name, "group": is_group, "status": clean_status},
    )
    return component


def update_component(
    session: Session, *, change: Change, component: StatusComponent, fields: dict[str, Any]
) -> StatusComponent:
    """Change some of a component's fields (see EDITABLE); ``status`` goes through set_status."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], f"not editable; use {', '.join(EDITABLE)}")
    if "name" in fields:
        component.name = _clean_name(fields["name"])
    if "description" in fields:
        component.description = validation.description(fields["description"] or "")
    if "group" in fields:
        parent = _group(session, fields["group"])
        if parent is not None and (component.is_group or parent.id == component.id):
            raise ValidationFailed.for_field("group", "a group cannot be inside another group")
        component.group_id = parent.id if parent else None
    for flag in ("showcase", "only_show_if_degraded", "follow_incidents"):
        if flag in fields:
            setattr(component, flag, bool(fields[flag]))
    if "position" in fields:
        component.position = int(fields["position"])
    if "start_date" in fields:
        component.start_date = fields["start_date"]
    if "services" in fields:
        component.services = _clean_services(fields["services"] or [])
    component.updated_at = change.now()
    session.flush()
    audit.record(
        session,
        change=change,
        action="status_component.update",
        target=f"status_component:{component.public_id}",
        data={key: str(value) for key, value in fields.items()},
    )
    return component


def set_status(
    session: Session, *, change: Change, component: StatusComponent, status: str
) -> StatusComponent:
    """Set a component's status by hand; subscribers are told."""
    if component.is_group:
        raise Conflict("a group's status is its worst component's; set a component instead")
    clean = parse_component_status(status)
    old = component.status
    if record_status(session, change=change, component=component, status=clean, notify=True):
        audit.record(
            session,
            change=change,
            action="status_component.set_status",
            target=f"status_component:{component.public_id}",
            data={"old_status": old, "new_status": clean},
        )
    session.flush()
    return component


def delete_component(session: Session, *, change: Change, component: StatusComponent) -> None:
    """Remove a component; a group's members become ungrouped."""
    public_id = component.public_id
    for child in session.scalars(
        select(StatusComponent).where(StatusComponent.group_id == component.id)
    ):
        child.group_id = None
    session.delete(component)
    session.flush()
    audit.record(
        session,
        change=change,
        action="status_component.delete",
        target=f"status_component:{public_id}",
    )


def get_component(session: Session, public_id: str) -> StatusComponent:
    """The component with this public id, or NotFound."""
    component = session.scalar(
        select(StatusComponent).where(StatusComponent.public_id == public_id.strip())
    )
    if component is None:
        raise NotFound(f"no status page component with id {public_id!r}")
    return component


def find_components(session: Session, public_ids: Sequence[str]) -> list[StatusComponent]:
    """The components with these public ids (in that order), or a validation error."""
    wanted = list(dict.fromkeys(public_ids))
    if not wanted:
        return []
    found = {
        c.public_id: c
        for c in session.scalars(
            select(StatusComponent).where(StatusComponent.public_id.in_(wanted))
        )
    }
    missing = [public_id for public_id in wanted if public_id not in found]
    if missing:
        raise ValidationFailed.for_field("components", f"no component with id {missing[0]!r}")
    if any(found[public_id].is_group for public_id in wanted):
        raise ValidationFailed.for_field("components", "name components, not groups")
    return [found[public_id] for public_id in wanted]


def list_components(session: Session) -> list[StatusComponent]:
    """Every component and group, in page order."""
    return list(
        session.scalars(
            select(StatusComponent).order_by(StatusComponent.position, StatusComponent.id)
        )
    )


def components_for_service(session: Session, service: str | None) -> list[StatusComponent]:
    """The components linked to a warroom service (none for no service)."""
    if not service:
        return []
    return [c for c in list_components(session) if not c.is_group and service in (c.services or [])]
