"""publish_incident_update: the public side of an internal incident, and its components."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.statuspage.conftest import DeclareIncident
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.errors import ValidationFailed
from warroom.incidents.models import TimelineEntry
from warroom.statuspage import components
from warroom.statuspage.models import StatusComponent, StatusIncident, StatusIncidentUpdate
from warroom.statuspage.service import impact_for, publish_incident_update


def test_first_update_creates_the_public_incident_and_degrades_linked_components(
    session: Session, change: Change, checkout: StatusComponent, declare_incident: DeclareIncident
):
    incident = declare_incident(severity="P2")

    update = publish_incident_update(
        session, change=change, incident=incident, status="investigating", body="Looking into it."
    )
    session.commit()

    public = update.incident
    assert (public.name, public.status, public.impact) == (
        "Checkout errors",
        "investigating",
        "major",
    )
    assert public.incident_id == incident.id
    assert [c.name for c in public.components] == ["Checkout API"]
    assert checkout.status == "partial_outage"
    assert update.affected_components == [
        {
            "code": checkout.public_id,
            "name": "Checkout API",
            "old_status": "operational",
            "new_status": "partial_outage",
        }
    ]
    assert update.notify_pending is True
    entry = session.scalars(
        select(TimelineEntry).where(TimelineEntry.kind == "status_page_update")
    ).one()
    assert entry.data["update"] == update.public_id


def test_later_updates_append_newest_first_and_resolving_restores_operational(
    session: Session,
    change: Change,
    clock: FakeClock,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    incident = declare_incident(severity="P1")
    publish_incident_update(
        session, change=change, incident=incident, status="investigating", body="a"
    )
    clock.advance(timedelta(minutes=10))
    publish_incident_update(
        session, change=change, incident=incident, status="monitoring", body="b"
    )
    assert checkout.status == "major_outage"
    clock.advance(timedelta(minutes=10))
    last = publish_incident_update(
        session, change=change, incident=incident, status="resolved", body="c"
    )
    session.commit()

    public = session.scalars(select(StatusIncident)).one()
    assert [u.body for u in public.updates] == ["c", "b", "a"]
    assert public.monitoring_at is not None
    assert public.resolved_at == clock.now()
    assert checkout.status == "operational"
    assert last.affected_components[0]["old_status"] == "major_outage"
    assert last.affected_components[0]["new_status"] == "operational"


def test_resolving_one_incident_keeps_the_outage_another_still_causes(
    session: Session, change: Change, checkout: StatusComponent, declare_incident: DeclareIncident
):
    minor = declare_incident(title="Slow checkout", severity="P3")
    critical = declare_incident(title="Checkout down", severity="P1")
    publish_incident_update(
        session, change=change, incident=minor, status="investigating", body="x"
    )
    publish_incident_update(
        session, change=change, incident=critical, status="identified", body="y"
    )
    assert checkout.status == "major_outage"

    publish_incident_update(session, change=change, incident=critical, status="resolved", body="z")

    assert checkout.status == "degraded_performance"


def test_a_component_that_does_not_follow_incidents_keeps_its_status(
    session: Session, change: Change, checkout: StatusComponent, declare_incident: DeclareIncident
):
    components.update_component(
        session, change=change, component=checkout, fields={"follow_incidents": False}
    )
    incident = declare_incident(severity="P1")

    update = publish_incident_update(
        session, change=change, incident=incident, status="investigating", body="x"
    )

    assert checkout.status == "operational"
    assert update.affected_components[0]["new_status"] == "operational"


@pytest.mark.parametrize("status", ["postmortem", "triggered", "", "RESOLVED!"])
def test_an_unknown_public_status_is_refused_without_writing(
    session: Session,
    change: Change,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
    status: str,
):
    incident = declare_incident()

    with pytest.raises(ValidationFailed) as failure:
        publish_incident_update(session, change=change, incident=incident, status=status, body="x")

    assert failure.value.status == 422
    assert "investigating, identified, monitoring, resolved" in failure.value.detail
    assert session.scalars(select(StatusIncidentUpdate)).all() == []


def test_an_empty_body_is_refused(
    session: Session, change: Change, declare_incident: DeclareIncident
):
    incident = declare_incident()
    with pytest.raises(ValidationFailed, match="body"):
        publish_incident_update(
            session, change=change, incident=incident, status="identified", body=" "
        )


def test_impact_follows_the_scheme_order():
    assert [impact_for(level) for level in ("P1", "P2", "P3", "P4")] == [
        "critical",
        "major",
        "minor",
        "none",
    ]
    assert impact_for("sev1") == "critical"
