"""What benchmarks share: free ports, servers started as users start them, throwaway databases."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    argv: list[str], env: dict[str, str], ready_url: str, log: Path
) -> subprocess.Popen[bytes]:
    """Start a server and wait until ``ready_url`` answers at all."""
    with log.open("ab") as sink:
        process = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            httpx.get(ready_url, timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{' '.join(argv)} did not start:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server this script started and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cli(env: dict[str, str], *argv: str) -> str:
    """Run the warroom CLI as users do and return what it printed."""
    done = subprocess.run(
        [str(BIN / "warroom"), *argv], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"warroom {' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextmanager
def throwaway_postgres(server_url: str, purpose: str) -> Iterator[str]:
    """A new database on the PostgreSQL server, dropped afterwards (never the server's own)."""
    admin = create_engine(
        make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1)),
        isolation_level="AUTOCOMMIT",
    )
    name = f"warroom_bench_{purpose}_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def on_both_databases(
    bench: Callable[[str, str, argparse.Namespace, Path], None],
    args: argparse.Namespace,
    purpose: str,
) -> None:
    """Run ``bench`` on a fresh SQLite file, then on a throwaway PostgreSQL database if given."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bench(f"sqlite:///{workdir}/bench.db", "SQLite", args, workdir)
        if args.database_url:
            with throwaway_postgres(args.database_url, purpose) as url:
                bench(url, "PostgreSQL", args, workdir)


def sequential(client: httpx.Client, path: str, count: int) -> list[float]:
    """Latencies in ms of ``count`` requests one after another, sorted; any non-200 stops."""
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(path)
        latencies.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code}")
    return sorted(latencies)


def p50_p99(latencies: list[float]) -> tuple[float, float]:
    """The median and 99th percentile of sorted latencies."""
    return statistics.median(latencies), latencies[
        min(len(latencies) - 1, int(len(latencies) * 0.99))
    ]
