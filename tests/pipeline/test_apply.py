"""The pipeline on both databases: dedup, status per alert, grouping, quiet period, suppression."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert, Suppression
from warroom.clock import FakeClock
from warroom.engine.monitoring import MonitoringModule
from warroom.incidents.models import Incident, TimelineEntry
from warroom.pipeline.apply import Outcome, Submission
from warroom.pipeline.event import AlertStatus, Event
from warroom.pipeline.ingest import IngestWriter

from .conftest import add_route, firing, resolved

Send = Callable[..., Outcome]


def _incidents(session: Session) -> list[Incident]:
    session.expire_all()
    return list(session.scalars(select(Incident).order_by(Incident.id)))


def _kinds(session: Session, incident: Incident) -> list[str]:
    query = select(TimelineEntry.kind).where(TimelineEntry.incident_id == incident.id)
    return list(session.scalars(query.order_by(TimelineEntry.id)))


def test_a_new_alert_opens_an_incident_and_a_repeat_only_counts(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    first = send(route, firing("a"))
    clock.advance(timedelta(minutes=1))
    again = send(route, firing("a"))
    assert (first.created, again.updated) == (1, 1)
    assert first.alert_ids == again.alert_ids
    (incident,) = _incidents(session)
    assert (incident.status, incident.severity, incident.service) == (
        "triggered",
        "P2",
        "checkout-api",
    )
    assert first.incident_refs == [incident.ref]
    alert = session.scalars(select(Alert)).one()
    assert (alert.event_count, alert.status, alert.incident_id) == (2, "firing", incident.id)
    assert _kinds(session, incident).count("alert_attached") == 1


def test_alerts_group_by_alertname_and_a_worse_one_raises_the_severity(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    send(route, firing("a", severity="P3"), firing("b", severity="P3"))
    send(route, firing("c", alertname="DiskFull", severity="P4"))
    send(route, firing("d", severity="P1"))
    grouped, disk = _incidents(session)
    assert grouped.severity == "P1"
    assert disk.severity == "P4"
    assert "severity_changed" in _kinds(session, grouped)
    counts = dict(
        session.execute(select(Alert.incident_id, func.count()).group_by(Alert.incident_id)).all()
    )
    assert counts == {grouped.id: 3, disk.id: 1}


def test_all_alerts_resolved_means_monitoring_then_resolved_after_the_quiet_period(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    send(route, firing("a"), firing("b"))
    send(route, resolved("a"))
    (incident,) = _incidents(session)
    assert incident.status == "triggered"
    send(route, resolved("b"))
    (incident,) = _incidents(session)
    assert incident.status == "monitoring"
    assert incident.acknowledged_at is None
    assert incident.quiet_until == clock.now() + timedelta(minutes=15)
    module = MonitoringModule()
    clock.advance(timedelta(minutes=14))
    assert module.run(session, clock.now()) == 0
    clock.advance(timedelta(minutes=1))
    assert module.run(session, clock.now()) == 1
    session.commit()
    (incident,) = _incidents(session)
    assert (incident.status, incident.resolved_at) == ("resolved", clock.now())
    assert {a.status for a in session.scalars(select(Alert))} == {"resolved"}


def test_a_refire_during_the_quiet_period_reopens_investigation(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    send(route, firing("a"))
    send(route, resolved("a"))
    clock.advance(timedelta(minutes=5))
    outcome = send(route, firing("a"))
    assert outcome.created == 1
    (incident,) = _incidents(session)
    assert (incident.status, incident.quiet_until) == ("investigating", None)
    clock.advance(timedelta(minutes=30))
    assert MonitoringModule().run(session, clock.now()) == 0
    assert session.scalar(select(func.count()).select_from(Alert)) == 2


def test_a_trigger_after_the_incident_resolved_opens_a_new_one(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    send(route, firing("a"))
    send(route, resolved("a"))
    clock.advance(timedelta(minutes=16))
    MonitoringModule().run(session, clock.now())
    session.commit()
    send(route, firing("a"))
    first, second = _incidents(session)
    assert (first.status, second.status) == ("resolved", "triggered")


def test_ack_and_resolve_of_unknown_keys_are_accepted_no_ops(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    acked = firing("nobody")
    acked.status = AlertStatus.acknowledged
    outcome = send(route, acked, resolved("ghost"))
    assert (outcome.ignored, outcome.alert_ids) == (2, [None, None])
    assert _incidents(session) == []


def test_an_ack_from_the_sender_acknowledges_the_alert_and_the_incident(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    send(route, firing("a", severity="P1"))
    ack = firing("a")
    ack.status, ack.severity = AlertStatus.acknowledged, None
    send(route, ack)
    alert = session.scalars(select(Alert)).one()
    (incident,) = _incidents(session)
    assert (alert.status, alert.severity) == ("acknowledged", "P1")
    assert incident.status == "acknowledged"
    again = firing("a")
    send(route, again)
    session.refresh(alert)
    assert alert.status == "acknowledged"


def test_a_retried_delivery_is_applied_once(session: Session, clock: FakeClock, send: Send) -> None:
    route = add_route(session, clock)
    first = send(route, firing("a", delivery_id="sns-1"))
    retry = send(route, firing("a", delivery_id="sns-1"))
    assert (first.created, retry.ignored) == (1, 1)
    assert session.scalars(select(Alert)).one().event_count == 1


def test_a_silence_stores_the_alert_without_an_incident(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    silence = Suppression(
        kind="silence",
        service=None,
        matchers=[{"name": "alertname", "op": "=~", "value": "High.*"}],
        starts_at=clock.now(),
        ends_at=clock.now() + timedelta(hours=1),
        comment="deploy",
        created_by="tester",
        created_at=clock.now(),
    )
    session.add(silence)
    session.commit()
    send(route, firing("a"), firing("b", alertname="DiskFull"))
    alerts = {a.dedup_key: a for a in session.scalars(select(Alert))}
    assert alerts["a"].suppressed_by == silence.id
    assert alerts["a"].incident_id is None
    assert alerts["b"].incident_id is not None
    clock.advance(timedelta(hours=2))
    send(route, firing("c"))
    assert len(_incidents(session)) == 2


def test_grouping_none_and_time_and_the_window(
    session: Session, clock: FakeClock, send: Send
) -> None:
    each = add_route(session, clock, name="each", service="svc-none", grouping={"mode": "none"})
    timed = add_route(
        session,
        clock,
        name="timed",
        service="svc-time",
        grouping={"mode": "time", "labels": [], "window_seconds": 600},
    )
    send(each, firing("a"), firing("b"))
    send(timed, firing("x", alertname="One"), firing("y", alertname="Two"))
    clock.advance(timedelta(minutes=11))
    send(timed, firing("z", alertname="Three"))
    by_service: dict[str | None, int] = {}
    for incident in _incidents(session):
        by_service[incident.service] = by_service.get(incident.service, 0) + 1
    assert by_service == {"svc-none": 2, "svc-time": 2}


def test_a_storm_of_500_alerts_over_5_alertnames_makes_5_incidents(
    session: Session, clock: FakeClock, writer: IngestWriter
) -> None:
    route = add_route(session, clock)
    names = [f"Alert{n}" for n in range(5)]

    async def storm() -> list[Outcome]:
        submissions = []
        for i in range(500):
            clock.advance(timedelta(milliseconds=100))
            event = firing(f"host-{i}", alertname=names[i % 5])
            submissions.append(writer.submit(Submission(route=route, events=[event])))
        return await asyncio.gather(*submissions)

    outcomes = asyncio.run(storm())
    assert sum(o.created for o in outcomes) == 500
    assert len(_incidents(session)) == 5
    assert session.scalar(select(func.count()).select_from(Alert)) == 500


def test_events_of_one_submission_apply_in_order(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock)
    outcome = send(route, firing("a"), resolved("a"), firing("a"))
    assert (outcome.created, outcome.updated) == (2, 1)
    statuses = sorted(a.status for a in session.scalars(select(Alert)))
    assert statuses == ["firing", "resolved"]


def test_every_event_of_a_batch_is_stored_or_none_is(
    session: Session, clock: FakeClock, writer: IngestWriter
) -> None:
    route = add_route(session, clock)
    broken = Event(
        source_format="alertmanager",
        dedup_key="k" * 600,
        status=AlertStatus.firing,
        severity="P2",
        title="too long a key for the column",
    )
    good = Submission(route=route, events=[firing("a")])

    async def both() -> list[object]:
        return await asyncio.gather(
            writer.submit(good),
            writer.submit(Submission(route=route, events=[firing("b"), broken])),
            return_exceptions=True,
        )

    results = asyncio.run(both())
    assert isinstance(results[0], Outcome)
    keys = sorted(a.dedup_key for a in session.scalars(select(Alert)))
    # SQLite does not enforce VARCHAR lengths, so there the long key is simply stored.
    if session.get_bind().dialect.name == "postgresql":
        assert isinstance(results[1], Exception)
        assert keys == ["a"]
    else:
        assert keys == ["a", "b", "k" * 600]


def test_alerts_without_the_grouping_labels_group_by_title(
    session: Session, clock: FakeClock, send: Send
) -> None:
    route = add_route(session, clock, name="pd", source="pagerduty")

    def report(key: str, title: str) -> Event:
        return Event(
            source_format="pagerduty-v2",
            dedup_key=key,
            status=AlertStatus.firing,
            severity="P2",
            title=title,
        )

    send(route, report("1", "Disk full on db-1"), report("2", "Payment timeouts"))
    send(route, report("3", "Disk full on db-1"))
    assert sorted(i.title for i in _incidents(session)) == ["Disk full on db-1", "Payment timeouts"]
