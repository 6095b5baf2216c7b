"""``warroom engine``: run the engine loop (escalations, informs, SLAs, quiet periods)."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy import Engine as Database

from warroom.cli.render import console
from warroom.cli.state import state_of
from warroom.clock import Clock
from warroom.db import make_session_factory
from warroom.engine.escalation import EscalationModule
from warroom.engine.loop import Engine, Module
from warroom.engine.monitoring import MonitoringModule
from warroom.engine.polling import PollingModule
from warroom.engine.sla import SlaModule
from warroom.engine.stakeholders import StakeholdersModule
from warroom.migrate import ensure_current
from warroom.pipeline.apply import PipelineSettings
from warroom.severity import DEFAULT_SCHEME, SeverityScheme

IntervalOption = Annotated[
    float | None,
    typer.Option("--interval", min=0.01, help="seconds between cycles (default: engine_interval)"),
]


def build_engine(
    database: Database,
    clock: Clock,
    interval: float,
    scheme: SeverityScheme = DEFAULT_SCHEME,
    quiet_period: timedelta = timedelta(minutes=15),
) -> Engine:
    """The engine with every module, in the order they run."""
    modules: list[Module] = [
        EscalationModule(),
        StakeholdersModule(),
        SlaModule(scheme),
        MonitoringModule(),
        PollingModule(PipelineSettings(scheme=scheme, quiet_period=quiet_period)),
    ]
    return Engine(make_session_factory(database), clock, modules, interval)


def engine(ctx: typer.Context, interval: IntervalOption = None) -> None:
    """Run the engine (escalations, stakeholder informs, SLA clocks) until Ctrl-C or SIGTERM."""
    state = state_of(ctx)
    ensure_current(state.engine)
    seconds = interval or state.settings.engine_interval
    loop = build_engine(
        state.engine,
        state.clock,
        seconds,
        state.settings.severity_scheme,
        state.settings.resolve_quiet_period,
    )
    stop = threading.Event()
    # Finish the current cycle rather than abandon it halfway (it would roll back, losing nothing).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    console.print(f"warroom engine running every {seconds}s; Ctrl-C stops it")
    loop.run(stop)
    console.print("engine stopped")
