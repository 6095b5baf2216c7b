"""Resolving a P1/P2 drafts a postmortem from its timeline; closing waits for publishing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from warroom.errors import ConfigError
from warroom.incidents import service as incidents
from warroom.postmortems.generator import Generator
from warroom.postmortems.timeline import shown
from warroom.severity import DEFAULT_SCHEME

from .conftest import INCIDENTS, ZONE, declare, move, resolved_p1

ROW = re.compile(
    r"^\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d) \| (.*?) \| (.*?) \| (.*) \|$"
)


def section(body: str, heading: str) -> str:
    """The text of one ``## heading`` section."""
    match = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", body, re.S | re.M)
    assert match, f"no section {heading!r} in:\n{body}"
    return match.group(1)


def timeline_rows(body: str) -> list[tuple[str, ...]]:
    """(time, event, by, details) of each row of the Timeline table."""
    lines = section(body, "Timeline").splitlines()
    return [m.groups() for m in map(ROW.match, lines) if m]


def berlin(iso: str) -> str:
    local = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(ZONE))
    return f"{local:%Y-%m-%d %H:%M:%S} +01:00"


def test_resolve_drafts_a_postmortem_whose_timeline_matches_the_incident(
    client, admin, clock, ticker, people
):
    ref = declare(client, admin, summary="Payments failed.\n\nAll of them.", service="checkout")
    client.post(f"{INCIDENTS}/{ref}/roles", json={"role": "ic", "user": "alice"}, headers=admin)
    clock.advance(timedelta(minutes=3))
    move(client, admin, ref, "acknowledged")
    clock.advance(timedelta(minutes=5))
    note = "Rolled back | deploy 42\nerrors dropping"
    client.post(f"{INCIDENTS}/{ref}/notes", json={"text": note}, headers=admin)
    clock.advance(timedelta(minutes=1))
    client.patch(f"{INCIDENTS}/{ref}", json={"severity": "P2"}, headers=admin)
    clock.advance(timedelta(minutes=6))
    move(client, admin, ref, "monitoring")
    clock.advance(timedelta(minutes=30))
    move(client, admin, ref, "resolved")
    assert client.get(f"{INCIDENTS}/{ref}/postmortem", headers=admin).status_code == 404

    assert ticker.tick() == {"postmortems": 1}
    answer = client.get(f"{INCIDENTS}/{ref}/postmortem", headers=admin)
    assert answer.status_code == 200
    postmortem = answer.json()
    assert (postmortem["status"], postmortem["owner"]) == ("draft", "alice")
    assert postmortem["due_at"] == "2025-11-03T09:45:00Z"  # resolved 09:45 UTC + 48 h
    body = postmortem["body"]

    entries = client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin).json()["items"]
    expected = [e for e in entries if shown(e["kind"])]
    rows = timeline_rows(body)
    assert [row[0] for row in rows] == [berlin(e["at"]) for e in expected]
    assert [row[1] for row in rows] == [
        "Declared P1",
        "alice is incident commander",
        "Acknowledged",
        "Note",
        "Severity P1 → P2",
        "Status acknowledged → monitoring",
        "Resolved",
    ]
    assert [e["kind"] for e in expected] == [
        "declared",
        "role_assigned",
        "status_changed",
        "note",
        "severity_changed",
        "status_changed",
        "status_changed",
    ]
    assert rows[0][0] == "2025-11-01 10:00:00 +01:00"
    assert rows[3][3] == r"Rolled back \| deploy 42 errors dropping"
    assert "postmortem_drafted" in [e["kind"] for e in entries]

    metrics = section(body, "Detection and response")
    assert "| Time to detect | first alert started → detected | n/a (no alerts) |" in metrics
    assert "| Time to acknowledge | detected → acknowledged | 3m |" in metrics
    assert "| Time to mitigate | detected → mitigated | 15m |" in metrics
    assert "| Time to resolve | detected → resolved | 45m |" in metrics
    impact = section(body, "Impact")
    assert "**Services:** checkout" in impact
    assert "45m" in impact
    assert section(body, "Summary").strip() == "Payments failed.\n\nAll of them."
    for heading in ("Root cause", "Contributing factors", "What went well", "What went badly"):
        assert section(body, heading).strip()
    assert "None yet" in section(body, "Action items")

    assert ticker.tick() == {"postmortems": 0}  # drafted once


