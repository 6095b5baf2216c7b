"""Web UI pages with 10,000 incidents in the database: latency of each page next to /healthz.

Seeds users, 20 services, a runbook and N incidents (default 10,000, spread over a year, with
timeline entries and roles) straight into a migrated database, serves it with `warroom serve`,
signs in through /login and requests every main page one after another. DESIGN target: every page
under 100 ms of server time; the client-side p50/p99 here include loopback HTTP, so they bound it.

Run: .venv/bin/python bench/web_pages.py [--incidents N] [--requests N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from harness import BIN, cli, free_port, on_both_databases, p50_p99, sequential, start, stop
from sqlalchemy import create_engine, insert, select

from warroom.incidents.models import Incident, IncidentRole, TimelineEntry
from warroom.services.models import Service
from warroom.users.models import User

PASSWORD = "bench password 123"
SEEDS = Path(__file__).parents[2] / "shared" / "seeds"
STATUSES = ("resolved",) * 6 + ("closed",) * 3 + ("triggered", "acknowledged", "investigating")


def seed(database_url: str, incidents: int) -> None:
    """Services and incidents with timeline entries and roles, inserted in bulk."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        users = list(connection.scalars(select(User.id)))
        connection.execute(
            insert(Service),
            [
                {"name": f"svc-{n}", "description": "", "created_at": now, "updated_at": now}
                for n in range(20)
            ],
        )
        rows = []
        for n in range(incidents):
            detected = now - timedelta(minutes=52 * (incidents - n))
            status = STATUSES[n % len(STATUSES)]
            done = status in ("resolved", "closed")
            rows.append(
                {
                    "ref": f"inc-{n:06d}",
                    "title": f"Checkout latency above SLO on node {n % 97}",
                    "summary": "",
                    "severity": f"P{1 + n % 4}",
                    "status": status,
                    "service": f"svc-{n % 20}",
                    "impact": "",
                    "customer_facing": n % 5 == 0,
                    "tags": [],
                    "reopen_count": 0,
                    "created_by": "bench",
                    "detected_at": detected,
                    "acknowledged_at": detected + timedelta(minutes=4) if n % 12 != 9 else None,
                    "resolved_at": detected + timedelta(minutes=95) if done else None,
                    "closed_at": detected + timedelta(days=2) if status == "closed" else None,
                    "updated_at": detected,
                }
            )
        connection.execute(insert(Incident), rows)
        ids = list(connection.scalars(select(Incident.id).order_by(Incident.id)))
        entries, roles = [], []
        for n, incident_id in enumerate(ids):
            at = rows[n]["detected_at"]
            for step, kind in enumerate(("declared", "page_sent", "note")):
                entries.append(
                    {
                        "incident_id": incident_id,
                        "at": at + timedelta(minutes=step),
                        "actor": "system",
                        "kind": kind,
                        "data": {"text": "looking at the dashboards"} if kind == "note" else {},
                    }
                )
            roles.append(
                {
                    "incident_id": incident_id,
                    "role": "commander",
                    "user_id": users[n % len(users)],
                    "assigned_at": at,
                }
            )
        connection.execute(insert(TimelineEntry), entries)
        connection.execute(insert(IncidentRole), roles)
    engine.dispose()


def sign_in(client: httpx.Client) -> None:
    """Sign in as ada through the login form, as a browser does."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"username": "ada", "password": PASSWORD, "csrf_token": token.group(1)}
    answer = client.post("/login", data=data)
    if answer.status_code != 303:
        raise SystemExit(f"sign-in failed: {answer.status_code} {answer.text[:300]}")


def bench(database_url: str, label: str, args: argparse.Namespace, workdir: Path) -> None:
    """Seed, serve and print one row per page."""
    port = free_port()
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": database_url,
        "WARROOM_HOST": "127.0.0.1",
        "WARROOM_PORT": str(port),
        "WARROOM_LOG_LEVEL": "warning",
    }
    cli(env, "db", "upgrade")
    for handle, role in (("ada", "admin"), ("bob", "responder"), ("cyd", "responder")):
        email = f"{handle}@example.com"
        cli(env, "user", "create", "--handle", handle, "--name", handle, "--email", email,
            "--role", role)  # fmt: skip
    subprocess.run(
        [str(BIN / "warroom"), "user", "set-password", "ada"],
        input=f"{PASSWORD}\n",
        env=env,
        text=True,
        check=True,
        capture_output=True,
    )
    runbook = SEEDS / "000_a25ff75ecb42e6d3.txt"
    if runbook.exists():
        cli(env, "runbooks", "import", str(runbook))
    started = time.perf_counter()
    seed(database_url, args.incidents)
    print(f"\n{label}: {args.incidents} incidents seeded in {time.perf_counter() - started:.1f}s")
    base = f"http://127.0.0.1:{port}"
    server = start(
        [str(BIN / "warroom"), "serve", "--no-engine"], env, f"{base}/healthz", workdir / "log"
    )
    open_ref = f"inc-{args.incidents - 1:06d}"
    pages = (
        "/healthz",
        "/incidents",
        "/incidents?status=all",
        "/incidents?status=all&severity=P1&service=svc-3",
        "/incidents?status=all&mine=1",
        "/incidents?status=all&q=node+42",
        f"/incidents/{open_ref}",
        "/incidents/new",
        "/oncall",
        "/services",
        "/services/svc-3",
        "/runbooks",
        "/runbooks/1",
        "/analytics",
        "/analytics?weeks=52",
        "/admin",
    )
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            sign_in(client)
            print(f"{'page':50} {'status':>6} {'bytes':>8} {'p50 ms':>8} {'p99 ms':>8}")
            for path in pages:
                answer = client.get(path)  # warm, and the size and status shown
                p50, p99 = p50_p99(sequential(client, path, args.requests))
                size = len(answer.content)
                print(f"{path:50} {answer.status_code:6d} {size:8d} {p50:8.1f} {p99:8.1f}")
    finally:
        stop(server)


def main() -> None:
    """Parse options and run on SQLite, then on PostgreSQL when a server URL is given."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30, help="requests per page")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a throwaway db on")
    on_both_databases(bench, parser.parse_args(), "web")


if __name__ == "__main__":
    main()
