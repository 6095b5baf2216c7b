"""Commit-per-request baseline for bench/ingest.py: Alertmanager webhooks into PostgreSQL, naively.

Parses the webhook JSON, upserts each alert by fingerprint with its own INSERT and COMMITs once
per request on a per-thread psycopg connection: no batching, no ORM, no grouping.

Run (bench/ingest.py does this): BASELINE_DATABASE_URL=postgresql://... BASELINE_KEY=k \
    PYTHONPATH=bench .venv/bin/python -m uvicorn ingest_baseline:app --port 8081
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_url = os.environ.get("BASELINE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_key = os.environ.get("BASELINE_KEY", "")
_local = threading.local()
_SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_alert (
    id BIGSERIAL PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    labels JSONB NOT NULL,
    annotations JSONB NOT NULL,
    starts_at TEXT,
    event_count INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
_UPSERT = """
INSERT INTO baseline_alert (fingerprint, status, title, labels, annotations, starts_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (fingerprint) DO UPDATE SET
    status = EXCLUDED.status, labels = EXCLUDED.labels, annotations = EXCLUDED.annotations,
    event_count = baseline_alert.event_count + 1, updated_at = now()
"""


def _connection() -> psycopg.Connection[Any]:
    """This thread's connection (Starlette's thread pool reuses its threads)."""
    if not hasattr(_local, "connection"):
        _local.connection = psycopg.connect(_url.replace("postgresql+psycopg://", "postgresql://"))
    return _local.connection  # type: ignore[no-any-return]


def _store(alerts: list[dict[str, Any]]) -> int:
    """One INSERT per alert, one COMMIT per request."""
    connection = _connection()
    with connection.cursor() as cursor:
        for alert in alerts:
            labels = alert.get("labels") or {}
            annotations = alert.get("annotations") or {}
            cursor.execute(
                _UPSERT,
                (
                    alert["fingerprint"],
                    alert.get("status", "firing"),
                    annotations.get("summary") or labels.get("alertname", ""),
                    Jsonb(labels),
                    Jsonb(annotations),
                    alert.get("startsAt"),
                ),
            )
    connection.commit()
    return len(alerts)


async def ingest(request: Request) -> JSONResponse:
    """Check the key, parse the webhook, store its alerts in a worker thread."""
    if request.path_params["key"] != _key:
        return JSONResponse({"detail": "the integration key is not valid"}, status_code=401)
    message = json.loads(await request.body())
    stored = await run_in_threadpool(_store, message["alerts"])
    return JSONResponse({"status": "ok", "events": stored})


@asynccontextmanager
async def _lifespan(_: Starlette) -> AsyncIterator[None]:
    """Create the table once, at startup."""
    with psycopg.connect(_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute(_SCHEMA)
    yield


app = Starlette(
    routes=[Route("/ingest/alertmanager/{key}", ingest, methods=["POST"])], lifespan=_lifespan
)
