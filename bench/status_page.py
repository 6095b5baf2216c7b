"""The public status page under read load: every endpoint next to /healthz on the same server.

Seeds a page (40 components in 5 groups, 300 public incidents with 4 updates each, component
status changes for the uptime bars) through the admin API of `warroom serve`, then reads each
public endpoint: sequential latency (p50/p99) and throughput with concurrent clients. /healthz on
the same server is the reference: what the framework and loopback HTTP cost with no work.

Run: .venv/bin/python bench/status_page.py [--requests N] [--concurrency C] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

import httpx
from harness import BIN, cli, free_port, on_both_databases, p50_p99, sequential, start, stop

ENDPOINTS = (
    "/healthz",
    "/status",
    "/status/history",
    "/status/api/v2/summary.json",
    "/status/api/v2/components.json",
    "/status/api/v2/incidents.json",
    "/status/history.atom",
)
STATUSES = ("degraded_performance", "partial_outage", "major_outage", "operational")


def seed(base: str, token: str, incidents: int) -> None:
    """Groups, components, status changes and public incidents through the admin API."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:

        def post(path: str, body: dict[str, object]) -> dict[str, object]:
            answer = client.post(path, json=body)
            if answer.status_code >= 300:
                raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
            return answer.json()  # type: ignore[no-any-return]

        components: list[str] = []
        for g in range(5):
            group = post("/api/v1/status-page/components", {"name": f"Group {g}", "group": True})
            for c in range(8):
                body = {"name": f"Component {g}.{c}", "group_id": group["id"]}
                components.append(str(post("/api/v1/status-page/components", body)["id"]))
        for n, component in enumerate(components):
            for status in STATUSES[n % 3 :]:
                path = f"/api/v1/status-page/components/{component}"
                answer = client.patch(path, json={"status": status})
                if answer.status_code >= 300:
                    raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
        for n in range(incidents):
            created = post(
                "/api/v1/status-page/incidents",
                {
                    "name": f"Incident {n}: slow responses",
                    "body": "We are investigating slower responses.",
                    "impact": "minor",
                    "components": [components[n % len(components)]],
                    "deliver_notifications": False,
                },
            )
            for status in ("identified", "monitoring", "resolved"):
                post(
                    f"/api/v1/status-page/incidents/{created['id']}/updates",
                    {"status": status, "body": f"Now {status}.", "deliver_notifications": False},
                )


async def concurrent(base: str, path: str, count: int, concurrency: int) -> float:
    """Requests per second with ``concurrency`` clients sharing ``count`` requests."""
    left = count

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            answer = await client.get(path)
            answer.raise_for_status()

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


def bench(database_url: str, label: str, args: argparse.Namespace, workdir: Path) -> None:
    """Serve warroom on ``database_url``, seed the page and print one row per endpoint."""
    port = free_port()
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": database_url,
        "WARROOM_HOST": "127.0.0.1",
        "WARROOM_PORT": str(port),
        "WARROOM_LOG_LEVEL": "warning",
    }
    cli(env, "db", "upgrade")
    token = cli(env, "token", "create", "--name", "bench", "--role", "admin").strip().splitlines()
    base = f"http://127.0.0.1:{port}"
    server = start(
        [str(BIN / "warroom"), "serve", "--no-engine"],
        env,
        f"{base}/healthz",
        workdir / "serve.log",
    )
    try:
        started = time.perf_counter()
        seed(base, token[-1], args.incidents)
        print(f"\n{label}: seeded in {time.perf_counter() - started:.1f}s")
        columns = ("bytes", "p50 ms", "p99 ms", "req/s", "vs healthz")
        print(f"{'endpoint':34}", *(f"{c:>8}" for c in columns))
        floor = None
        with httpx.Client(base_url=base, timeout=30) as client:
            for path in ENDPOINTS:
                size = len(client.get(path).content)
                p50, p99 = p50_p99(sequential(client, path, args.requests))
                rate = asyncio.run(concurrent(base, path, args.requests, args.concurrency))
                floor = floor or rate
                print(f"{path:34} {size:8d} {p50:8.2f} {p99:8.2f} {rate:8.0f} {rate / floor:10.2f}")
    finally:
        stop(server)


def main() -> None:
    """Parse options and run on SQLite, then on PostgreSQL when a server URL is given."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--incidents", type=int, default=300, help="public incidents to seed")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a throwaway db on")
    on_both_databases(bench, parser.parse_args(), "status")


if __name__ == "__main__":
    main()
