"""Status page fixtures: components linked to a service, internal incidents to publish."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.severity import DEFAULT_SCHEME
from warroom.statuspage import components
from warroom.statuspage.models import StatusComponent

DeclareIncident = Callable[..., Incident]


@pytest.fixture
def checkout(session: Session, change: Change) -> StatusComponent:
    """A component "Checkout API" in the group "Payments", linked to the service "checkout"."""
    group = components.create_component(session, change=change, name="Payments", is_group=True)
    component = components.create_component(
        session,
        change=change,
        name="Checkout API",
        description="Card payments",
        group=group.public_id,
        services=["checkout"],
    )
    session.commit()
    return component


@pytest.fixture
def declare_incident(session: Session, change: Change) -> DeclareIncident:
    """Declare an internal incident (default: P2 on service checkout)."""

    def declare(title: str = "Checkout errors", severity: str = "P2", **kwargs: object) -> Incident:
        incident = incidents.declare(
            session,
            change=change,
            scheme=DEFAULT_SCHEME,
            title=title,
            severity=severity,
            service=kwargs.pop("service", "checkout"),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )
        session.commit()
        return incident

    return declare
