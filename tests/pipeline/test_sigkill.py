"""A 2xx is a promise: SIGKILL the server during a load run and every acknowledged alert stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert
from warroom.clock import FakeClock

from ..escalation.test_real_time import free_port, wait_for
from .conftest import add_route


@pytest.fixture
def server_process(
    database_url: str, session: Session, clock: FakeClock
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m warroom serve --no-engine` on the test database: its ingest URL and process."""
    add_route(session, clock, name="kill-test-key")
    port = free_port()
    env = {**os.environ, "WARROOM_DATABASE_URL": database_url, "WARROOM_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "warroom", "serve", "--no-engine", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, 30)
        yield f"{base}/ingest/alertmanager/kill-test-key", process
    finally:
        process.kill()
        process.wait()


def _body(worker: int, n: int) -> dict[str, object]:
    labels = {"alertname": f"Load{n % 5}", "instance": f"host-{worker}-{n}"}
    return {
        "version": "4",
        "status": "firing",
        "receiver": "warroom",
        "alerts": [{"status": "firing", "labels": labels, "annotations": {}}],
    }


def test_no_alert_that_got_a_2xx_is_lost_when_the_server_is_killed(
    server_process: tuple[str, subprocess.Popen[bytes]], session: Session
) -> None:
    url, process = server_process
    acknowledged: list[str] = []
    stop = threading.Event()

    def load(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            for n in range(100_000):
                if stop.is_set():
                    return
                try:
                    answer = client.post(url, json=_body(worker, n))
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    acknowledged.append(f"host-{worker}-{n}")

    workers = [threading.Thread(target=load, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    wait_for(lambda: len(acknowledged) >= 200, 30)
    process.send_signal(signal.SIGKILL)
    time.sleep(0.2)
    stop.set()
    for worker in workers:
        worker.join(10)
    session.expire_all()
    stored = {a.labels["instance"] for a in session.scalars(select(Alert))}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged alerts were lost, e.g. {sorted(missing)[:5]}"
    assert len(acknowledged) >= 200
