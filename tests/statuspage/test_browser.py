"""The status page in headless Chromium: renders without errors, readable at 375 px, dark mode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.browser import ARTIFACTS, CHROMIUM, need_browser, serving
from tests.channels.conftest import free_port
from tests.statuspage.conftest import DeclareIncident
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.statuspage import components, service
from warroom.statuspage.models import StatusComponent
from warroom.web.app import create_app


@pytest.fixture
def served(settings: Settings, clock: FakeClock, engine: Engine) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1; yields its status page URL."""
    need_browser()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"public_url": base}), clock=clock, engine=engine)
    with serving(app, port):
        yield f"{base}/status"


@pytest.fixture
def busy(
    session: Session,
    change: Change,
    clock: FakeClock,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
) -> None:
    """Groups, an incident with updates, a maintenance and some uptime history."""
    for name in ("Search", "Notifications with a rather long component name for small screens"):
        components.create_component(session, change=change, name=name, description="Public API")
    incident = declare_incident(title="Elevated checkout errors", severity="P2")
    service.publish_incident_update(
        session, change=change, incident=incident, status="investigating", body="Looking into it."
    )
    clock.advance(timedelta(minutes=20))
    service.publish_incident_update(
        session,
        change=change,
        incident=incident,
        status="identified",
        body="A bad deploy; rolling back. " * 8,
    )
    service.schedule_maintenance(
        session,
        change=change,
        name="Database upgrade",
        body="Expect short interruptions.",
        scheduled_for=clock.now() + timedelta(days=1),
        scheduled_until=clock.now() + timedelta(days=1, hours=1),
        components=[checkout.public_id],
    )
    session.commit()
    clock.advance(timedelta(hours=1))


def test_the_status_page_in_chromium_at_desktop_and_phone_width(served: str, busy: None):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            for width, scheme in ((1280, "light"), (375, "light"), (375, "dark")):
                page = browser.new_page(
                    viewport={"width": width, "height": 800},
                    color_scheme=scheme,  # type: ignore[arg-type]
                )
                page.on(
                    "console",
                    lambda message: (
                        problems.append(message.text) if message.type == "error" else None
                    ),
                )
                page.on("pageerror", lambda error: problems.append(str(error)))
                answer = page.goto(served)
                assert answer is not None
                assert answer.status == 200
                assert page.get_by_role("main").is_visible()
                assert page.get_by_role("banner").is_visible()
                assert page.get_by_role("contentinfo").is_visible()
                assert page.get_by_text("Partial System Outage").is_visible()
                assert page.get_by_role("link", name="Elevated checkout errors").is_visible()
                assert page.get_by_text("Partial outage").first.is_visible()
                assert page.get_by_label("Email address").is_visible()
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"horizontal scrolling at {width} px ({overflow} px)"
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert (background == "rgb(13, 17, 23)") == (scheme == "dark")
                page.screenshot(
                    path=str(ARTIFACTS / f"status-{width}-{scheme}.png"), full_page=True
                )
                page.close()
            detail = browser.new_page(viewport={"width": 375, "height": 800})
            detail.on("pageerror", lambda error: problems.append(str(error)))
            detail.goto(served)
            detail.get_by_role("link", name="Elevated checkout errors").click()
            assert detail.get_by_text("Identified").first.is_visible()
            assert detail.evaluate(
                "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            )
            detail.screenshot(path=str(ARTIFACTS / "incident-375.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
