"""The runbooks pages: the list, heading search, a rendered runbook with anchors and its users."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from tests.runbooks.conftest import seeds_present  # noqa: F401 (the fixture, for this module)
from warroom.change import Change
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.runbooks import library, suggest
from warroom.runbooks.models import Runbook, RunbookSection
from warroom.severity import DEFAULT_SCHEME
from warroom.web.ui.runbooks import USED_BY_SHOWN, heading_anchors

Browser = Callable[[str], TestClient]
DEMO = Path(__file__).resolve().parents[2] / "src" / "warroom" / "demo_runbook.md"
REDIS = "Redis High Memory (P2)"


def import_file(session: Session, change: Change, path: Path) -> Runbook:
    imported = library.import_runbook(
        session, change=change, source=f"runbooks/{path.name}", raw=path.read_bytes()
    )
    session.commit()
    return imported.runbook


def import_text(session: Session, change: Change, source: str, text: str) -> Runbook:
    imported = library.import_runbook(session, change=change, source=source, raw=text.encode())
    session.commit()
    return imported.runbook


@pytest.fixture
def seeded(request: pytest.FixtureRequest, session: Session, change: Change) -> dict[str, Runbook]:
    """Every seed runbook and the demo runbook, by file name (skipped without the seeds)."""
    seeds: Path = request.getfixturevalue("seeds_present")
    paths = [*sorted(seeds.glob("*.txt")), DEMO]
    return {path.name: import_file(session, change, path) for path in paths}


def section(session: Session, runbook: Runbook, heading: str) -> RunbookSection:
    return session.scalars(
        select(RunbookSection).where(
            RunbookSection.runbook_id == runbook.id, RunbookSection.heading == heading
        )
    ).one()


def follow(session: Session, change: Change, title: str, section_id: str) -> Incident:
    incident = incidents.declare(
        session, change=change, scheme=DEFAULT_SCHEME, title=title, severity="P2"
    )
    suggest.accept(session, change=change, incident=incident, section_id=section_id)
    session.commit()
    return incident


def test_the_list_shows_every_imported_runbook_to_a_viewer(
    browser: Browser, session: Session, seeded: dict[str, Runbook]
):
    html = browser("vera").get("/runbooks").text
    for name, runbook in seeded.items():
        sections = session.scalar(
            select(func.count()).where(RunbookSection.runbook_id == runbook.id)
        )
        row = re.search(
            rf'<a href="/runbooks/{runbook.id}">{re.escape(name)}</a>.*?</tr>', html, re.S
        )
        assert row, name
        assert f"<td>{sections}</td>" in row.group(0)
        assert runbook.title in row.group(0)
        assert "1 Nov 09:00 UTC" in row.group(0)  # imported at the fake clock's time
    assert html.count('<a href="/runbooks/') == len(seeded)


def test_no_runbooks_says_how_to_import_one(browser: Browser):
    html = browser("vera").get("/runbooks").text
    assert "No runbooks yet" in html


def test_search_finds_headings_and_links_to_their_anchor(
    browser: Browser, seeded: dict[str, Runbook]
):
    client = browser("vera")
    common = seeded["000_a25ff75ecb42e6d3.txt"]
    found = client.get("/runbooks", params={"q": "redis HIGH"}).text
    assert f'<a href="/runbooks/{common.id}#redis-high-memory-p2">{REDIS}</a>' in found
    detail = client.get(f"/runbooks/{common.id}").text
    assert f'<h4 id="redis-high-memory-p2">{REDIS}</h4>' in detail
    nothing = client.get("/runbooks", params={"q": "100%_"}).text
    assert "No section heading contains “100%_”" in nothing


def test_a_runbook_renders_with_anchors_its_own_links_reach(
    browser: Browser, seeded: dict[str, Runbook]
):
    stocks = seeded["004_795784e7baebcea4.txt"]
    html = browser("vera").get(f"/runbooks/{stocks.id}").text
    # The runbook's own table of contents links GitHub-style anchors; they now exist.
    for anchor in ("high-error-rate", "high-latency--slow-performance", "lambda-timeouts"):
        assert f'href="#{anchor}"' in html
        assert f'id="{anchor}"' in html
    assert '<h2 id="incident-response-runbook">Incident Response Runbook</h2>' in html
    assert "<h1>Incident Response Runbook</h1>" in html  # the page's own h1, once
    assert html.count("<h1") == 1
    assert "<pre><code" in html
    start = html.index('id="contents"')
    contents = html[start : html.index("</nav>", start)]
    assert '<a href="#lambda-timeouts">Lambda Timeouts</a>' in contents


def test_seed_tables_render_as_tables(browser: Browser, seeded: dict[str, Runbook]):
    common = seeded["000_a25ff75ecb42e6d3.txt"]
    html = browser("vera").get(f"/runbooks/{common.id}").text
    assert "<th>Severity</th>" in html
    assert "<td>P1 (Critical)</td>" in html


def test_used_by_lists_the_incidents_that_followed_a_section(
    browser: Browser, session: Session, change: Change, seeded: dict[str, Runbook]
):
    common = seeded["000_a25ff75ecb42e6d3.txt"]
    redis = section(session, common, REDIS)
    first = follow(session, change, "Redis is full", redis.public_id)
    second = follow(session, change, "Redis again", redis.public_id)
    api = section(session, common, "API Unavailable (P1)")
    third = follow(session, change, "API down", api.public_id)
    html = browser("vera").get(f"/runbooks/{common.id}").text
    used = html[html.index('id="used-by"') : html.index('id="runbook"')]
    redis_part = used[used.index('<a href="#redis-high-memory-p2">') :].split("</ul>")[0]
    api_part = used[used.index('<a href="#api-unavailable-p1">') :].split("</ul>")[0]
    assert "followed by <strong>2 incidents</strong>" in " ".join(redis_part.split())
    assert redis_part.index(second.ref) < redis_part.index(first.ref)  # latest first
    assert f'<a href="/incidents/{first.ref}">{first.ref}</a> Redis is full' in redis_part
    assert third.ref not in redis_part
    assert f'<a href="/incidents/{third.ref}">' in api_part
    assert "<strong>1 incident</strong>" in api_part
    assert f'<a href="#redis-high-memory-p2">{REDIS}</a> <small class="muted">(used by 2)' in html
    other = seeded["001_9f8791a81a374768.txt"]
    assert "No incident has followed" in browser("alice").get(f"/runbooks/{other.id}").text


def test_used_by_shows_the_latest_few_and_the_full_count(
    browser: Browser, session: Session, change: Change, seeded: dict[str, Runbook]
):
    redis = section(session, seeded["000_a25ff75ecb42e6d3.txt"], REDIS)
    followed = [follow(session, change, f"Redis {n}", redis.public_id) for n in range(12)]
    html = browser("vera").get(f"/runbooks/{redis.runbook_id}").text
    assert f"<strong>12 incidents</strong> (latest {USED_BY_SHOWN})" in html
    shown = re.findall(r'<a href="/incidents/([^"]+)">', html)
    assert shown == [i.ref for i in reversed(followed)][:USED_BY_SHOWN]


def test_the_page_costs_the_same_queries_however_many_sections_were_used(
    browser: Browser, session: Session, change: Change, engine: Engine, seeded: dict[str, Runbook]
):
    common = seeded["000_a25ff75ecb42e6d3.txt"]
    client = browser("vera")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/runbooks/{common.id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    follow(session, change, "one", section(session, common, REDIS).public_id)
    one = queries()
    for heading in ("API Unavailable (P1)", "High Error Rate (P2)", "DLQ Messages (P2)"):
        follow(session, change, heading, section(session, common, heading).public_id)
    assert queries() == one


def test_raw_html_and_script_links_are_not_rendered(
    browser: Browser, session: Session, change: Change
):
    evil = import_text(
        session,
        change,
        "evil.md",
        "# Evil <script>alert(1)</script>\n\n"
        "<script>alert(2)</script>\n\n"
        "Text <img src=x onerror=alert(3)> inline.\n\n"
        "## Steps\n\n"
        "1. [link](javascript:alert(4))\n"
        "2. [shouting](JAVASCRIPT:alert(5)) and <javascript:alert(6)>\n"
        "3. [data](data:text/html;base64,PHNjcmlwdD4=) and [fine](https://example.com/x)\n",
    )
    html = browser("vera").get(f"/runbooks/{evil.id}").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<title>Evil &lt;script&gt;alert(1)&lt;/script&gt; · warroom</title>" in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in html
    article = html[html.index('<article class="card markdown"') : html.index("</article>")]
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', article)
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:"))]
    assert "https://example.com/x" in hrefs
    assert "[link](javascript:alert(4))" in html  # shown as text, not as a link


def test_a_heading_named_like_a_page_id_gets_its_own_anchor(
    browser: Browser, session: Session, change: Change
):
    runbook = import_text(session, change, "ids.md", "# Main\n\n## Contents\n\n## Main\n\ntext\n")
    html = browser("vera").get(f"/runbooks/{runbook.id}").text
    assert html.count('id="main"') == 1
    assert '<h2 id="main-1">Main</h2>' in html
    assert '<h3 id="contents-1">Contents</h3>' in html
    assert '<h3 id="main-2">Main</h3>' in html


def test_anchors_follow_github_slugs():
    assert heading_anchors([(1, "High Latency / Slow Performance"), (5, "API: 5xx Errors!")]) == {
        1: "high-latency--slow-performance",
        5: "api-5xx-errors",
    }
    assert heading_anchors([(1, "Steps"), (2, "Steps"), (3, "???")]) == {
        1: "steps",
        2: "steps-1",
        3: "section",
    }


@pytest.mark.parametrize("path", ["/runbooks/999", "/runbooks/abc", "/runbooks/99999999999999"])
def test_an_unknown_runbook_is_a_404_page(browser: Browser, path: str):
    answer = browser("vera").get(path)
    assert answer.status_code == 404
    assert "no runbook with id" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient):
    answer = client.get("/runbooks", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Frunbooks"
