"""Alert ingest over loopback: warroom beside Prometheus Alertmanager and a commit-per-request app.

For each backend (a SQLite file, a throwaway PostgreSQL database) it migrates a fresh database,
creates a service and an alertmanager integration with the CLI, starts `warroom serve --no-engine`
and drives it with wrk (Debian package `wrk`) and a Lua script that generates the bodies:
single-alert webhooks at 1, 16 and 64 connections (unique fingerprints), 64 connections over 100
repeating fingerprints, and 100-alert groups at 16 connections. Then it sends --alerts unique alerts
in groups of 100, reads the server's RSS and counts the rows: every alert answered 2xx must be
stored. The same load runs against `alertmanager` (POST /api/v2/alerts, in memory) when installed
and, on PostgreSQL, against bench/ingest_baseline.py (INSERT + COMMIT per request).

Run: .venv/bin/python bench/ingest.py [--seconds S] [--alerts N] [--backends sqlite,postgresql]
     [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--quick]
Exits non-zero only when an alert answered 2xx is missing from the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from harness import BIN, cli, free_port, start, stop, throwaway_postgres
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
NAMES = ("HighLatency", "ErrorRate", "DiskFull", "MemoryPressure", "TargetDown")
GENERATOR_URL = "http://prometheus.example:9090/graph?g0.expr=up"
EXTERNAL_URL = "http://alertmanager.example:9093"
REPEAT_PREFIX = "ffff"  # fingerprints of the 100 repeating label sets
AM_CONFIG = """route:
  receiver: "null"
  group_by: [alertname]
receivers:
  - name: "null"
"""


@dataclass(frozen=True)
class Point:
    """One load point: connections, alerts per request, unique or repeating fingerprints."""

    name: str
    connections: int
    per_request: int = 1
    repeating: bool = False


POINTS = (
    Point("single c1 unique", 1),
    Point("single c16 unique", 16),
    Point("single c64 unique", 64),
    Point("single c64 repeating", 64, repeating=True),
    Point("group-of-100 c16", 16, per_request=100),
)
SINGLE_C64, BATCHED = POINTS[2].name, POINTS[4].name


@dataclass
class Result:
    """What wrk measured at one load point."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    per_request: int

    @property
    def ok(self) -> int:
        """Requests answered 2xx (wrk counts 4xx/5xx as status errors)."""
        return self.requests - self.non_2xx

    @property
    def rate(self) -> float:
        """Requests a second."""
        return self.requests / self.seconds

    @property
    def alerts_rate(self) -> float:
        """Alerts accepted (2xx) a second."""
        return self.ok * self.per_request / self.seconds


@dataclass
class Target:
    """A server under load and what it answered."""

    label: str
    results: dict[str, Result] = field(default_factory=dict)
    facts: list[str] = field(default_factory=list)
    lost: bool = False


