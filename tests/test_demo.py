"""The demo data and ``warroom serve`` on a real port, as a newcomer runs them."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert
from warroom.clock import FakeClock
from warroom.comms.models import StatusUpdate
from warroom.config import Settings
from warroom.demo import STORIES, USERS, seed_demo
from warroom.incidents.models import Incident, TimelineEntry
from warroom.oncall import service as oncall
from warroom.postmortems.models import ActionItem
from warroom.runbooks.suggest import checklist
from warroom.statuspage.models import StatusComponent, StatusIncident
from warroom.users import sign_in
from warroom.users.service import authenticate


def test_demo_covers_severities_and_statuses_and_is_seeded_once(
    session: Session, clock: FakeClock, settings: Settings
):
    first = seed_demo(session, clock=clock, settings=settings)
    session.commit()
    incidents = list(session.scalars(select(Incident)))
    assert len(incidents) == len(STORIES) + 1  # the stories and one opened by the demo alert
    from_alerts = [i for i in incidents if i.group_key is not None]
    assert [(i.service, i.severity, i.status) for i in from_alerts] == [
        ("checkout", "P1", "triggered")
    ]
    assert session.scalar(select(func.count()).select_from(Alert)) == 2
    assert first.integration_key
    assert {i.severity for i in incidents} == {"P1", "P2", "P3", "P4"}
    assert {"triggered", "investigating", "identified", "resolved", "closed"} <= {
        i.status for i in incidents
    }
    assert session.scalar(select(func.count()).select_from(TimelineEntry)) > 20
    checkout = next(i for i in incidents if i.service == "checkout-api")
    items = checklist(session, checkout)
    assert items[0].text.startswith("Check whether a deploy went out")
    assert items[0].done_at is not None
    assert items[1].done_at is None
    assert authenticate(session, secret=first.admin_token, now=clock.now()).role.name == "admin"

    schedule = oncall.get_schedule(session, "platform-primary")
    assert schedule.time_zone == "Europe/Paris"
    assert [layer.name for layer in schedule.layers] == ["weekly", "business-hours"]
    # The clock is Saturday 2025-11-01 10:00 in Paris: the weekly rotation is in its fourth week.
    assert [
        u.handle for u in oncall.who_is_on_call(session, schedule=schedule, at=clock.now())
    ] == ["alice"]
    shifts = oncall.shifts(
        session, schedule=schedule, start=clock.now(), end=clock.now() + timedelta(days=3)
    )
    assert [(s.user.handle, s.source) for s in shifts] == [
        ("alice", "weekly"),
        ("bikram", "override"),
        ("alice", "weekly"),
        ("dmitri", "business-hours"),
        ("bikram", "weekly"),
        ("carmen", "business-hours"),
    ]

    second = seed_demo(session, clock=clock, settings=settings)
    session.commit()
    assert second.summary == "existing data kept"
    assert second.admin_token != first.admin_token
    assert (first.web_login, second.web_login) == ("alice", "alice")
    assert second.web_password != first.web_password
    signed = sign_in.sign_in(session, login="alice", password=second.web_password, now=clock.now())
    assert signed.user.role == "admin"
    assert second.integration_key != first.integration_key
    assert session.scalar(select(func.count()).select_from(Incident)) == len(STORIES) + 1
    assert len(USERS) == 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _warroom(*args: str, database_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "WARROOM_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "warroom", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_demo_status_page_follows_its_incidents(session: Session, clock: FakeClock, settings):
    seed_demo(session, clock=clock, settings=settings)
    session.commit()
    components = {c.name: c for c in session.scalars(select(StatusComponent))}
    assert {name for name, c in components.items() if c.is_group} == {
        "Shop",
        "Accounts and payments",
    }
    # The checkout P1 is published and open: critical impact, a major outage.
    assert components["Checkout"].status == "major_outage"
    assert components["Sign-in"].status == "operational"
    public = {p.name: p for p in session.scalars(select(StatusIncident))}
    sign_in = public["Sign-in failing after TLS certificate rotation"]
    assert [u.status for u in sign_in.updates] == ["resolved", "identified", "investigating"]
    assert sign_in.resolved_at is not None
    assert public["Checkout API returning 502 for every request"].status == "investigating"
    internal = list(
        session.scalars(select(StatusUpdate).where(StatusUpdate.audience == "internal"))
    )
    assert len(list(internal)) == 1
    (item,) = session.scalars(select(ActionItem))
    assert (item.owner.handle, item.priority, item.status) == ("dmitri", "high", "open")


def test_serve_refuses_an_unmigrated_database(tmp_path: Path):
    process = _warroom(
        "serve", "--port", str(_free_port()), database_url=f"sqlite:///{tmp_path}/new.db"
    )
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "warroom db upgrade" in stderr
    assert "Traceback" not in stderr


def test_serve_demo_answers_the_quick_start_over_real_http(database_url: str, engine: Engine):
    port = _free_port()
    process = _warroom("serve", "--demo", "--port", str(port), database_url=database_url)
    try:
        token = curl = password = ""
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline and not password:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail(f"serve exited: {process.stderr.read() if process.stderr else ''}")
            if line.startswith("wr_"):
                token = line.strip()
            if line.strip().startswith("curl "):
                curl = line.strip()
            if "sign in to the web UI" in line:
                password = process.stdout.readline().strip()
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        listed = httpx.get(f"{base}/api/v1/incidents?open=true", headers=headers)
        assert listed.status_code == 200
        assert len(listed.json()["items"]) == 4
        sent = subprocess.run(shlex.split(curl), capture_output=True, text=True, check=True)
        assert json.loads(sent.stdout)["alerts_opened"] == 1
        declared = httpx.post(
            f"{base}/api/v1/incidents",
            json={"title": "API down", "severity": "SEV-1"},
            headers=headers,
        )
        assert declared.status_code == 201
        ref = declared.json()["ref"]
        assert declared.json()["severity"] == "P1"
        for body in ({"status": "acknowledged"}, {"status": "resolved"}):
            assert (
                httpx.post(
                    f"{base}/api/v1/incidents/{ref}/status", json=body, headers=headers
                ).status_code
                == 200
            )
        assigned = httpx.post(
            f"{base}/api/v1/incidents/{ref}/roles",
            json={"role": "ic", "user": "alice"},
            headers=headers,
        )
        assert assigned.json()["roles"] == {"incident_commander": "alice"}
        kinds = [
            e["kind"]
            for e in httpx.get(f"{base}/api/v1/incidents/{ref}/timeline", headers=headers).json()[
                "items"
            ]
        ]
        # The engine in serve drafts the P1's postmortem on resolve, at its own moment.
        assert [k for k in kinds if k != "postmortem_drafted"] == [
            "declared",
            "runbook_suggested",
            "status_changed",
            "status_changed",
            "role_assigned",
        ]
        assert kinds.count("postmortem_drafted") <= 1
        web = httpx.Client(base_url=base)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text)
        assert csrf is not None
        credentials = {"username": "alice", "password": password, "csrf_token": csrf.group(1)}
        assert web.post("/login", data=credentials).status_code == 303
        assert "Checkout API returning 502 for every request" in web.get("/incidents").text
        with web.stream("GET", "/ui/events") as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            process.terminate()  # an open live-update stream must not hold the shutdown
            process.wait(timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=30)
