"""``warroom serve``: the API server with the engine in a thread, optionally with demo data."""

from __future__ import annotations

import json
import threading
from typing import Annotated

import typer
import uvicorn

from warroom.cli.engine import build_engine, listen_for_wakes
from warroom.cli.render import console
from warroom.cli.state import state_of
from warroom.demo import demo_alert_body, seed_demo
from warroom.migrate import ensure_current, upgrade
from warroom.web.app import create_app
from warroom.web.logs import log_config


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="migrate, seed demo incidents and print an admin token")
    ] = False,
    run_engine: Annotated[
        bool,
        typer.Option(
            "--engine/--no-engine",
            help="run the engine in this process (default); --no-engine when it runs separately",
        ),
    ] = True,
) -> None:
    """Serve the API and, unless --no-engine, run the engine in a background thread."""
    state = state_of(ctx)
    settings = state.settings.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    if demo:
        upgrade(state.engine)
        with state.session() as session:
            result = seed_demo(session, clock=state.clock, settings=settings)
        console.print(f"demo data: {result.summary}")
    ensure_current(state.engine)
    stop = threading.Event()
    loop = build_engine(state.engine, state.clock, settings) if run_engine else None
    app = create_app(
        settings, clock=state.clock, engine=state.engine, wake=loop.wake if loop else None
    )
    console.print(
        f"warroom is serving on [bold]{settings.base_url}[/] (API docs: {settings.base_url}/docs)"
    )
    if demo and result.integration_key:
        url = f"{settings.base_url}/ingest/alertmanager/{result.integration_key}"
        body = json.dumps(demo_alert_body("firing", "checkout-3:9100"))
        console.print("send the demo Alertmanager integration an alert:", markup=False)
        print(f"  curl -H 'Content-Type: application/json' -d '{body}' {url}", flush=True)
    if demo:
        console.print("admin token for this demo (use it as `Authorization: Bearer <token>`):")
        print(result.admin_token, flush=True)
        if result.web_password:
            console.print(
                f"sign in to the web UI at {settings.base_url}/login as "
                f"[bold]{result.web_login}[/], password:"
            )
            print(result.web_password, flush=True)
    worker = None
    if loop is not None:
        listen_for_wakes(state.engine, loop, stop)
        worker = threading.Thread(target=loop.run, args=(stop,), name="warroom-engine")
        worker.start()
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            log_config=log_config(),
            # Open live-update streams would otherwise hold a shutdown for minutes.
            timeout_graceful_shutdown=5,
        )
    finally:
        # uvicorn returns after a graceful shutdown; let the engine finish its cycle.
        stop.set()
        if loop is not None and worker is not None:
            loop.wake.set()
            worker.join()
            loop.close()
