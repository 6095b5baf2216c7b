"""Escalation step lateness: 10,000 open escalations due over a minute, the real engine, real time.

Inserts the incidents and their escalations in bulk (SQLAlchemy Core, the real tables), runs the
engine `warroom engine` runs (every module, SystemClock) until every step is paged, and reports
how late each page was written (outbox created_at - due time), how late its transaction finished
(end of the tick that wrote it), pages/s and the engine's CPU time.

Run: .venv/bin/python bench/escalation.py [--incidents N] [--spread S] [--matrix] [--database-url U]
"""

from __future__ import annotations

import argparse
import bisect
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_declare import throwaway_database
from sqlalchemy import func, insert, select

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.cli.engine import build_engine
from warroom.clock import SystemClock
from warroom.config import load_settings
from warroom.db import make_engine, make_session_factory, transaction
from warroom.escalation import stakeholders
from warroom.escalation.models import IncidentEscalation
from warroom.incidents.models import Incident
from warroom.migrate import upgrade
from warroom.notifications.models import Notification
from warroom.severity import DEFAULT_SCHEME
from warroom.users.service import create_user

TARGET = "p99 < 1.5 s (GoAlert's cycle is 5 s)"


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the due times span")
    parser.add_argument("--interval", type=float, default=0.2, help="engine cycle in seconds")
    parser.add_argument(
        "--matrix",
        action="store_true",
        help="also configure the P1 stakeholder matrix (its module then tracks every incident)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server to create a throwaway database on; default: a SQLite file",
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        throwaway_database(args.database_url, Path(tmp)) as url,
    ):
        run(url, args)


def seed(url: str, count: int, spread: float, matrix: bool) -> dict[int, datetime]:
    """Insert ``count`` open P1 incidents whose one-step escalations fall due over ``spread``."""
    database = make_engine(load_settings(database_url=url))
    upgrade(database)
    actor = Actor(kind="cli", name="bench", role=Role.admin)
    change = Change(actor=actor, clock=SystemClock())
    leaders = ("englead", "vp", "cto", "ceo")
    with transaction(make_session_factory(database)) as session:
        for handle in ("oncall", *leaders):
            create_user(
                session, change=change, handle=handle, name=handle, email=f"{handle}@example.com"
            )
        if matrix:
            rules = [
                stakeholders.RuleSpec("P1", after, [{"user": handle}])
                for after, handle in zip(("15m", "30m", "1h", "2h"), leaders, strict=True)
            ]
            stakeholders.replace_matrix(session, change=change, scheme=DEFAULT_SCHEME, rules=rules)
    now = datetime.now(UTC)
    start = now + timedelta(seconds=3)  # leave the engine time to start before the first is due
    due = {i: start + timedelta(seconds=spread * (i - 1) / count) for i in range(1, count + 1)}
    incidents = [
        {
            "id": i,
            "ref": f"bench-{i:06d}",
            "title": "bench incident",
            "summary": "",
            "severity": "P1",
            "status": "triggered",
            "service": None,
            "impact": "",
            "customer_facing": False,
            "tags": [],
            "reopen_count": 0,
            "created_by": "bench",
            "detected_at": now,
            "updated_at": now,
        }
        for i in due
    ]
    steps = [{"after_seconds": 0, "targets": [{"user": "oncall"}]}]
    escalations = [
        {
            "incident_id": i,
            "policy": "bench",
            "steps": steps,
            "repeat": 0,
            "step_index": 0,
            "round": 1,
            "next_at": at,
            "state": "active",
            "started_at": now,
            "updated_at": now,
        }
        for i, at in due.items()
    ]
    with database.begin() as connection:
        connection.execute(insert(Incident), incidents)
        connection.execute(insert(IncidentEscalation), escalations)
    database.dispose()
    return due


def run(url: str, args: argparse.Namespace) -> None:
    backend = url.split(":", 1)[0].split("+")[0]
    began = time.perf_counter()
    due = seed(url, args.incidents, args.spread, args.matrix)
    print(
        f"{backend}{' with the P1 stakeholder matrix' if args.matrix else ''}: "
        f"{args.incidents} open escalations due over {args.spread:.0f}s "
        f"(seeded in {time.perf_counter() - began:.1f}s), engine every {args.interval}s"
    )
    settings = load_settings(database_url=url)
    database = make_engine(settings)
    loop = build_engine(database, SystemClock(), settings, interval=args.interval)
    ticks: list[tuple[datetime, datetime]] = []  # (wall time before, after) of every tick
    real_tick = loop.tick

    def timed_tick() -> dict[str, int]:
        before = datetime.now(UTC)
        try:
            return real_tick()
        finally:
            ticks.append((before, datetime.now(UTC)))

    loop.tick = timed_tick  # type: ignore[method-assign]
    stop = threading.Event()
    cpu = time.process_time()
    worker = threading.Thread(target=loop.run, args=(stop,), name="bench-engine")
    worker.start()
    deadline = time.monotonic() + args.spread + 120
    count = 0
    while count < args.incidents and time.monotonic() < deadline:
        time.sleep(0.5)
        with database.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(Notification)) or 0
    stop.set()
    worker.join()
    cpu = time.process_time() - cpu
    with database.connect() as connection:
        rows = connection.execute(select(Notification.incident_id, Notification.created_at)).all()
    database.dispose()
    if len(rows) != args.incidents:
        print(f"  only {len(rows)} of {args.incidents} steps were paged before the deadline")
    written = sorted((created - due[incident]).total_seconds() for incident, created in rows)
    starts = [before for before, _ in ticks]
    committed = sorted(
        (ticks[bisect.bisect_right(starts, created) - 1][1] - due[incident]).total_seconds()
        for incident, created in rows
    )
    first, last = min(due.values()), max(created for _, created in rows)
    durations = sorted((after - before).total_seconds() for before, after in ticks)
    print(f"  target: step lateness {TARGET}")
    for label, values in (("written (created_at)", written), ("committed (tick end)", committed)):
        print(
            f"  lateness {label:<21} p50 {percentile(values, 0.5):6.3f}s   "
            f"p99 {percentile(values, 0.99):6.3f}s   max {values[-1]:6.3f}s   "
            f"{'meets' if percentile(values, 0.99) < 1.5 else 'MISSES'} p99 < 1.5 s"
        )
    print(
        f"  {len(rows) / (last - first).total_seconds():.0f} pages/s over the due window;  "
        f"{len(ticks)} ticks, p50 {percentile(durations, 0.5) * 1000:.0f} ms, "
        f"max {durations[-1] * 1000:.0f} ms;  engine CPU {cpu:.1f}s "
        f"({cpu / len(rows) * 1000:.2f} ms per page)"
    )


if __name__ == "__main__":
    main()
