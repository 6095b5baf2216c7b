"""``warroom engine``: run the engine loop (escalations, informs, SLAs, polling, delivery)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from sqlalchemy import Engine as Database

from warroom.cli.render import console
from warroom.cli.state import state_of
from warroom.clock import Clock
from warroom.config import Settings
from warroom.db import make_session_factory
from warroom.engine.broadcast import BroadcastModule
from warroom.engine.cadence import CadenceModule
from warroom.engine.delivery import DeliveryModule
from warroom.engine.escalation import EscalationModule
from warroom.engine.loop import Engine, Module
from warroom.engine.monitoring import MonitoringModule
from warroom.engine.polling import PollingModule
from warroom.engine.postmortems import PostmortemsModule
from warroom.engine.sla import SlaModule
from warroom.engine.stakeholders import StakeholdersModule
from warroom.engine.wake import Listener
from warroom.migrate import ensure_current
from warroom.notifications.broadcast import Broadcaster
from warroom.notifications.delivery import Deliverer, DeliverySettings, delivery_parts
from warroom.pipeline.apply import PipelineSettings
from warroom.statuspage.notify import StatusPageNotifyModule
from warroom.statuspage.page import PageInfo

IntervalOption = Annotated[
    float | None,
    typer.Option("--interval", min=0.01, help="seconds between cycles (default: engine_interval)"),
]


def build_engine(
    database: Database,
    clock: Clock,
    settings: Settings,
    *,
    interval: float | None = None,
    wake: threading.Event | None = None,
    wait_for_sends: bool = False,
) -> Engine:
    """The engine with every module, in the order they run; delivery last, so pages go at once."""
    scheme = settings.severity_scheme
    sessions = make_session_factory(database)
    registry, renderer = delivery_parts(settings)
    deliverer = Deliverer(
        sessions,
        clock,
        registry,
        renderer,
        DeliverySettings(
            max_attempts=settings.delivery_max_attempts,
            timeout=settings.delivery_timeout,
            concurrency=settings.delivery_concurrency,
            rate_per_minute=settings.delivery_rate_per_minute,
        ),
    )
    modules: list[Module] = [
        EscalationModule(),
        StakeholdersModule(),
        SlaModule(scheme),
        MonitoringModule(),
        PollingModule(PipelineSettings(scheme=scheme, quiet_period=settings.resolve_quiet_period)),
        PostmortemsModule.from_settings(settings),
        StatusPageNotifyModule(PageInfo.from_settings(settings)),
        CadenceModule(scheme),
        DeliveryModule(deliverer, wait=wait_for_sends),
        BroadcastModule(
            Broadcaster(
                sessions,
                clock,
                registry,
                max_attempts=settings.delivery_max_attempts,
                timeout=settings.delivery_timeout,
            ),
            wait=wait_for_sends,
        ),
    ]
    loop = Engine(sessions, clock, modules, interval or settings.engine_interval, wake)
    deliverer.wake = loop.wake
    return loop


def listen_for_wakes(database: Database, engine: Engine, stop: threading.Event) -> None:
    """On PostgreSQL, wake the engine when another process commits due work (LISTEN/NOTIFY)."""
    if database.dialect.name == "postgresql":
        Listener(database, engine.wake, stop).start()


def engine(ctx: typer.Context, interval: IntervalOption = None) -> None:
    """Run the engine (escalations, stakeholder informs, SLA clocks) until Ctrl-C or SIGTERM."""
    state = state_of(ctx)
    ensure_current(state.engine)
    seconds = interval or state.settings.engine_interval
    loop = build_engine(state.engine, state.clock, state.settings, interval=seconds)
    stop = threading.Event()

    def finish(*_: object) -> None:
        # Finish the current cycle rather than abandon it halfway (it would roll back anyway).
        stop.set()
        loop.wake.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, finish)
    listen_for_wakes(state.engine, loop, stop)
    console.print(f"warroom engine running every {seconds}s; Ctrl-C stops it")
    loop.run(stop)
    loop.close()
    console.print("engine stopped")
