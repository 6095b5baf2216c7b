"""Delivery under faults: a hanging receiver delays nobody; SMTP down then up; a killed engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.channels.conftest import Receiver, Reply
from tests.escalation.conftest import INCIDENTS, make_policy
from tests.escalation.test_real_time import wait_for

from .conftest import notifications


def test_a_hanging_receiver_does_not_delay_other_pages(
    client, admin, people, add_method, engine, clock, delivery_settings, receiver
):
    from warroom.cli.engine import build_engine

    hanging = Receiver()
    hanging.default = Reply(delay=3.0)  # far past the 1 s timeout
    hanging.thread.start()
    add_method("alice", "webhook", f"{hanging.url}/slow")
    add_method("bob", "webhook", f"{receiver.url}/fast")
    make_policy(client, admin, "both", ("0s", ["alice", "bob"]))
    client.post(
        "/api/v1/services", json={"name": "web", "escalation_policy": "both"}, headers=admin
    )
    answer = client.post(
        INCIDENTS, json={"title": "down", "severity": "P1", "service": "web"}, headers=admin
    )
    ref = answer.json()["ref"]
    loop = build_engine(engine, clock, delivery_settings)
    try:
        loop.tick()  # does not wait for sends: alice's is still in flight when it returns
        in_flight = {n["user"]: n["status"] for n in notifications(client, admin, ref)}
        assert in_flight["alice"] == "sending"
        wait_for(lambda: any(r.path == "/fast" for r in receiver.requests), 1.0)
        wait_for(lambda: notifications(client, admin, ref)[0]["status"] != "sending", 3.0)
        logged = {n["user"]: n for n in notifications(client, admin, ref)}
        assert logged["bob"]["status"] == "sent"
        assert logged["alice"]["status"] == "retry"
        assert logged["alice"]["last_error"] == "timed out"
    finally:
        loop.close()
        hanging.server.shutdown()
        hanging.server.server_close()


def test_smtp_down_then_up_is_retried_until_it_arrives(
    client, admin, paged, add_method, engine, clock, delivery_settings, smtp_server
):
    from warroom.cli.engine import build_engine

    add_method("alice", "email", "alice@example.com")
    ref = paged()
    down = delivery_settings.model_copy(update={"smtp_port": 1})  # nothing listens there
    loop = build_engine(engine, clock, down, wait_for_sends=True)
    loop.tick()
    loop.close()
    (logged,) = notifications(client, admin, ref)
    assert (logged["status"], logged["channel"]) == ("retry", "email")
    clock.advance(timedelta(minutes=2))
    loop = build_engine(engine, clock, delivery_settings, wait_for_sends=True)
    loop.tick()
    loop.close()
    assert notifications(client, admin, ref)[0]["status"] == "sent"
    assert len(smtp_server.handler.envelopes) == 1


def test_an_engine_killed_mid_send_loses_nothing_and_the_resend_has_the_same_id(
    client, admin, paged, add_method, database_url, receiver, tmp_path: Path
):
    add_method("alice", "webhook", f"{receiver.url}/page")
    receiver.default = Reply(delay=30.0)  # the first engine dies while its requests hang
    ref = paged()

    def engine_process() -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "WARROOM_DATABASE_URL": database_url,
            "WARROOM_EGRESS_ALLOW": "127.0.0.1",
            "WARROOM_DELIVERY_TIMEOUT": "1",
            "WARROOM_LOG_LEVEL": "warning",
        }
        command = [sys.executable, "-m", "warroom", "engine", "--interval", "0.2"]
        return subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    first = engine_process()
    try:
        wait_for(lambda: any(":page:" in r.headers["webhook-id"] for r in receiver.requests), 20)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        first.kill()
    assert notifications(client, admin, ref)[0]["status"] == "sending"
    receiver.default = Reply()
    second = engine_process()
    try:
        # The dead engine's lease (2 x timeout + 5 s) runs out, then the page goes again.
        wait_for(lambda: notifications(client, admin, ref)[0]["status"] == "sent", 30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    # (The real engine runs on the real clock, a year after the test's: SLA notices go too.)
    pages = [r for r in receiver.requests if ":page:" in r.headers["webhook-id"]]
    assert [r.headers["webhook-id"] for r in pages] == [f"{ref}:page:1:1:alice"] * 2


def test_another_process_is_woken_by_notify_not_its_next_cycle(
    client, admin, paged, add_method, database_url, engine, receiver
):
    if engine.dialect.name != "postgresql":
        pytest.skip("waking another process uses PostgreSQL's LISTEN/NOTIFY")
    add_method("alice", "webhook", f"{receiver.url}/page")
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": database_url,
        "WARROOM_EGRESS_ALLOW": "127.0.0.1",
        "WARROOM_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "warroom", "engine", "--interval", "60"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(3)  # its first cycle has run; the next is a minute away unless it is woken
        ref = paged()
        started = time.monotonic()
        wait_for(lambda: any(":page:" in r.headers["webhook-id"] for r in receiver.requests), 10)
        assert time.monotonic() - started < 10
        # The receiver has the page; the engine records "sent" just after the answer.
        wait_for(lambda: notifications(client, admin, ref)[0]["status"] == "sent", 5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
