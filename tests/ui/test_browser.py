"""The war room in headless Chromium: a responder runs an incident while a viewer watches live."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from sqlalchemy import Engine

from tests.browser import ARTIFACTS, CHROMIUM, need_browser, serving
from tests.channels.conftest import free_port
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.web.app import create_app

from .conftest import PASSWORD
from .incident_helpers import import_demo_runbook

LIVE_TIMEOUT_MS = 8000


@pytest.fixture
def base_url(
    settings: Settings, clock: FakeClock, engine: Engine, web_users, client, admin
) -> Iterator[str]:
    """The app under uvicorn with a service and the demo runbook; yields its address."""
    need_browser()
    assert client.post("/api/v1/services", json={"name": "checkout"}, headers=admin).is_success
    import_demo_runbook(client, admin)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"public_url": base}), clock=clock, engine=engine)
    with serving(app, port):
        yield base


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium, never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


def _signed_in(
    chromium: Browser, base: str, handle: str, problems: list[str], width: int = 1280
) -> tuple[BrowserContext, Page]:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{handle}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{handle}: {error}"))
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username or email").fill(handle)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/incidents")
    return context, page


def test_declare_acknowledge_follow_the_runbook_update_and_resolve_while_a_viewer_watches(
    base_url: str, chromium: Browser
):
    problems: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    _, alice = _signed_in(chromium, base_url, "alice", problems)
    alice.get_by_role("link", name="Declare incident").click()
    alice.get_by_label("Title").fill("Checkout API down: 502 from the load balancer")
    alice.get_by_label("Service").select_option("checkout")
    alice.get_by_label("Share of users affected (%)").fill("100")
    alice.get_by_role("button", name="Suggest severity").click()
    expect(alice.get_by_label("Level")).to_have_value("P1")
    alice.get_by_role("button", name="Declare").click()
    expect(alice).to_have_url(re.compile(r"/incidents/[a-z0-9-]+$"))
    incident_url = alice.url
    header = alice.locator("#incident-title")
    expect(header).to_have_text("Checkout API down: 502 from the load balancer")
    expect(alice.locator(".status").first).to_have_text("Triggered")

    # A viewer opens the same incident in another browser and never reloads it.
    _, vera = _signed_in(chromium, base_url, "vera", problems, width=375)
    vera.goto(incident_url)
    expect(vera.locator(".status").first).to_have_text("Triggered")
    expect(vera.get_by_role("button", name="Acknowledge")).to_have_count(0)
    vera.evaluate("window.stillTheSamePage = true")

    alice.get_by_role("button", name="Acknowledge").click()
    expect(alice.locator(".status").first).to_have_text("Acknowledged")
    expect(vera.locator(".status").first).to_have_text("Acknowledged", timeout=LIVE_TIMEOUT_MS)

    alice.get_by_role("button", name=re.compile("^Follow this runbook")).first.click()
    runbook = alice.locator("#incident-runbook")
    expect(runbook).to_contain_text("Checkout API down")
    runbook.get_by_role("button", name="Mark done: step 1").click()
    expect(
        alice.locator("#incident-runbook").get_by_role("button", name="Mark not done: step 1")
    ).to_be_visible()
    expect(alice.locator("#incident-timeline")).to_contain_text("Checklist item done")
    expect(
        vera.locator("#incident-runbook").get_by_role("button", name="Mark not done: step 1")
    ).to_have_count(0)  # a viewer sees the tick, not a button
    expect(vera.locator("#incident-runbook")).to_contain_text(
        "Checkout API down", timeout=LIVE_TIMEOUT_MS
    )

    alice.get_by_label("Update", exact=True).fill("Rolling back the 14:02 deploy of checkout.")
    alice.get_by_role("button", name="Post update").click()
    expect(alice.locator("#incident-updates")).to_contain_text("Rolling back the 14:02 deploy")
    expect(vera.locator("#incident-updates")).to_contain_text(
        "Rolling back the 14:02 deploy", timeout=LIVE_TIMEOUT_MS
    )

    alice.get_by_role("button", name="Resolve").click()
    expect(alice.locator(".status").first).to_have_text("Resolved")
    expect(vera.locator(".status").first).to_have_text("Resolved", timeout=LIVE_TIMEOUT_MS)
    assert vera.evaluate("window.stillTheSamePage") is True
    alice.screenshot(path=str(ARTIFACTS / "ui-incident-1280.png"), full_page=True)
    vera.screenshot(path=str(ARTIFACTS / "ui-incident-375.png"), full_page=True)
    overflow = vera.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the incident page scrolls sideways at 375 px ({overflow} px)"
    assert problems == []


UNLABELLED_FIELDS = """
[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(field => !(field.labels && field.labels.length) && !field.getAttribute('aria-label'))
  .map(field => field.name || field.id || field.outerHTML.slice(0, 60))
"""


def test_every_main_page_at_phone_width_is_labelled_fits_and_logs_no_errors(
    base_url: str, chromium: Browser
):
    problems: list[str] = []
    _, ada = _signed_in(chromium, base_url, "ada", problems, width=375)
    ada.get_by_role("link", name="Declare incident").click()
    ada.get_by_label("Title").fill("Search is slow")
    ada.get_by_label("Level").select_option("P3")
    ada.get_by_role("button", name="Declare").click()
    incident = ada.url.removeprefix(base_url)
    pages = (
        "/incidents",
        incident,
        "/incidents/new",
        "/oncall",
        "/services",
        "/services/checkout",
        "/runbooks",
        "/runbooks/1",
        "/analytics",
        "/admin",
        "/admin/users",
        "/admin/policies",
        "/admin/schedules",
    )
    for path in pages:
        answer = ada.goto(f"{base_url}{path}")
        assert answer is not None
        assert answer.status == 200, path
        assert ada.evaluate(UNLABELLED_FIELDS) == [], path
        assert ada.locator("h1").count() == 1, path
        overflow = ada.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at 375 px ({overflow} px)"
    ada.goto(f"{base_url}/incidents")
    ada.keyboard.press("Tab")  # the skip link comes first and leads to the content
    assert ada.evaluate("document.activeElement.textContent") == "Skip to content"
    ada.keyboard.press("Shift+Slash")
    expect(ada.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert problems == []