# wrk runs this once per thread; setup() gives every thread its own id for unique labels.
LUA = r"""
local point = __POINT__
local per = __PER__
local repeating = __REPEATING__
local am = __AM__
local path = "__PATH__"
local starts = "__STARTS__"
local names = {__NAMES__}
local severities = {"warning", "critical"}
local threads = 0
local n = 0
local made = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local function alert(name, instance, fp, severity)
  local labels = string.format(
    '{"alertname":"%s","instance":"%s","job":"node","severity":"%s"}', name, instance, severity)
  local annotations = string.format(
    '{"summary":"%s on %s","description":"bench alert from wrk"}', name, instance)
  if am then
    return string.format('{"labels":%s,"annotations":%s,"startsAt":"%s","generatorURL":"%s"}',
      labels, annotations, starts, "__GENERATOR__")
  end
  return string.format(
    '{"status":"firing","labels":%s,"annotations":%s,"startsAt":"%s",'
    .. '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"%s","fingerprint":"%s"}',
    labels, annotations, starts, "__GENERATOR__", fp)
end

function request()
  made = made + 1
  local group = names[(made % #names) + 1]
  local parts = {}
  for i = 1, per do
    n = n + 1
    local name, instance, fp, severity
    if repeating then
      local k = n % 100
      name = names[(k % #names) + 1]
      instance = string.format("host-r-%d", k)
      fp = string.format("__REPEAT__%012x", k)
      severity = severities[(k % 2) + 1]
    else
      if per > 1 then name = group else name = names[(n % #names) + 1] end
      instance = string.format("host-%d-%d-%d", point, tid, n)
      fp = string.format("%02x%02x%012x", point, tid, n)
      severity = severities[(n % 2) + 1]
    end
    if i == 1 then group = name end
    parts[i] = alert(name, instance, fp, severity)
  end
  local body
  if am then
    body = "[" .. table.concat(parts, ",") .. "]"
  else
    body = string.format(
      '{"version":"4","groupKey":"{}:{alertname=\\"%s\\"}","truncatedAlerts":0,'
      .. '"status":"firing","receiver":"warroom","groupLabels":{"alertname":"%s"},'
      .. '"commonLabels":{"alertname":"%s","job":"node"},"commonAnnotations":{},'
      .. '"externalURL":"__EXTERNAL__","alerts":[%s]}',
      group, group, group, table.concat(parts, ","))
  end
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
    return int(found["VmRSS"]) / 1024, int(found["VmHWM"]) / 1024


def wrk(url: str, point: Point, number: int, seconds: float, am: bool, workdir: Path) -> Result:
    """Drive ``url`` with wrk at one load point; ``number`` keeps its fingerprints unique."""
    path = url.split("/", 3)[3]
    starts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    script = workdir / f"point{number}.lua"
    values = {
        "__POINT__": str(number),
        "__PER__": str(point.per_request),
        "__REPEATING__": "true" if point.repeating else "false",
        "__AM__": "true" if am else "false",
        "__PATH__": f"/{path}",
        "__STARTS__": starts,
        "__NAMES__": ", ".join(f'"{name}"' for name in NAMES),
        "__GENERATOR__": GENERATOR_URL,
        "__EXTERNAL__": EXTERNAL_URL,
        "__REPEAT__": REPEAT_PREFIX,
    }
    source = LUA
    for placeholder, value in values.items():
        source = source.replace(placeholder, value)
    script.write_text(source)
    threads = 1 if point.connections == 1 else 2
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{point.connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    requests, micros, p50, p99, non_2xx, socket_errors = (int(g) for g in match.groups())
    return Result(
        requests, micros / 1e6, p50 / 1000, p99 / 1000, non_2xx, socket_errors, point.per_request
    )


def group_body(first: int, count: int, am: bool) -> bytes:
    """``count`` unique alerts from number ``first`` on, one alertname, as webhook or AM array."""
    name = NAMES[(first // 100) % len(NAMES)]
    starts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    alerts = []
    for number in range(first, first + count):
        labels = {"alertname": name, "instance": f"host-rss-{number}", "job": "node"}
        labels["severity"] = ("warning", "critical")[number % 2]
        annotations = {"summary": f"{name} on host-rss-{number}", "description": "bench alert"}
        alert = {"labels": labels, "annotations": annotations, "startsAt": starts}
        alert["generatorURL"] = GENERATOR_URL
        if not am:
            alert.update(status="firing", endsAt="0001-01-01T00:00:00Z")
            alert["fingerprint"] = f"fe{number:014x}"
        alerts.append(alert)
    if am:
        return json.dumps(alerts).encode()
    webhook = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "warroom",
        "groupLabels": {"alertname": name},
        "commonLabels": {"alertname": name, "job": "node"},
        "commonAnnotations": {},
        "externalURL": EXTERNAL_URL,
        "alerts": alerts,
    }
    return json.dumps(webhook).encode()


async def send_unique(url: str, total: int, am: bool, concurrency: int = 16) -> tuple[int, int]:
    """POST ``total`` unique alerts in groups of 100; (alerts answered 2xx, failed requests)."""
    starts = list(range(0, total, 100))
    ok, failed = 0, 0
    async with httpx.AsyncClient(timeout=120) as client:

        async def worker() -> None:
            nonlocal ok, failed
            while starts:
                first = starts.pop()
                count = min(100, total - first)
                body = group_body(first, count, am)
                try:
                    response = await client.post(
                        url, content=body, headers={"content-type": "application/json"}
                    )
                except httpx.HTTPError:
                    failed += 1
                    continue
                if response.is_success:
                    ok += count
                else:
                    failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, failed


def run_points(
    target: Target, url: str, args: argparse.Namespace, workdir: Path, am: bool = False
) -> None:
    """Warm up, then every load point against ``url``, printing each result as it comes."""
    if not args.quick:
        wrk(url, Point("warm-up", 16), 0, 2, am, workdir)
    for number, point in enumerate(POINTS, start=1):
        result = wrk(url, point, number, args.seconds, am, workdir)
        target.results[point.name] = result
        print(f"  {target.label:<22}{point.name:<22}{row(result)}", flush=True)


def row(result: Result) -> str:
    """One result as a table row."""
    errors = f"{result.non_2xx}" + (
        f" (+{result.socket_errors} socket)" * bool(result.socket_errors)
    )
    return (
        f"{result.rate:>9.0f} {result.alerts_rate:>10.0f} {result.p50_ms:>8.1f} "
        f"{result.p99_ms:>8.1f}  {errors}"
    )


def bench_warroom(database_url: str, label: str, args: argparse.Namespace, workdir: Path) -> Target:
    """Migrate, configure and serve warroom on ``database_url``, load it and count its alerts."""
    target = Target(label)
    port = free_port()
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": database_url,
        "WARROOM_HOST": "127.0.0.1",
        "WARROOM_PORT": str(port),
        "WARROOM_LOG_LEVEL": "warning",
        "WARROOM_INGEST_RATE_LIMIT_PER_MINUTE": "0",
    }
    key = f"bench-{secrets.token_hex(12)}"
    cli(env, "db", "upgrade")
    cli(env, "service", "create", "--name", "bench")
    cli(
        env,
        "integration",
        "create",
        "--name",
        "bench-am",
        "--source",
        "alertmanager",
        "--service",
        "bench",
        "--key",
        key,
    )
    log = workdir / f"{label.replace(' ', '-')}.log"
    argv, ready = [str(BIN / "warroom"), "serve", "--no-engine"], f"http://127.0.0.1:{port}/"
    url = f"http://127.0.0.1:{port}/ingest/alertmanager/{key}"
    server = start(argv, env, ready, log)
    try:
        idle, _ = memory(server.pid)
        run_points(target, url, args, workdir)
        after_points, _ = memory(server.pid)
    finally:
        stop(server)
    target.facts.append(
        f"RSS idle {idle:.0f} MiB, after the load points {after_points:.0f} MiB; "
        "restarted for the RSS run"
    )
    server = start(argv, env, ready, log)  # a fresh process: RSS after exactly --alerts
    try:
        began = time.perf_counter()
        sent_ok, failed = asyncio.run(send_unique(url, args.alerts, am=False))
        took = time.perf_counter() - began
        rss, peak = memory(server.pid)
    finally:
        stop(server)
    target.facts.append(
        f"{args.alerts} unique alerts in groups of 100 at 16 connections (httpx): "
        f"{sent_ok} answered 2xx, {failed} requests failed, {sent_ok / took:.0f} alerts/s"
    )
    target.facts.append(
        f"RSS after them: {rss:.0f} MiB (peak {peak:.0f} MiB); target < 150 MiB: "
        f"{'meets' if rss < 150 else 'MISSES'}"
    )
    target.lost = count_alerts(database_url, target, sent_ok)
    if server.returncode not in (0, -15, None):  # uvicorn re-raises SIGTERM
        target.facts.append(f"server exited {server.returncode}: {log.read_text()[-2000:]}")
    return target


def count_alerts(database_url: str, target: Target, bulk_ok: int) -> bool:
    """Compare the rows in ``alert`` with the alerts answered 2xx; True when some are missing."""
    unique_ok = bulk_ok + sum(
        r.ok * r.per_request for name, r in target.results.items() if not name.endswith("repeating")
    )
    repeat_ok = sum(r.ok for name, r in target.results.items() if name.endswith("repeating"))
    engine = create_engine(database_url)
    with engine.connect() as connection:
        unique_rows, repeat_rows, repeat_events, incidents = connection.execute(
            text(
                "SELECT"
                f" coalesce(sum(CASE WHEN dedup_key LIKE '{REPEAT_PREFIX}%' THEN 0 ELSE 1 END), 0),"
                f" coalesce(sum(CASE WHEN dedup_key LIKE '{REPEAT_PREFIX}%' THEN 1 ELSE 0 END), 0),"
                f" coalesce(sum(CASE WHEN dedup_key LIKE '{REPEAT_PREFIX}%'"
                " THEN event_count ELSE 0 END), 0),"
                " (SELECT count(*) FROM incident)"
                " FROM alert"
            )
        ).one()
    engine.dispose()
    lost = bool(unique_rows < unique_ok or repeat_events < repeat_ok or repeat_rows > 100)
    target.facts.append(
        f"unique alerts answered 2xx {unique_ok}, rows {unique_rows}; repeating alerts answered "
        f"2xx {repeat_ok}, stored as {repeat_rows} rows with {repeat_events} events; "
        f"{incidents} incidents"
    )
    if lost:
        target.facts.append("FAIL: ALERTS WERE LOST (fewer rows/events than alerts answered 2xx)")
    return lost


def bench_alertmanager(binary: str, args: argparse.Namespace, workdir: Path) -> Target:
    """Prometheus Alertmanager, in memory, with a null receiver: the same load on its API."""
    target = Target("alertmanager")
    port = free_port()
    config = workdir / "alertmanager.yml"
    config.write_text(AM_CONFIG)
    storage = workdir / "alertmanager-data"
    storage.mkdir()
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.path={storage}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    log = workdir / "alertmanager.log"
    ready, url = f"http://127.0.0.1:{port}/-/ready", f"http://127.0.0.1:{port}/api/v2/alerts"
    server = start(argv, dict(os.environ), ready, log)
    try:
        run_points(target, url, args, workdir, am=True)
    finally:
        stop(server)
    shutil.rmtree(storage)
    storage.mkdir()
    server = start(argv, dict(os.environ), ready, log)  # a fresh process: RSS after --alerts
    try:
        sent_ok, failed = asyncio.run(send_unique(url, args.alerts, am=True))
        rss, peak = memory(server.pid)
    finally:
        stop(server)
    target.facts.append(
        f"{args.alerts} unique alerts in groups of 100: {sent_ok} answered 2xx, {failed} failed; "
        f"RSS after them: {rss:.0f} MiB (peak {peak:.0f} MiB)"
    )
    return target


def bench_baseline(database_url: str, args: argparse.Namespace, workdir: Path) -> Target:
    """bench/ingest_baseline.py under uvicorn: one INSERT per alert, one COMMIT per request."""
    target = Target("baseline postgresql")
    port = free_port()
    key = f"bench-{secrets.token_hex(12)}"
    env = {
        **os.environ,
        "BASELINE_DATABASE_URL": database_url,
        "BASELINE_KEY": key,
        "PYTHONPATH": str(ROOT / "bench"),
    }
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "ingest_baseline:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    server = start(argv, env, f"http://127.0.0.1:{port}/", workdir / "baseline.log")
    try:
        run_points(target, f"http://127.0.0.1:{port}/ingest/alertmanager/{key}", args, workdir)
        rss, _ = memory(server.pid)
    finally:
        stop(server)
    target.facts.append(f"RSS after the load points: {rss:.0f} MiB")
    return target


def ratio(top: Target | None, bottom: Target | None, point: str) -> float | None:
    """alerts/s of ``top`` over ``bottom`` at ``point``, when both ran."""
    if top is None or bottom is None or point not in top.results or point not in bottom.results:
        return None
    below = bottom.results[point].alerts_rate
    return top.results[point].alerts_rate / below if below else None


def verdict(value: float | None, goal: float) -> str:
    """``0.83x  (≥0.7x: meets)``, or a dash when not measured."""
    if value is None:
        return "-"
    return f"{value:.2f}x ({'meets' if value >= goal else 'MISSES'} ≥{goal}x)"


def summary(targets: list[Target]) -> None:
    """All figures side by side, the ratios against the DESIGN §10 targets and the facts."""
    by_label = {t.label: t for t in targets}
    am = by_label.get("alertmanager")
    sqlite_ = by_label.get("warroom sqlite")
    postgres = by_label.get("warroom postgresql")
    baseline = by_label.get("baseline postgresql")
    print("\n=== figures (alerts/s counts 2xx answers only; latency from wrk) ===")
    print(
        f"  {'target':<22}{'point':<22}{'req/s':>9} {'alerts/s':>10} {'p50 ms':>8} "
        f"{'p99 ms':>8}  non-2xx"
    )
    for point in POINTS:
        for target in targets:
            if point.name in target.results:
                print(f"  {target.label:<22}{point.name:<22}{row(target.results[point.name])}")
    print("\n=== ratios of alerts/s (DESIGN.md §10 targets) ===")
    print(f"  {'point':<22}{'sqlite / AM':<28}{'postgresql / AM':<28}{'postgresql / baseline'}")
    for point in POINTS:
        am_goal = 0.7 if point.name == SINGLE_C64 else 0.5 if point.name == BATCHED else None
        cells = []
        for top in (sqlite_, postgres):
            value = ratio(top, am, point.name)
            if am_goal is not None and (top is sqlite_ or point.name == BATCHED):
                cells.append(verdict(value, am_goal))
            else:
                cells.append("-" if value is None else f"{value:.2f}x")
        value = ratio(postgres, baseline, point.name)
        base = (
            verdict(value, 2.0)
            if point.per_request == 1
            else ("-" if value is None else f"{value:.2f}x")
        )
        print(f"  {point.name:<22}{cells[0]:<28}{cells[1]:<28}{base}")
    print("\n=== memory and durability ===")
    for target in targets:
        for fact in target.facts:
            print(f"  {target.label:<22}{fact}")
    print("\n=== machine ===")
    for fact in machine_facts(am is not None):
        print(f"  {fact}")


def machine_facts(with_alertmanager: bool) -> list[str]:
    """CPU count, Python, SQLite and wrk versions."""
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    facts = [
        f"{os.cpu_count()} CPUs ({platform.machine()}), {platform.platform()}",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        (wrk_version.stdout or wrk_version.stderr).splitlines()[0],
        "wrk shares the CPUs with the server under test (1 thread at c1, 2 otherwise)",
    ]
    if not with_alertmanager:
        facts.append("alertmanager not installed: no Alertmanager figures")
    return facts


def alertmanager_binary(given: str) -> str | None:
    """The Alertmanager to compare with: --alertmanager, else on PATH under either name."""
    if given:
        return given
    return shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")


def main() -> None:
    """Parse the options, run every target, print the summary, fail only on lost alerts."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=100_000, help="unique alerts for RSS")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per load point")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES, help="PostgreSQL server")
    parser.add_argument("--alertmanager", default="", help="path of the alertmanager binary")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.alerts = 2, 1000
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(
        f"alert ingest over loopback, {args.seconds:g}s per load point, then {args.alerts} "
        f"unique alerts; backends {', '.join(backends)}"
    )
    print(
        f"  {'target':<22}{'point':<22}{'req/s':>9} {'alerts/s':>10} {'p50 ms':>8} "
        f"{'p99 ms':>8}  non-2xx"
    )
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="warroom-bench-ingest-") as tmp:
        workdir = Path(tmp)
        binary = alertmanager_binary(args.alertmanager)
        if binary:
            targets.append(bench_alertmanager(binary, args, workdir))
        if "sqlite" in backends:
            url = f"sqlite:///{workdir}/warroom.db"
            targets.append(bench_warroom(url, "warroom sqlite", args, workdir))
        if "postgresql" in backends:
            with throwaway_postgres(args.database_url, "ingest") as url:
                targets.append(bench_warroom(url, "warroom postgresql", args, workdir))
            with throwaway_postgres(args.database_url, "ingest_baseline") as url:
                targets.append(bench_baseline(url, args, workdir))
    summary(targets)
    if any(t.lost for t in targets):
        raise SystemExit("FAIL: alerts answered 2xx are missing from the database")


if __name__ == "__main__":
    main()
