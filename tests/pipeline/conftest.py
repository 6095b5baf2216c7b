"""Fixtures for pipeline tests: a service, an integration and a writer on the test database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from warroom.alerts.models import Integration
from warroom.clock import FakeClock
from warroom.db import make_session_factory
from warroom.pipeline.apply import Outcome, PipelineSettings, Route, Submission
from warroom.pipeline.event import AlertStatus, Event
from warroom.pipeline.group import rule_from_json
from warroom.pipeline.ingest import IngestWriter
from warroom.services.models import Service
from warroom.severity import DEFAULT_SCHEME


def add_route(
    session: Session,
    clock: FakeClock,
    *,
    name: str = "prom",
    source: str = "alertmanager",
    service: str = "checkout-api",
    grouping: dict[str, object] | None = None,
) -> Route:
    """A service (created if missing) and an integration feeding it, committed."""
    now = clock.now()
    row = session.query(Service).filter_by(name=service).one_or_none()
    if row is None:
        row = Service(name=service, description="", created_at=now, updated_at=now)
        session.add(row)
    row.grouping = grouping
    integration = Integration(
        name=name,
        source=source,
        service=row,
        key_hash=hashlib.sha256(name.encode()).hexdigest(),
        key_hint=name[-4:],
        options={},
        enabled=True,
        poll_state={},
        created_at=now,
        updated_at=now,
    )
    session.add(integration)
    session.commit()
    return Route(
        integration_id=integration.id,
        integration_name=name,
        service_id=row.id,
        service_name=row.name,
        rule=rule_from_json(grouping),
    )


def firing(
    key: str, alertname: str = "HighErrorRate", severity: str = "P2", **extra: object
) -> Event:
    """A firing Alertmanager-style event."""
    labels = {"alertname": alertname, "instance": key}
    return Event(
        source_format="alertmanager",
        dedup_key=key,
        status=AlertStatus.firing,
        severity=severity,
        title=f"{alertname} on {key}",
        labels=labels,
        **extra,  # type: ignore[arg-type]
    )


def resolved(key: str, alertname: str = "HighErrorRate") -> Event:
    """The resolve of ``firing(key)``."""
    event = firing(key, alertname)
    event.status = AlertStatus.resolved
    return event


@pytest.fixture
def writer(engine: Engine, clock: FakeClock) -> IngestWriter:
    """A group-commit writer with a 15-minute quiet period."""
    settings = PipelineSettings(scheme=DEFAULT_SCHEME, quiet_period=timedelta(minutes=15))
    return IngestWriter(make_session_factory(engine), clock, settings)


@pytest.fixture
def send(writer: IngestWriter) -> Callable[..., Outcome]:
    """Apply one submission synchronously and return its outcome."""

    def apply_one(route: Route, *events: Event) -> Outcome:
        (outcome,) = writer.write([Submission(route=route, events=list(events))])
        return outcome

    return apply_one
