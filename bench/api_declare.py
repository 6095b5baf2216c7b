"""Declare incidents over loopback HTTP: warroom side by side with a commit-per-request reference.

The load comes from wrk (Debian package `wrk`) when it is installed, otherwise from an asyncio
httpx client, which saturates first and then measures mostly itself.

Run: .venv/bin/python bench/api_declare.py [--seconds S] [--concurrency C] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from harness import throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]
BODY = '{"title": "bench incident", "severity": "P3"}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server on port {port} did not start: {' '.join(argv)}")


def with_wrk(url: str, token: str, seconds: int, concurrency: int, workdir: Path) -> str:
    script = workdir / "post.lua"
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
    script.write_text(
        f"wrk.method = 'POST'\nwrk.body = '{BODY}'\n"
        f'wrk.headers["Content-Type"] = "application/json"\n{auth}'
        "function done(summary, latency, requests)\n"
        "  io.write(string.format('RESULT %d %d %d %d %d\\n', summary.requests, summary.duration,"
        " latency:percentile(50), latency:percentile(99), summary.errors.status))\nend\n"
    )
    output = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    assert match, output
    requests, micros, p50, p99, errors = (int(g) for g in match.groups())
    return _row(requests / (micros / 1e6), p50 / 1000, p99 / 1000, errors)


async def with_httpx(url: str, token: str, seconds: int, concurrency: int) -> str:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    end = time.monotonic() + seconds
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < end:
                started = time.perf_counter()
                response = await client.post(
                    url, content=BODY, headers={**headers, "content-type": "application/json"}
                )
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code >= 400

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)]
    return _row(len(latencies) / elapsed, latencies[len(latencies) // 2], p99, errors)


def _row(rate: float, p50_ms: float, p99_ms: float, errors: int) -> str:
    return f"{rate:>8.0f} req/s   p50 {p50_ms:>7.1f} ms   p99 {p99_ms:>7.1f} ms   errors {errors}"


def measure(url: str, token: str, args: argparse.Namespace, workdir: Path) -> str:
    if shutil.which("wrk"):
        return with_wrk(url, token, args.seconds, args.concurrency, workdir)
    return asyncio.run(with_httpx(url, token, args.seconds, args.concurrency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server to create a throwaway database on; default: a SQLite file",
    )
    args = parser.parse_args()
    client = "wrk" if shutil.which("wrk") else "httpx (install wrk for server-bound figures)"
    print(
        f"POST /api/v1/incidents for {args.seconds}s, {args.concurrency} connections, "
        f"load: {client}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = {
            **os.environ,
            "REFERENCE_DB": str(workdir / "reference.db"),
            "PYTHONPATH": str(ROOT / "bench"),
        }
        server = start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "reference_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env,
            port,
        )
        try:
            reference = measure(f"http://127.0.0.1:{port}/api/v1/incidents", "", args, workdir)
        finally:
            server.terminate()
            server.wait()
        print(f"{'reference (insert + commit, no ORM/auth)':<44}{reference}")

        with throwaway_database(args.database_url, workdir) as database_url:
            result = bench_warroom(database_url, args, workdir)
        backend = database_url.split(":", 1)[0].split("+")[0]
        print(f"{f'warroom declare ({backend})':<44}{result}")


@contextmanager
def throwaway_database(server_url: str, workdir: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new database on the given PostgreSQL server."""
    if not server_url:
        yield f"sqlite:///{workdir}/warroom.db"
        return
    with throwaway_postgres(server_url, "declare") as url:
        yield url


def bench_warroom(database_url: str, args: argparse.Namespace, workdir: Path) -> str:
    """Serve warroom on ``database_url`` as users run it and load it."""
    env = {**os.environ, "WARROOM_DATABASE_URL": database_url, "WARROOM_LOG_LEVEL": "warning"}
    warroom = [sys.executable, "-m", "warroom"]
    subprocess.run([*warroom, "db", "upgrade"], env=env, check=True, capture_output=True)
    token = (
        subprocess.run(
            [*warroom, "token", "create", "--name", "bench", "--role", "responder"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = start([*warroom, "serve", "--port", str(port)], env, port)
    try:
        return measure(f"http://127.0.0.1:{port}/api/v1/incidents", token, args, workdir)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
