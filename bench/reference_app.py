"""Reference for bench/api_declare.py: parse JSON, insert one row, commit, answer. Nothing else."""

from __future__ import annotations

import json
import os
import sqlite3
import threading

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_path = os.environ.get("REFERENCE_DB", "reference.db")
_local = threading.local()


def _connection() -> sqlite3.Connection:
    if not hasattr(_local, "connection"):
        connection = sqlite3.connect(_path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS incident "
            "(id INTEGER PRIMARY KEY, title TEXT, severity TEXT)"
        )
        _local.connection = connection
    return _local.connection  # type: ignore[no-any-return]


def _insert(body: dict[str, str]) -> int:
    connection = _connection()
    cursor = connection.execute(
        "INSERT INTO incident (title, severity) VALUES (?, ?)", (body["title"], body["severity"])
    )
    connection.commit()
    return int(cursor.lastrowid or 0)


async def declare(request: Request) -> JSONResponse:
    """Insert and commit one row per request, in a worker thread like a sync endpoint."""
    body = json.loads(await request.body())
    row_id = await run_in_threadpool(_insert, body)
    return JSONResponse({"id": row_id, **body}, status_code=201)


app = Starlette(routes=[Route("/api/v1/incidents", declare, methods=["POST"])])
