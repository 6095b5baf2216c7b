"""Update templates: filled from the incident, strict about variables, overridable, public-safe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.comms import service as comms
from warroom.comms.templates import PUBLIC_FIELDS, UpdateTemplates, incident_facts
from warroom.config import Settings
from warroom.errors import ValidationFailed
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.notifications.render import Renderer
from warroom.severity import DEFAULT_SCHEME

SECRET_SUMMARY = "db-7 password rotated by hand; see vault path ops/db7"
NOW = datetime(2025, 11, 1, 9, 45, tzinfo=UTC)


@pytest.fixture
def p1(session: Session, change: Change, people: None) -> Incident:
    """A P1 with an internal summary, a commander and a note nobody outside may see."""
    incident = incidents.declare(
        session,
        change=change,
        scheme=DEFAULT_SCHEME,
        title="Checkout is down",
        severity="P1",
        summary=SECRET_SUMMARY,
        service="checkout",
        impact="Payments fail",
    )
    incidents.assign_role(session, change=change, incident=incident, role="ic", user_handle="alice")
    incidents.add_note(session, change=change, incident=incident, text="alert payload: token=abc")
    session.commit()
    return incident


def _facts(incident: Incident, audience: str) -> dict[str, object]:
    return incident_facts(
        incident,
        audience=audience,
        scheme=DEFAULT_SCHEME,
        status="investigating",
        now=NOW,
        next_update=NOW + timedelta(minutes=30),
        base_url="https://warroom.example.com",
    )


def test_public_templates_get_public_fields_only(p1: Incident):
    public = _facts(p1, "public")
    internal = _facts(p1, "internal")

    assert set(public) == PUBLIC_FIELDS
    assert internal["summary"] == SECRET_SUMMARY
    assert internal["commander"] == "Alice"
    assert public["duration"] == "45m"
    assert public["detected"] == "2025-11-01 09:00 UTC"
    assert public["next_update"] == "2025-11-01 10:15 UTC"


def test_no_public_body_shows_people_notes_or_the_summary(
    session: Session, change: Change, settings: Settings, p1: Incident
):
    given = {"details": "We found the cause.", "workaround": "Pay by invoice"}
    for name in ("initial", "update", "resolution"):
        posted = comms.post_update(
            session,
            change=change,
            settings=settings,
            incident=p1,
            audience="public",
            template=name,
            variables=given if name != "initial" else {"workaround": "Pay by invoice"},
        )
        body = posted.update.body
        for secret in (SECRET_SUMMARY, "Alice", "alice", "token=abc", "warroom.example.com"):
            assert secret not in body, (name, body)
        assert "Checkout is down" in body
        assert ("Pay by invoice" in body) == (name != "resolution")


def test_a_missing_variable_is_named(p1: Incident):
    with pytest.raises(ValidationFailed) as failure:
        UpdateTemplates().render(
            audience="internal", name="resolution", facts=_facts(p1, "internal"), variables={}
        )

    assert failure.value.errors[0].field == "vars.resolution"
    assert "resolution" in failure.value.detail


def test_optional_variables_may_be_left_out(p1: Incident):
    text = UpdateTemplates().render(
        audience="internal",
        name="initial",
        facts=_facts(p1, "internal"),
        variables={"affected": "every customer in the EU"},
    )

    assert "Affected: every customer in the EU" in text
    assert "Commander: Alice" in text
    assert "Next internal update by 2025-11-01 10:15 UTC." in text
    assert "Incident page: https://warroom.example.com/incidents/" in text


def test_overrides_win_and_custom_templates_are_listed(tmp_path: Path, p1: Incident):
    folder = tmp_path / "comms" / "public"
    folder.mkdir(parents=True)
    (folder / "update.txt.j2").write_text("{{ status|upper }} {{ title }}: {{ news }}\n")
    (folder / "apology.txt.j2").write_text(
        "Sorry about {{ title }}.{% if credit is defined %} {{ credit }}{% endif %}\n"
    )
    templates = UpdateTemplates(str(tmp_path))

    text = templates.render(
        audience="public", name="update", facts=_facts(p1, "public"), variables={"news": "fixed"}
    )

    assert text == "INVESTIGATING Checkout is down: fixed"
    listed = {(t.audience, t.name): (t.required, t.optional) for t in templates.describe()}
    assert listed["public", "apology"] == ([], ["credit"])
    assert listed["public", "update"] == (["news"], [])
    # The message renderer ignores the comms/ folder it does not own.
    Renderer("https://warroom.example.com", str(tmp_path))


def test_a_broken_override_names_its_file(tmp_path: Path, p1: Incident):
    folder = tmp_path / "comms" / "internal"
    folder.mkdir(parents=True)
    (folder / "update.txt.j2").write_text("{% if %}\n")

    with pytest.raises(ValidationFailed, match=r"update\.txt\.j2:1"):
        UpdateTemplates(str(tmp_path)).render(
            audience="internal", name="update", facts=_facts(p1, "internal"), variables={}
        )


def test_an_internal_template_cannot_read_a_public_only_audience(p1: Incident):
    with pytest.raises(ValidationFailed, match="unknown template 'apology' for internal updates"):
        UpdateTemplates().render(
            audience="internal", name="apology", facts=_facts(p1, "internal"), variables={}
        )
