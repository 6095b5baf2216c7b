"""Routing: which integration a key belongs to (cached), and each integration's rate limit."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from warroom.alerts.models import Integration
from warroom.pipeline.apply import Route
from warroom.pipeline.group import rule_from_json


@dataclass(frozen=True)
class KnownIntegration:
    """What the ingest path needs to know about an integration, without a database read."""

    id: int
    name: str
    source: str
    enabled: bool
    secret: str | None
    options: dict[str, Any]
    route: Route


def key_hash(key: str) -> str:
    """The stored form of an integration key."""
    return hashlib.sha256(key.encode()).hexdigest()


def known(integration: Integration) -> KnownIntegration:
    """The cached view of an integration row."""
    service = integration.service
    return KnownIntegration(
        id=integration.id,
        name=integration.name,
        source=integration.source,
        enabled=integration.enabled,
        secret=integration.secret,
        options=dict(integration.options or {}),
        route=Route(
            integration_id=integration.id,
            integration_name=integration.name,
            service_id=service.id,
            service_name=service.name,
            rule=rule_from_json(service.grouping),
        ),
    )


class IntegrationDirectory:
    """Finds integrations by key; answers are cached briefly so ingest rarely reads config."""

    def __init__(self, session_factory: sessionmaker[Session], ttl_seconds: float = 5.0) -> None:
        self.session_factory = session_factory
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, KnownIntegration]] = {}

    async def find(self, key: str) -> KnownIntegration | None:
        """The integration whose key this is, or None (unknown keys are never cached)."""
        digest = key_hash(key)
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        found = await asyncio.to_thread(self._load, digest)
        if found is not None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (time.monotonic() + self.ttl_seconds, found)
        return found

    def _load(self, digest: str) -> KnownIntegration | None:
        with self.session_factory() as session:
            row = session.scalar(select(Integration).where(Integration.key_hash == digest))
            return known(row) if row is not None else None


class RateLimiter:
    """A token bucket per integration: ``limit`` events a minute, bursts up to ``limit``."""

    def __init__(self) -> None:
        self._buckets: dict[int, tuple[float, float]] = {}

    def retry_after(self, integration_id: int, limit_per_minute: int, events: int = 1) -> float:
        """Seconds to wait before these events fit; 0.0 means they are admitted (and counted)."""
        if limit_per_minute <= 0:
            return 0.0
        rate = limit_per_minute / 60.0
        now = time.monotonic()
        tokens, updated = self._buckets.get(integration_id, (float(limit_per_minute), now))
        tokens = min(float(limit_per_minute), tokens + (now - updated) * rate)
        cost = min(float(events), float(limit_per_minute))
        if tokens >= cost:
            self._buckets[integration_id] = (tokens - cost, now)
            return 0.0
        self._buckets[integration_id] = (tokens, now)
        return (cost - tokens) / rate
