"""Alert POST → first page at a loopback webhook receiver, idle and under 1,000 alerts/s of load.

For each backend (a SQLite file, a throwaway PostgreSQL database) it migrates a fresh database,
configures it with `warroom apply` (a user whose only contact method is a webhook to a receiver in
this process, an escalation policy paging that user at once, a `probe` service using it and a
`load` service without one, an alertmanager integration on each) and starts `warroom serve` as
users run it (engine in-process). Probe alerts, each with its own alertname so each opens a new
incident and pages, are POSTed every --spacing seconds; the receiver notes when each page arrives.
Then the same probes run while wrk (Lua-paced, wrk2-style schedule per thread) sends --rate
single-alert webhooks a second with unique fingerprints and few alertnames to the `load`
integration (no policy: they never page). Per probe it reports POST start → page arrival and,
from the database, where the time went (ingest, engine wake, tick → arrival). Prometheus
Alertmanager (group_wait 0s, group_interval 1s, group_by [alertname]) runs the same probes and
load through /api/v2/alerts to the same receiver when installed.

Run: .venv/bin/python bench/notify.py [--probes N] [--spacing S] [--rate R]
     [--backends sqlite,postgresql] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
     [--alertmanager PATH] [--quick]
Exits non-zero only when a warroom probe's page never arrives within --deadline seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from harness import BIN, cli, free_port, start, stop, throwaway_postgres
from sqlalchemy import create_engine, func, select

from warroom.escalation.models import IncidentEscalation
from warroom.incidents.models import Incident
from warroom.notifications.models import Notification

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 100.0
LOAD_NAMES = ("HighLatency", "ErrorRate", "DiskFull", "MemoryPressure", "TargetDown")
PROBE = re.compile(r"Probe_[a-z0-9]+_\d+")
GENERATOR_URL = "http://prometheus.example:9090/graph?g0.expr=up"
EXTERNAL_URL = "http://alertmanager.example:9093"

CONFIG = """users:
  - handle: oncall
    name: On Call
    email: oncall@example.com
    contact_methods: [{type: webhook, address: "__RECEIVER__"}]
escalation_policies:
  - name: page-now
    steps: [{after: 0s, targets: [{user: oncall}]}]
services:
  - {name: probe, escalation_policy: page-now}
  - {name: load}
integrations:
  - {name: probe-am, source: alertmanager, service: probe, key: __PROBE_KEY__}
  - {name: load-am, source: alertmanager, service: load, key: __LOAD_KEY__}
"""

AM_CONFIG = """route:
  receiver: "null"
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 4h
  routes:
    - receiver: pager
      matchers: ['bench="probe"']
      group_by: [alertname]
      group_wait: 0s
      group_interval: 1s
receivers:
  - name: "null"
  - name: pager
    webhook_configs:
      - url: "__RECEIVER__"
        send_resolved: false
