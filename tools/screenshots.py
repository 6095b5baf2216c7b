"""Screenshots of the main web UI pages at desktop and phone width, on a fresh demo database.

Run with ``make screenshots``; the PNGs land in ``screenshots/`` (or the folder given). It also
reports console errors and horizontal scrolling per page, and exits non-zero if there were any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from warroom.clock import SystemClock
from warroom.config import Settings
from warroom.db import make_engine, make_session_factory, transaction
from warroom.demo import seed_demo
from warroom.incidents.models import Incident
from warroom.migrate import upgrade
from warroom.runbooks.models import Runbook
from warroom.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
SIZES = (("desktop", 1280, 900, "light"), ("phone", 375, 812, "light"), ("dark", 1280, 900, "dark"))


def _pages(first_incident: str, runbook_id: int | None) -> list[tuple[str, str]]:
    pages = [
        ("incidents", "/incidents"),
        ("incident", f"/incidents/{first_incident}"),
        ("declare", "/incidents/new"),
        ("oncall", "/oncall"),
        ("services", "/services"),
        ("service", "/services/checkout"),
        ("runbooks", "/runbooks"),
        ("analytics", "/analytics"),
        ("admin", "/admin"),
    ]
    if runbook_id is not None:
        pages.append(("runbook", f"/runbooks/{runbook_id}"))
    return pages


def _serve(settings: Settings, port: int) -> uvicorn.Server:
    app = create_app(settings, clock=SystemClock())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        sys.exit("the server did not start")
    return server


def _sign_in(page: Page, base: str, login: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/incidents")


def main() -> int:
    """Seed a demo database, serve it, and photograph every main page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="screenshots", type=Path)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="warroom-shots-"))
    base = f"http://127.0.0.1:{args.port}"
    settings = Settings(database_url=f"sqlite:///{workdir / 'demo.db'}", public_url=base)
    engine = make_engine(settings)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        result = seed_demo(session, clock=SystemClock(), settings=settings)
        still_open = Incident.resolved_at.is_(None)
        first = session.scalar(
            select(Incident.ref).where(still_open).order_by(Incident.severity, Incident.id)
        )
        runbook_id = session.scalar(select(Runbook.id).order_by(Runbook.id))
    server = _serve(settings, args.port)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        for size, width, height, scheme in SIZES:
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme=scheme,  # type: ignore[arg-type]
            )
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{base}/login")
            page.screenshot(path=str(args.folder / f"login-{size}.png"), full_page=True)
            _sign_in(page, base, result.web_login, result.web_password)
            for name, path in _pages(str(first), runbook_id):
                answer = page.goto(f"{base}{path}")
                status = answer.status if answer else 0
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if status != 200:
                    problems.append(f"{path} answered {status} at {size}")
                if overflow > 0:
                    problems.append(f"{path} scrolls sideways by {overflow} px at {size}")
                page.screenshot(path=str(args.folder / f"{name}-{size}.png"), full_page=True)
            context.close()
        browser.close()
    server.should_exit = True
    print(f"screenshots written to {args.folder}/")
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
