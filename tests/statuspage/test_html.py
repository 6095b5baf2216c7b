"""The server-rendered pages: status, incident, history, feeds, subscribe forms."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from tests.statuspage.conftest import DeclareIncident
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.statuspage import components, service
from warroom.statuspage.models import StatusComponent

ATOM = "{http://www.w3.org/2005/Atom}"


def _publish(
    session: Session, change: Change, declare_incident: DeclareIncident, body: str = "Bad deploy."
) -> str:
    incident = declare_incident(title="Checkout down", severity="P2")
    update = service.publish_incident_update(
        session, change=change, incident=incident, status="identified", body=body
    )
    session.commit()
    return update.incident.public_id


def test_status_page_shows_status_incident_components_and_uptime(
    client: TestClient,
    session: Session,
    change: Change,
    clock: FakeClock,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    public_id = _publish(session, change, declare_incident, body="We rolled back <b>v2</b>.")
    clock.advance(timedelta(hours=1))

    page = client.get("/status")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "public, max-age=30"
    html = page.text
    assert "<main" in html
    assert "<header>" in html
    assert "<footer>" in html
    assert "prefers-color-scheme: dark" in html
    assert "<script" not in html
    assert "Partial System Outage" in html
    assert "Checkout down" in html
    assert f"/status/incidents/{public_id}" in html
    assert "We rolled back &lt;b&gt;v2&lt;/b&gt;." in html
    assert "Payments" in html
    assert "Checkout API" in html
    assert "Partial outage" in html  # the words, not only a colour
    assert (
        "Uptime of Checkout API for the last 90 days: 70.00 %. "
        "2025-11-01: 70.00 % uptime, 1 h 0 min partial outage.</p>"
    ) in html
    assert '<ol class="bars" aria-hidden="true">' in html
    assert '<li class="nodata" style="flex-grow:89"></li>' in html
    assert 'title="2025-11-01: 70.00 % uptime, 1 h 0 min partial outage"' in html
    assert "70.00 % uptime</span>" in html
    assert "/status/history.atom" in html
    assert 'action="http://127.0.0.1:8080/status/subscribe"' in html


def test_only_show_if_degraded_hides_a_healthy_component(
    client: TestClient, session: Session, change: Change
):
    components.create_component(
        session, change=change, name="Fax gateway", only_show_if_degraded=True
    )
    session.commit()
    assert "Fax gateway" not in client.get("/status").text

    fax = components.list_components(session)[0]
    components.set_status(session, change=change, component=fax, status="major_outage")
    session.commit()
    assert "Fax gateway" in client.get("/status").text


def test_incident_and_history_pages(
    client: TestClient,
    session: Session,
    change: Change,
    clock: FakeClock,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    public_id = _publish(session, change, declare_incident)

    incident_page = client.get(f"/status/incidents/{public_id}")
    assert incident_page.status_code == 200
    assert "Bad deploy." in incident_page.text
    assert "Identified" in incident_page.text
    assert "Checkout API" in incident_page.text
    assert client.get("/status/incidents/nothere12345").status_code == 404

    history = client.get("/status/history")
    assert history.status_code == 200
    assert f"/status/incidents/{public_id}" in history.text
    assert "1 Nov 2025, 09:00 UTC" in history.text


def test_atom_and_rss_feeds_parse_and_have_the_required_elements(
    client: TestClient,
    session: Session,
    change: Change,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    public_id = _publish(session, change, declare_incident)

    atom = client.get("/status/history.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(atom.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    [entry] = feed.findall(f"{ATOM}entry")
    for required in ("id", "title", "updated", "summary"):
        assert entry.find(f"{ATOM}{required}") is not None, required
    assert entry.find(f"{ATOM}title").text == "Checkout down"  # type: ignore[union-attr]
    assert entry.find(f"{ATOM}summary").text == "Identified: Bad deploy."  # type: ignore[union-attr]
    assert entry.find(f"{ATOM}link").get("href").endswith(public_id)  # type: ignore[union-attr]

    rss = client.get("/status/history.rss")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(rss.content)
    assert (root.tag, root.get("version")) == ("rss", "2.0")
    channel = root.find("channel")
    assert channel is not None
    for required in ("title", "link", "description"):
        assert channel.find(required) is not None, required
    [item] = channel.findall("item")
    assert item.findtext("title") == "Checkout down"
    assert item.findtext("guid", "").endswith(public_id)
    assert item.findtext("pubDate", "").endswith("GMT")


def test_empty_page_renders_and_feeds_are_valid(client: TestClient):
    page = client.get("/status")
    assert page.status_code == 200
    assert "All Systems Operational" in page.text
    assert "No components are listed yet." in page.text
    assert ET.fromstring(client.get("/status/history.atom").content).findall(f"{ATOM}entry") == []
    assert client.get("/status/history").status_code == 200


def test_pages_make_the_same_number_of_queries_for_one_incident_or_ten(
    client: TestClient, session: Session, change: Change, engine: Engine, checkout: StatusComponent
):
    def queries(path: str) -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    def open_incidents(how_many: int) -> None:
        for n in range(how_many):
            public = service.create_incident(
                session,
                change=change,
                name=f"Problem {n}",
                status="investigating",
                body="Looking.",
                components=[checkout.public_id],
            )
            service.add_update(
                session, change=change, public=public, status="identified", body="Found."
            )
        session.commit()

    paths = ["/status", "/status/history", "/status/api/v2/summary.json", "/status/history.atom"]
    open_incidents(1)
    with_one = {path: queries(path) for path in paths}
    open_incidents(9)
    assert {path: queries(path) for path in paths} == with_one
