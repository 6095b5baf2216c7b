"""Throttling: at most N messages a minute per contact method; the rest arrive as one bundle."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.escalation.conftest import declare

from .conftest import notifications


@pytest.fixture
def limited(delivery_settings):
    """At most 3 messages a minute per contact method."""
    return delivery_settings.model_copy(update={"delivery_rate_per_minute": 3})


def _sender(engine, clock, settings):
    from warroom.cli.engine import build_engine

    return build_engine(engine, clock, settings, wait_for_sends=True)


def test_a_burst_becomes_two_pages_and_one_bundle(
    client, admin, paged, add_method, engine, clock, limited, receiver
):
    add_method("alice", "webhook", f"{receiver.url}/page")
    first = paged()
    refs = [first] + [declare(client, admin, service="web") for _ in range(4)]
    loop = _sender(engine, clock, limited)
    try:
        loop.tick()
        bodies = [json.loads(r.body) for r in receiver.requests]
        assert sorted(b["type"] for b in bodies) == ["bundle", "page", "page"]
        (bundle,) = [b for b in bodies if b["type"] == "bundle"]
        assert bundle["bundle"]["count"] == 3
        assert bundle["bundle"]["refs"] == sorted(refs[2:])
        statuses = [notifications(client, admin, ref)[0]["status"] for ref in refs]
        assert sorted(statuses) == ["bundled", "bundled", "sent", "sent", "sent"]

        more = [declare(client, admin, service="web") for _ in range(2)]
        loop.tick()
        assert len(receiver.requests) == 3  # the minute is full: held back
        clock.advance(timedelta(seconds=61))
        loop.tick()
        assert len(receiver.requests) == 5  # room again: both go on their own
        assert all(notifications(client, admin, r)[0]["status"] == "sent" for r in more)
    finally:
        loop.close()


def test_no_limit_sends_every_page_alone(
    client, admin, paged, add_method, engine, clock, delivery_settings, receiver
):
    add_method("alice", "webhook", f"{receiver.url}/page")
    paged()
    for _ in range(11):
        declare(client, admin, service="web")
    unlimited = delivery_settings.model_copy(update={"delivery_rate_per_minute": 0})
    loop = _sender(engine, clock, unlimited)
    try:
        loop.tick()
    finally:
        loop.close()
    assert len(receiver.requests) == 12
