"""Real time, real server: `warroom serve` pages a 2 s step on time, and an ack stops the rest."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.clock import SystemClock
from warroom.config import load_settings
from warroom.db import make_engine, make_session_factory, transaction
from warroom.migrate import upgrade
from warroom.users.service import create_token, create_user


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], seconds: float) -> Any:
    """Poll ``check`` every 50 ms until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"nothing after {seconds}s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[httpx.Client]:
    """`python -m warroom serve` on a fresh SQLite database, engine every 0.2 s; admin client."""
    url = f"sqlite:///{tmp_path / 'warroom.db'}"
    database = make_engine(load_settings(database_url=url))
    upgrade(database)
    change = Change(actor=Actor(kind="cli", name="tester", role=Role.admin), clock=SystemClock())
    with transaction(make_session_factory(database)) as session:
        for handle in ("alice", "bob"):
            create_user(
                session, change=change, handle=handle, name=handle, email=f"{handle}@x.test"
            )
        secret = create_token(session, change=change, name="admin", role="admin").secret
    database.dispose()
    port = free_port()
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": url,
        "WARROOM_ENGINE_INTERVAL": "0.2",
        "WARROOM_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "warroom", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {secret}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:

            def up() -> bool:
                try:
                    return client.get("/healthz").status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(up, 10)
            yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pages(client: httpx.Client, ref: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/incidents/{ref}/notifications")
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["kind"] == "page"]


def test_the_2s_step_pages_on_time_and_an_ack_stops_the_rest(server: httpx.Client) -> None:
    policy = {
        "name": "fast",
        "steps": [
            {"after": "0s", "targets": [{"user": "alice"}]},
            {"after": "2s", "targets": [{"user": "bob"}]},
        ],
    }
    assert server.post("/api/v1/escalation-policies", json=policy).status_code == 201
    service = {"name": "checkout", "escalation_policy": "fast"}
    assert server.post("/api/v1/services", json=service).status_code == 201
    body = {"title": "Checkout is down", "severity": "P1", "service": "checkout"}

    first = server.post("/api/v1/incidents", json=body).json()["ref"]
    started = server.get(f"/api/v1/incidents/{first}/escalation").json()["started_at"]
    both = wait_for(lambda: len(pages(server, first)) >= 2 and pages(server, first), 6)
    assert [p["user"] for p in both] == ["alice", "bob"]
    due = datetime.fromisoformat(started) + timedelta(seconds=2)
    late = datetime.fromisoformat(both[1]["created_at"]) - due
    assert timedelta() <= late <= timedelta(seconds=1.5), late

    second = server.post("/api/v1/incidents", json=body).json()["ref"]
    wait_for(lambda: pages(server, second), 3)
    acked = server.post(f"/api/v1/incidents/{second}/status", json={"status": "acknowledged"})
    assert acked.status_code == 200
    time.sleep(3)
    assert [p["user"] for p in pages(server, second)] == ["alice"]
    escalation = server.get(f"/api/v1/incidents/{second}/escalation").json()
    assert escalation["state"] == "stopped"
