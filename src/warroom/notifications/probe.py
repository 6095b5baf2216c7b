"""Test notifications: send a ``test`` message to one contact method now and say how it went."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from warroom.channels.base import Destination, SendResult
from warroom.config import Settings
from warroom.incidents.models import Incident
from warroom.notifications.delivery import delivery_parts
from warroom.notifications.render import Renderer, TemplateProblem
from warroom.users.models import ContactMethod

log = logging.getLogger(__name__)


def example_incident(now: datetime) -> Incident:
    """An unsaved incident the test message describes."""
    return Incident(
        ref="test",
        title="Test notification from warroom",
        summary="",
        severity="P4",
        status="triggered",
        service=None,
        impact="",
        customer_facing=False,
        detected_at=now,
    )


def send_test(method: ContactMethod, settings: Settings, now: datetime) -> SendResult:
    """Render and send a test message through the method's channel, once, synchronously."""
    registry, renderer = delivery_parts(settings)
    facts: dict[str, Any] = {
        "kind": "test",
        "channel": method.type,
        "incident": example_incident(now),
        # A fresh key per test: receivers drop repeats of a key, and each test is a new message.
        "idempotency_key": f"test:{method.user.handle}:{method.id}:{uuid.uuid4().hex[:12]}",
        "recipient": method.user.name,
    }
    try:
        message = renderer.render(**facts)
    except TemplateProblem:
        log.exception("custom test template failed; using the default")
        message = Renderer(renderer.base_url, scheme=renderer.scheme).render(**facts)
    channel = registry.get(method.type)
    if channel is None:
        return SendResult(ok=False, detail=f"no channel for {method.type}")
    destination = Destination(type=method.type, address=method.address, secret=method.secret)
    try:
        return channel.send(message, destination)
    except Exception as exc:
        log.exception("channel %s raised", method.type)
        return SendResult(ok=False, retryable=True, detail=f"channel error: {type(exc).__name__}")
