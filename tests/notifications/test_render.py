"""Message rendering: every kind, the runbook line, escaping, overrides and the webhook payload."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from warroom.channels.webhook import payload_schema
from warroom.incidents.models import Incident
from warroom.notifications.render import (
    KINDS,
    Renderer,
    RunbookRef,
    TemplateProblem,
    runbook_from_timeline,
)

BASE = "https://warroom.example.com"
URL = f"{BASE}/incidents/INC-20250101-001"
EXTRA = {"count": 2, "refs": ["INC-20250101-001", "INC-20250101-002"]}
RUNBOOK = RunbookRef(heading="Database connection pool exhausted", file="db.md", section_id="3:x")


def incident(title: str = "Checkout errors") -> Incident:
    """An incident in memory, never saved."""
    return Incident(
        ref="INC-20250101-001",
        title=title,
        summary="",
        impact="Orders fail for some users",
        severity="P1",
        status="investigating",
        service="checkout",
        detected_at=datetime(2025, 1, 1, 10, 30, tzinfo=UTC),
    )


def render(renderer: Renderer, kind: str, channel: str = "email", **kwargs: Any) -> Any:
    return renderer.render(
        kind=kind,
        channel=channel,
        incident=kwargs.pop("incident", incident()),
        idempotency_key=f"INC-20250101-001:{kind}:1:1:alice",
        extra=kwargs.pop("extra", EXTRA),
        **kwargs,
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", ["email", "slack", "webhook", "apprise"])
def test_every_kind_has_ref_severity_title_and_link(kind: str, channel: str) -> None:
    message = render(Renderer(BASE + "/"), kind, channel)
    assert message.kind == kind
    assert message.url == URL
    assert message.incident_ref == "INC-20250101-001"
    assert "INC-20250101-001" in message.subject
    assert "\n" not in message.subject
    for needed in ("INC-20250101-001", "P1 (Critical)", "Checkout errors", URL):
        assert needed in message.text
    assert (message.html is not None) == (channel == "email")
    if message.html is not None:
        assert "Checkout errors" in message.html
        assert f'href="{URL}"' in message.html
    assert bool(message.blocks) == (channel == "slack")


def test_the_runbook_section_is_named_when_given() -> None:
    renderer = Renderer(BASE)
    assert "Runbook:" not in render(renderer, "page").text
    message = render(renderer, "page", runbook=RUNBOOK)
    assert "Runbook:  Database connection pool exhausted (db.md)" in message.text
    assert "Database connection pool exhausted" in (message.html or "")
    assert message.payload["runbook"]["section_id"] == "3:x"


def test_a_page_says_what_to_do_next() -> None:
    message = render(Renderer(BASE), "page", step=2, round_number=3)
    assert "escalation step 2, round 3" in message.text
    assert f"Acknowledge: {URL}" in message.text


def test_html_is_escaped_in_email_html_only() -> None:
    message = render(Renderer(BASE), "page", incident=incident("<script>alert(1)</script>"))
    assert "<script>alert(1)</script>" in message.text
    assert "<script>alert(1)</script>" in message.subject
    assert message.html is not None
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html


def test_slack_buttons_only_where_someone_must_act() -> None:
    renderer = Renderer(BASE)

    def action_ids(kind: str) -> list[str]:
        blocks = render(renderer, kind, "slack").blocks
        actions = [b for b in blocks if b["type"] == "actions"]
        return [e["action_id"] for a in actions for e in a["elements"]]

    for kind in ("page", "escalated", "reminder"):
        assert action_ids(kind) == ["incident.acknowledge", "incident.resolve", "incident.open"]
    for kind in ("inform", "acknowledged", "resolved", "status_update", "sla_breach"):
        assert action_ids(kind) == ["incident.open"]
    text = render(renderer, "page", "slack", incident=incident("a <b> & c")).blocks[1]
    assert "a &lt;b&gt; &amp; c" in text["text"]["text"]


def test_the_webhook_payload_shape() -> None:
    message = render(Renderer(BASE), "escalated", "webhook", step=2, round_number=1)
    payload = json.loads(json.dumps(message.payload))
    assert payload["version"] == "1"
    assert payload["type"] == "escalated"
    assert payload["id"] == "INC-20250101-001:escalated:1:1:alice"
    assert payload["sent_for"] == {"step": 2, "round": 1}
    assert payload["incident"] == {
        "ref": "INC-20250101-001",
        "title": "Checkout errors",
        "severity": "P1",
        "severity_name": "Critical",
        "status": "investigating",
        "service": "checkout",
        "url": URL,
        "api_url": f"{BASE}/api/v1/incidents/INC-20250101-001",
        "detected_at": "2025-01-01T10:30:00Z",
    }
    assert payload["runbook"] is None
    assert payload["text"] == message.text
    bundle = render(Renderer(BASE), "bundle", "webhook").payload
    assert bundle["bundle"] == {"count": 2, "refs": EXTRA["refs"]}


@pytest.mark.parametrize("kind", ["page", "bundle", "test"])
def test_the_payload_is_what_the_published_schema_says(kind: str) -> None:
    schema = payload_schema()
    payload = render(Renderer(BASE), kind, "webhook").payload
    assert set(schema["required"]) <= payload.keys() <= schema["properties"].keys()
    incident_schema = schema["properties"]["incident"]
    assert set(incident_schema["required"]) <= payload["incident"].keys()
    assert payload["incident"].keys() <= incident_schema["properties"].keys()
    assert payload["type"] in schema["properties"]["type"]["description"]


def test_bundle_and_unknown_kinds_are_checked() -> None:
    with pytest.raises(ValueError, match="count"):
        render(Renderer(BASE), "bundle", extra={})
    with pytest.raises(ValueError, match="unknown message kind 'paeg'"):
        render(Renderer(BASE), "paeg")


def test_overrides_win_per_channel_and_per_kind(tmp_path: Path) -> None:
    (tmp_path / "slack").mkdir()
    (tmp_path / "slack" / "page.txt.j2").write_text("SLACK PAGE {{ incident.ref }} {{ url }}\n")
    (tmp_path / "resolved.subject.j2").write_text("All clear: {{ incident.ref }}\n")
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "page.html.j2").write_text("<b>{{ incident.title }}</b>")
    (tmp_path / "email" / "message.html.j2").write_text("layout {{ incident.ref }}")
    renderer = Renderer(BASE, template_dir=str(tmp_path))
    assert render(renderer, "page", "slack").text == f"SLACK PAGE INC-20250101-001 {URL}\n"
    assert render(renderer, "page", "email").text.startswith("You are being paged")
    assert render(renderer, "resolved", "slack").subject == "All clear: INC-20250101-001"
    assert render(renderer, "resolved", "email").subject == "All clear: INC-20250101-001"
    escaped = render(renderer, "page", "email", incident=incident("a<b"))
    assert escaped.html == "<b>a&lt;b</b>"
    assert render(renderer, "inform", "email").html == "layout INC-20250101-001"


def test_an_override_for_all_channels_wins_over_a_packaged_channel_template(
    tmp_path: Path,
) -> None:
    (tmp_path / "page.html.j2").write_text("custom {{ incident.ref }}")
    renderer = Renderer(BASE, template_dir=str(tmp_path))
    assert render(renderer, "page", "email").html == "custom INC-20250101-001"


def test_a_broken_override_fails_at_construction_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "slack").mkdir()
    broken = tmp_path / "slack" / "page.txt.j2"
    broken.write_text("Hello\n{% if incident.ref %}\nno end\n")
    with pytest.raises(TemplateProblem, match=re.escape(f"{broken}:")) as problem:
        Renderer(BASE, template_dir=str(tmp_path))
    assert "endif" in str(problem.value)
    assert isinstance(problem.value, ValueError)


def test_a_misnamed_override_or_missing_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pgae.txt.j2").write_text("x")
    with pytest.raises(TemplateProblem, match=r"pgae\.txt\.j2"):
        Renderer(BASE, template_dir=str(tmp_path))
    with pytest.raises(TemplateProblem, match="does not exist"):
        Renderer(BASE, template_dir=str(tmp_path / "missing"))


def test_an_override_using_an_unknown_name_fails_at_render_naming_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "inform.txt.j2").write_text("{{ incident.nope }}")
    renderer = Renderer(BASE, template_dir=str(tmp_path))
    with pytest.raises(TemplateProblem, match=r"inform\.txt\.j2.*nope"):
        render(renderer, "inform")


def test_partials_can_be_overridden(tmp_path: Path) -> None:
    (tmp_path / "_facts.txt.j2").write_text("FACTS {{ incident.ref }}\n")
    text = render(Renderer(BASE, template_dir=str(tmp_path)), "inform").text
    assert "FACTS INC-20250101-001" in text
    assert "Title:" not in text


def test_the_top_runbook_suggestion_or_the_accepted_section() -> None:
    suggested = {
        "suggestions": [
            {"section_id": "1:a", "heading": "Pool exhausted", "file": "db.md", "score": 9.0},
            {"section_id": "2:b", "heading": "Disk full", "file": "disk.md", "score": 3.0},
        ]
    }
    assert runbook_from_timeline("runbook_suggested", suggested) == RunbookRef(
        heading="Pool exhausted", file="db.md", section_id="1:a"
    )
    assert runbook_from_timeline("runbook_suggested", {"suggestions": []}) is None
    accepted = {"section": "2:b", "heading": "Disk full", "steps": 3}
    assert runbook_from_timeline("runbook_accepted", accepted) == RunbookRef(
        heading="Disk full", section_id="2:b"
    )
