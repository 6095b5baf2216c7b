"""Rows the alert tests share: a service, integrations and alerts inserted directly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from warroom.alerts.integrations import create_integration
from warroom.alerts.models import Alert, Integration
from warroom.change import Change
from warroom.services.service import create_service

INTEGRATIONS = "/api/v1/integrations"
ALERTS = "/api/v1/alerts"


@pytest.fixture
def checkout(session: Session, change: Change) -> str:
    """A registered service called checkout."""
    create_service(session, change=change, name="checkout")
    session.commit()
    return "checkout"


def add_integration(
    session: Session, change: Change, name: str = "prom", **fields: Any
) -> Integration:
    """An alertmanager integration of checkout (unless ``fields`` say otherwise)."""
    fields = {"source": "alertmanager", "service": "checkout", **fields}
    integration, _ = create_integration(session, change=change, name=name, **fields)
    session.commit()
    return integration


def add_alert(session: Session, change: Change, integration: Integration, **fields: Any) -> Alert:
    """An alert row as the pipeline would store it; ``fields`` override the defaults."""
    now = change.now()
    values: dict[str, Any] = {
        "integration_id": integration.id,
        "source_format": integration.source,
        "dedup_key": "k1",
        "status": "firing",
        "severity": "P2",
        "title": "High error rate",
        "description": "",
        "service": None,
        "resource": None,
        "labels": {"alertname": "HighErrorRate"},
        "links": [],
        "started_at": now - timedelta(minutes=5),
        "ended_at": None,
        "last_event_at": now,
        "event_count": 1,
        "raw": {"receiver": "warroom"},
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    alert = Alert(**values)
    session.add(alert)
    session.commit()
    return alert