"""

# Background load. Each wrk thread keeps its own schedule (start + k * interval, as wrk2 does):
# delay() hands every request the next slot, so the rate holds whatever the response times.
LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local interval = __INTERVAL__
local per = __PER__
local am = __AM__
local path = "__PATH__"
local starts = "__STARTS__"
local names = {__NAMES__}
local threads = 0
local first = nil
local slots = 0
local n = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

function delay()
  local now = now_ms()
  if first == nil then first = now end
  local due = first + slots * interval
  slots = slots + 1
  if due <= now then return 0 end
  return due - now
end

function request()
  local name = names[(n % #names) + 1]
  local parts = {}
  for i = 1, per do
    n = n + 1
    local instance = string.format("load-%d-%d", tid, n)
    local labels = string.format(
      '{"alertname":"%s","instance":"%s","job":"node","severity":"warning"}', name, instance)
    local annotations = string.format('{"summary":"%s on %s"}', name, instance)
    if am then
      parts[i] = string.format('{"labels":%s,"annotations":%s,"startsAt":"%s","generatorURL":"%s"}',
        labels, annotations, starts, "__GENERATOR__")
    else
      parts[i] = string.format(
        '{"status":"firing","labels":%s,"annotations":%s,"startsAt":"%s",'
        .. '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"%s","fingerprint":"%02x%014x"}',
        labels, annotations, starts, "__GENERATOR__", tid, n)
    end
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
      name, name, name, table.concat(parts, ","))
  end
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Probe:
    """One probe alert: when its POST started and answered, when its page arrived."""

    key: str
    sent: float = 0.0  # perf_counter at POST start
    sent_wall: float = 0.0  # time.time() at POST start
    answered: float | None = None  # perf_counter when the POST answered 2xx
    status: str = ""
    arrived: float | None = None  # perf_counter when the receiver had the page


@dataclass
class Load:
    """What the background wrk achieved."""

    requests: int
    seconds: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    per_request: int

    @property
    def rate(self) -> float:
        """Alerts answered 2xx a second over the whole wrk run."""
        ok = self.requests - self.non_2xx
        return ok * self.per_request / self.seconds if self.seconds else 0.0


@dataclass
class Run:
    """One scenario: a target, idle or loaded, its probes and what the load achieved."""

    target: str
    load_label: str
    probes: list[Probe]
    deadline: float
    load: Load | None = None
    segments: dict[str, list[float]] = field(default_factory=dict)

    def latencies(self) -> list[float]:
        """POST start → page arrival in ms, of the probes that arrived in time, sorted."""
        return sorted(
            (p.arrived - p.sent) * 1000
            for p in self.probes
            if p.arrived is not None and p.arrived - p.sent <= self.deadline
        )

    def misses(self) -> int:
        """Probes whose page did not arrive within the deadline (or whose POST failed)."""
        return len(self.probes) - len(self.latencies())


class Receiver:
    """A loopback HTTP server that notes the first arrival of each probe's page."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.bodies = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                now = time.perf_counter()
                receiver.note(set(PROBE.findall(body)), now)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def note(self, keys: set[str], now: float) -> None:
        """Record ``now`` for every probe key seen for the first time."""
        with self.lock:
            self.bodies += 1
            for key in keys:
                self.arrivals.setdefault(key, now)

    def url(self, path: str) -> str:
        """The receiver's URL with ``path``."""
        return f"http://127.0.0.1:{self.port}/{path}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def iso_now() -> str:
    """Now as Alertmanager writes startsAt."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def probe_body(key: str, am: bool) -> bytes:
    """One firing alert named ``key``: an Alertmanager webhook, or an AM API array."""
    alert: dict[str, object] = {
        "labels": {"alertname": key, "bench": "probe", "job": "bench", "severity": "critical"},
        "annotations": {"summary": key, "description": "notify bench probe"},
        "startsAt": iso_now(),
        "generatorURL": GENERATOR_URL,
    }
    if am:
        return json.dumps([alert]).encode()
    alert.update(status="firing", endsAt="0001-01-01T00:00:00Z", fingerprint=secrets.token_hex(8))
    webhook = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{key}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "warroom",
        "groupLabels": {"alertname": key},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": EXTERNAL_URL,
        "alerts": [alert],
    }
    return json.dumps(webhook).encode()


def send_probes(
    url: str, tag: str, count: int, spacing: float, am: bool, receiver: Receiver, deadline: float
) -> list[Probe]:
    """POST ``count`` probes ``spacing`` apart (open loop), then wait for their pages."""
    probes = [Probe(f"Probe_{tag}_{n:04d}") for n in range(count)]
    headers = {"content-type": "application/json"}
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(16) as pool:

        def post(probe: Probe) -> None:
            body = probe_body(probe.key, am)
            probe.sent_wall, probe.sent = time.time(), time.perf_counter()
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                probe.status = type(exc).__name__
                return
            probe.status = str(response.status_code)
            if response.is_success:
                probe.answered = time.perf_counter()

        began = time.perf_counter()
        for n, probe in enumerate(probes):
            time.sleep(max(0.0, began + n * spacing - time.perf_counter()))
            pool.submit(post, probe)
    last = max(p.sent for p in probes)
    while time.perf_counter() < last + deadline:
        if all(p.key in receiver.arrivals for p in probes):
            break
        time.sleep(0.02)
    for probe in probes:
        probe.arrived = receiver.arrivals.get(probe.key)
    return probes


def start_load(
    url: str, rate: int, per: int, am: bool, workdir: Path, name: str
) -> subprocess.Popen[str]:
    """Start wrk sending ``rate`` alerts a second, ``per`` a request, to ``url`` until stopped."""
    threads, connections = 2, 20
    values = {
        "__INTERVAL__": repr(threads * 1000.0 * per / rate),
        "__PER__": str(per),
        "__AM__": "true" if am else "false",
        "__PATH__": "/" + url.split("/", 3)[3],
        "__STARTS__": iso_now(),
        "__NAMES__": ", ".join(f'"{n}"' for n in LOAD_NAMES),
        "__GENERATOR__": GENERATOR_URL,
        "__EXTERNAL__": EXTERNAL_URL,
    }
    source = LUA
    for placeholder, value in values.items():
        source = source.replace(placeholder, value)
    script = workdir / f"{name}.lua"
    script.write_text(source)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", "-d3600s", "--timeout", "30s"]
    return subprocess.Popen(
        [*argv, "-s", str(script), url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def stop_load(process: subprocess.Popen[str], per: int) -> Load:
    """Interrupt wrk (it then prints its summary) and read what it achieved."""
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", output or "")
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    requests, micros, p99, non_2xx, socket_errors = (int(g) for g in match.groups())
    return Load(requests, micros / 1e6, p99 / 1000, non_2xx, socket_errors, per)


def scenario(
    target: str,
    probe_url: str,
    load_url: str,
    am: bool,
    per: int,
    args: argparse.Namespace,
    receiver: Receiver,
    workdir: Path,
    tag: str,
) -> Run:
    """Run the probes, with ``per`` alerts a request of background load when ``per`` > 0."""
    wrk = start_load(load_url, args.rate, per, am, workdir, tag) if per else None
    try:
        if wrk is not None:
            time.sleep(args.lead)
            if wrk.poll() is not None:
                raise SystemExit(f"wrk exited early:\n{wrk.communicate()[0]}")
        probes = send_probes(probe_url, tag, args.probes, args.spacing, am, receiver, args.deadline)
    finally:
        load = stop_load(wrk, per) if wrk is not None else None
    run = Run(target, load_name(per), probes, args.deadline, load)
    print(f"  {row(run)}", flush=True)
    return run


def breakdown(database_url: str, run: Run, receiver_offset: float) -> None:
    """Split each probe's latency by the rows' timestamps: ingest, engine wake, tick → arrival."""
    by_key = {p.key: p for p in run.probes if p.arrived is not None}
    first_page = (
        select(Notification.incident_id, func.min(Notification.created_at).label("created"))
        .group_by(Notification.incident_id)
        .subquery()
    )
    query = (
        select(Incident.title, IncidentEscalation.started_at, first_page.c.created)
        .join(IncidentEscalation, IncidentEscalation.incident_id == Incident.id)
        .join(first_page, first_page.c.incident_id == Incident.id)
        .where(Incident.title.in_(list(by_key)))
    )
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    engine.dispose()
    segments: dict[str, list[float]] = {"ingest": [], "wake": [], "page": [], "answer": []}
    for title, started, created in rows:
        probe = by_key[title]
        assert probe.arrived is not None
        arrived_wall = probe.arrived + receiver_offset
        segments["ingest"].append((started.timestamp() - probe.sent_wall) * 1000)
        segments["wake"].append((created.timestamp() - started.timestamp()) * 1000)
        segments["page"].append((arrived_wall - created.timestamp()) * 1000)
        if probe.answered is not None:
            segments["answer"].append((probe.answered - probe.sent) * 1000)
    run.segments = {k: sorted(v) for k, v in segments.items()}


def load_name(per: int) -> str:
    """``idle``, or the background's alerts per request, e.g. ``load x1``."""
    return f"load x{per}" if per else "idle"


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of sorted ``values`` (nearest rank)."""
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def row(run: Run) -> str:
    """One run as a table row."""
    values = run.latencies()
    p99 = percentile(values, 0.99)
    verdict = "meets" if p99 < TARGET_MS and not run.misses() else "MISSES"
    rate = "-" if run.load is None else f"{run.load.rate:.0f}/s"
    if run.load is not None and run.load.non_2xx + run.load.socket_errors:
        rate += f" ({run.load.non_2xx} non-2xx, {run.load.socket_errors} socket errors)"
    figures = " ".join(f"{percentile(values, q):>7.1f}" for q in (0.5, 0.95, 0.99))
    maximum = values[-1] if values else float("nan")
    return (
        f"{run.target:<20}{run.load_label:<10}{len(run.probes):>6} {figures} {maximum:>7.1f} "
        f"{run.misses():>6}  {verdict if not run.target.startswith('alertmanager') else '':<7}"
        f"{rate}"
    )


HEADER = (
    f"{'target':<20}{'load':<10}{'probes':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
    f"{'max ms':>7} {'misses':>6}  {'<100ms':<7}background achieved"
)


def bench_warroom(
    database_url: str, label: str, args: argparse.Namespace, receiver: Receiver, workdir: Path
) -> list[Run]:
    """Migrate, configure and serve warroom on ``database_url``; probe it idle and loaded."""
    port = free_port()
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": database_url,
        "WARROOM_HOST": "127.0.0.1",
        "WARROOM_PORT": str(port),
        "WARROOM_LOG_LEVEL": "warning",
        "WARROOM_INGEST_RATE_LIMIT_PER_MINUTE": "0",
        "WARROOM_EGRESS_ALLOW": "127.0.0.1",
        # Every probe is its own page to one person: bundling would hide the per-page latency.
        "WARROOM_DELIVERY_RATE_PER_MINUTE": "0",
    }
    probe_key, load_key = f"probe{secrets.token_hex(12)}", f"load{secrets.token_hex(12)}"
    config = workdir / f"{label.replace(' ', '-')}.yaml"
    config.write_text(
        CONFIG.replace("__RECEIVER__", receiver.url("warroom"))
        .replace("__PROBE_KEY__", probe_key)
        .replace("__LOAD_KEY__", load_key)
    )
    cli(env, "db", "upgrade")
    cli(env, "apply", str(config))
    base = f"http://127.0.0.1:{port}"
    log = workdir / f"{label.replace(' ', '-')}.log"
    server = start([str(BIN / "warroom"), "serve"], env, f"{base}/", log)
    probe_url, load_url = (
        f"{base}/ingest/alertmanager/{probe_key}",
        f"{base}/ingest/alertmanager/{load_key}",
    )
    prefix = label.split()[-1][:2]
    runs = []
    try:
        warm = send_probes(probe_url, f"{prefix}w", 5, 0.1, False, receiver, args.deadline)
        if any(p.arrived is None for p in warm):
            raise SystemExit(f"{label}: warm-up pages never arrived:\n{log.read_text()[-3000:]}")
        for per in (0, *args.batches):
            tag = f"{prefix}{per}"
            runs.append(
                scenario(label, probe_url, load_url, False, per, args, receiver, workdir, tag)
            )
    finally:
        stop(server)
    offset = time.time() - time.perf_counter()
    for run in runs:
        breakdown(database_url, run, offset)
    return runs


def bench_alertmanager(
    binary: str, args: argparse.Namespace, receiver: Receiver, workdir: Path
) -> list[Run]:
    """Alertmanager with group_wait 0s: the same probes and load on /api/v2/alerts."""
    port = free_port()
    config = workdir / "alertmanager.yml"
    config.write_text(AM_CONFIG.replace("__RECEIVER__", receiver.url("alertmanager")))
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
    url = f"http://127.0.0.1:{port}/api/v2/alerts"
    server = start(argv, dict(os.environ), f"http://127.0.0.1:{port}/-/ready", workdir / "am.log")
    runs = []
    try:
        send_probes(url, "amw", 5, 0.1, True, receiver, args.deadline)
        for per in (0, *args.batches):
            tag = f"am{per}"
            runs.append(scenario("alertmanager", url, url, True, per, args, receiver, workdir, tag))
    finally:
        stop(server)
    return runs


def summary(runs: list[Run]) -> None:
    """Every run side by side against the target, then the split of warroom's latency."""
    print(f"\n=== POST start → first page at the receiver (target p99 < {TARGET_MS:.0f} ms) ===")
    print(f"  {HEADER}")
    for run in runs:
        print(f"  {row(run)}")
    print("\n=== where warroom's time goes (ms; from the rows' timestamps, same clock) ===")
    print("  ingest: POST start → escalation started (the ingest batch's clock)")
    print("  wake:   escalation started → page row written (engine tick start after the commit)")
    print("  page:   tick start → arrival (escalation module, claim, render, send)")
    print("  answer: POST start → 2xx at the prober")
    print(f"  {'target':<20}{'load':<10}{'segment':<8}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for run in runs:
        for name, values in run.segments.items():
            if not values:
                continue
            figures = "".join(f"{percentile(values, q):>8.1f}" for q in (0.5, 0.95, 0.99))
            print(f"  {run.target:<20}{run.load_label:<10}{name:<8}{figures}{values[-1]:>8.1f}")


def machine_facts(alertmanager: str | None) -> list[str]:
    """CPU count, Python, SQLite, wrk and Alertmanager versions."""
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    facts = [
        f"{os.cpu_count()} CPUs ({platform.machine()}), {platform.platform()}",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        (wrk_version.stdout or wrk_version.stderr).splitlines()[0],
        "wrk, the prober and the receiver share the CPUs with the server under test",
    ]
    if alertmanager:
        version = subprocess.run(
            [alertmanager, "--version"], capture_output=True, text=True, check=False
        )
        facts.append((version.stdout or version.stderr).splitlines()[0])
    else:
        facts.append("alertmanager not installed: no Alertmanager figures")
    return facts


def main() -> None:
    """Parse the options, run every target, print the summary, fail only on missing pages."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--probes", type=int, default=200, help="probe alerts per run")
    parser.add_argument("--spacing", type=float, default=0.05, help="seconds between probes")
    parser.add_argument("--rate", type=int, default=1000, help="background alerts a second")
    parser.add_argument(
        "--batches",
        default="1,10",
        help="alerts per background request, one loaded run each (AM sends groups)",
    )
    parser.add_argument("--lead", type=float, default=3.0, help="seconds of load before probes")
    parser.add_argument("--deadline", type=float, default=10.0, help="seconds a page may take")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES, help="PostgreSQL server")
    parser.add_argument("--alertmanager", default="", help="path of the alertmanager binary")
    parser.add_argument("--quick", action="store_true", help="50 probes, 1 s of lead")
    args = parser.parse_args()
    args.batches = [int(b) for b in args.batches.split(",") if b.strip()]
    if args.quick:
        args.probes, args.lead = 50, 1.0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    binary = args.alertmanager or (
        shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")
    )
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(
        f"alert POST → first page: {args.probes} probes {args.spacing * 1000:.0f} ms apart per "
        f"run, idle and with {args.rate} alerts/s of background load; backends "
        f"{', '.join(backends)}{', alertmanager' if binary else ''}"
    )
    print(f"  {HEADER}")
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory(prefix="warroom-bench-notify-") as tmp,
        Receiver() as receiver,
    ):
        workdir = Path(tmp)
        if "sqlite" in backends:
            url = f"sqlite:///{workdir}/warroom.db"
            runs += bench_warroom(url, "warroom sqlite", args, receiver, workdir)
        if "postgresql" in backends:
            with throwaway_postgres(args.database_url, "notify") as url:
                runs += bench_warroom(url, "warroom postgresql", args, receiver, workdir)
        if binary:
            runs += bench_alertmanager(binary, args, receiver, workdir)
    summary(runs)
    print("\n=== machine ===")
    for fact in machine_facts(binary):
        print(f"  {fact}")
    missed = sum(r.misses() for r in runs if r.target.startswith("warroom"))
    if missed:
        raise SystemExit(f"FAIL: {missed} warroom probes were never paged within the deadline")


if __name__ == "__main__":
    main()