def test_a_p3_gets_no_automatic_draft_but_one_on_demand(client, admin, responder, clock, ticker):
    ref = declare(client, admin, severity="P3")
    move(client, admin, ref, "resolved")
    ticker.tick()
    assert client.get(f"{INCIDENTS}/{ref}/postmortem", headers=admin).status_code == 404

    created = client.post(f"{INCIDENTS}/{ref}/postmortem", json={"owner": "bob"}, headers=responder)
    assert created.status_code == 201
    assert created.headers["location"] == f"{INCIDENTS}/{ref}/postmortem"
    assert (created.json()["owner"], created.json()["due_at"]) == ("bob", None)
    again = client.post(f"{INCIDENTS}/{ref}/postmortem", headers=responder)
    assert again.status_code == 409
    assert "already has a postmortem" in again.json()["detail"]
    # Not required, so it can be closed while still a draft.
    assert move(client, admin, ref, "closed")["status"] == "closed"


def test_close_is_refused_until_the_postmortem_is_published(client, admin, clock, ticker, people):
    ref = resolved_p1(client, admin, clock)
    refused = client.post(f"{INCIDENTS}/{ref}/status", json={"status": "closed"}, headers=admin)
    assert refused.status_code == 409
    assert (
        f"publish its postmortem first (GET /api/v1/incidents/{ref}/postmortem)"
        in (refused.json()["detail"])
    )
    ticker.tick()
    review = client.put(
        f"{INCIDENTS}/{ref}/postmortem", json={"status": "in_review"}, headers=admin
    )
    assert review.json()["status"] == "in_review"
    assert (
        client.post(
            f"{INCIDENTS}/{ref}/status", json={"status": "closed"}, headers=admin
        ).status_code
        == 409
    )

    published = client.put(
        f"{INCIDENTS}/{ref}/postmortem",
        json={"status": "published", "body": "# Postmortem\n\nDone.\n"},
        headers=admin,
    )
    assert published.status_code == 200
    assert published.json()["published_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert move(client, admin, ref, "closed")["status"] == "closed"
    stays = client.put(f"{INCIDENTS}/{ref}/postmortem", json={"status": "draft"}, headers=admin)
    assert stays.status_code == 409
    assert "stays published" in stays.json()["detail"]


def test_a_reopened_and_re_resolved_incident_keeps_the_edited_draft(
    client, admin, clock, ticker, people
):
    ref = resolved_p1(client, admin, clock)
    ticker.tick()
    edited = "# Postmortem: checkout\n\nOur own words.\n"
    client.put(f"{INCIDENTS}/{ref}/postmortem", json={"body": edited}, headers=admin)
    move(client, admin, ref, "investigating")
    clock.advance(timedelta(hours=3))
    move(client, admin, ref, "resolved")
    ticker.tick()
    postmortem = client.get(f"{INCIDENTS}/{ref}/postmortem", headers=admin).json()
    assert postmortem["body"] == edited
    assert postmortem["due_at"] == "2025-11-03T13:00:00Z"  # the new resolve + 48 h


def test_bad_postmortem_input_is_a_clear_4xx(client, admin, responder, clock, ticker):
    ref = resolved_p1(client, admin, clock)
    ticker.tick()
    url = f"{INCIDENTS}/{ref}/postmortem"
    cases = [
        ({"status": "not_required"}, 422, "status"),
        ({"owner": "nobody"}, 422, "owner"),
        ({"body": "   "}, 422, "body"),
        ({}, 422, "body"),
        ({"body": 5}, 422, "body"),
        ({"surprise": 1}, 422, "surprise"),
    ]
    for payload, code, field in cases:
        answer = client.put(url, json=payload, headers=responder)
        assert answer.status_code == code, payload
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == [field], payload
    missing = client.get(f"{INCIDENTS}/incident-2025-11-01-999/postmortem", headers=admin)
    assert missing.status_code == 404
    published = client.put(url, json={"status": "published"}, headers=responder).json()
    assert published["status"] == "published"
    locked = client.put(url, json={"body": "changed"}, headers=responder)
    assert locked.status_code == 409
    assert "in_review" in locked.json()["detail"]


def test_a_template_in_the_template_dir_overrides_the_packaged_one(
    session, change, tmp_path, settings
):
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / "postmortem.md.j2").write_text(
        "# PM {{ incident.ref }}: {{ incident.title | inline }}\n"
    )
    incident = incidents.declare(
        session, change=change, scheme=DEFAULT_SCHEME, title="A *bold* outage", severity="P2"
    )
    custom = Generator(scheme=DEFAULT_SCHEME, template_dir=str(tmp_path))
    assert custom.markdown(session, incident) == f"# PM {incident.ref}: A \\*bold\\* outage\n"
    packaged = Generator(scheme=DEFAULT_SCHEME, template_dir=str(tmp_path / "elsewhere"))
    assert packaged.markdown(session, incident).startswith("# Postmortem: A \\*bold\\* outage")
    (folder / "postmortem.md.j2").write_text("{% if %}\n")
    with pytest.raises(ConfigError, match=r"postmortem\.md\.j2:1"):
        Generator(scheme=DEFAULT_SCHEME, template_dir=str(tmp_path))
