"""The ``warroom`` command, driven through ``main(argv)`` against a real database."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.cli.conftest import Result, Run
from warroom.actor import Role
from warroom.errors import Unauthorized
from warroom.incidents.models import Incident
from warroom.migrate import head_revision
from warroom.users.service import authenticate

REF = re.compile(r"^incident-\d{4}-\d{2}-\d{2}-\d{3}$")


def ok(result: Result) -> Result:
    assert result.code == 0, result.err
    assert result.err == ""
    return result


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """The command failed with exit 1 and one clear line on stderr, no traceback."""
    assert result.code == 1, (result.out, result.err)
    line = result.err.strip()
    assert "\n" not in line, result.err
    assert line.startswith("error: ")
    assert "Traceback" not in result.err + result.out
    for fragment in fragments:
        assert fragment in line
    return line


def declare(cli: Run, *args: str, title: str = "Checkout is down", severity: str = "P1") -> dict:
    return ok(
        cli("incident", "declare", "--title", title, "--severity", severity, "--json", *args)
    ).json()


def create_user(cli: Run, handle: str) -> None:
    ok(
        cli(
            "user",
            "create",
            "--handle",
            handle,
            "--name",
            handle.title(),
            "--email",
            f"{handle}@example.com",
        )
    )


def show(cli: Run, ref: str) -> dict:
    return ok(cli("incident", "show", ref, "--json")).json()


def refs(cli: Run, *args: str) -> list[str]:
    return [i["ref"] for i in ok(cli("incident", "list", "--json", *args)).json()]


# --- db -----------------------------------------------------------------------------------


def test_db_commands_on_a_fresh_sqlite_file(run: Run, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    head = head_revision()

    current = run("db", "current")
    assert current.code == 1
    assert "not migrated" in current.out
    assert "warroom db upgrade" in current.out

    refused = run("incident", "list")
    assert_one_line_error(refused, "warroom db upgrade")
    assert refused.out == ""

    assert ok(run("db", "upgrade")).out.strip() == f"database upgraded from empty to {head}"
    assert ok(run("db", "current")).out.strip() == f"{head} (up to date)"
    assert ok(run("db", "upgrade")).out.strip() == f"database already at {head}"
    assert ok(run("incident", "list")).out.strip() == "no incidents match"


def test_an_unreachable_database_is_one_line(run: Run, monkeypatch):
    monkeypatch.setenv("WARROOM_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert_one_line_error(run("db", "current"), "cannot reach the database")


def test_a_missing_config_file_is_one_line(run: Run, tmp_path: Path):
    result = run("--config", str(tmp_path / "nope.toml"), "severity", "list")
    assert_one_line_error(result, "nope.toml does not exist")


# --- users and tokens -----------------------------------------------------------------------


def test_user_create_and_list(cli: Run):
    created = ok(
        cli(
            "user", "create", "--handle", "bob", "--name", "Bob Builder",
            "--email", "bob@example.com", "--time-zone", "Europe/Berlin",
        )
    )  # fmt: skip
    assert created.out.strip() == (
        "created user bob (Bob Builder <bob@example.com>, Europe/Berlin)"
    )
    alice = ok(
        cli(
            "user",
            "create",
            "--handle",
            "Alice",
            "--name",
            "Alice",
            "--email",
            "a@example.com",
            "--json",
        )
    ).json()
    assert (alice["handle"], alice["time_zone"]) == ("alice", "UTC")

    users = ok(cli("user", "list", "--json")).json()
    assert [(u["handle"], u["name"], u["email"]) for u in users] == [
        ("alice", "Alice", "a@example.com"),
        ("bob", "Bob Builder", "bob@example.com"),
    ]
    table = ok(cli("user", "list")).out
    assert "bob@example.com" in table
    assert "Europe/Berlin" in table


def test_user_create_refuses_duplicates_and_bad_input(cli: Run):
    create_user(cli, "alice")
    duplicate = cli(
        "user", "create", "--handle", "alice", "--name", "A", "--email", "x@example.com"
    )
    assert_one_line_error(duplicate, "already exists")
    bad_zone = cli(
        "user", "create", "--handle", "zed", "--name", "Z", "--email", "z@example.com",
        "--time-zone", "Mars/Olympus",
    )  # fmt: skip
    assert_one_line_error(bad_zone, "unknown time zone 'Mars/Olympus'")
    assert [u["handle"] for u in ok(cli("user", "list", "--json")).json()] == ["alice"]


def test_token_create_prints_a_secret_that_authenticates(cli: Run, engine: Engine):
    create_user(cli, "alice")
    result = ok(
        cli("token", "create", "--name", "laptop", "--role", "responder", "--user", "alice")
    )
    lines = result.out.strip().splitlines()
    secret = lines[-1]
    assert secret.startswith("wr_")
    assert "not shown again" in lines[-2]
    with Session(engine) as session:
        actor = authenticate(session, secret=secret, now=datetime.now(UTC))
    assert (actor.kind, actor.name, actor.role) == ("user", "alice", Role.responder)

    bot = ok(cli("token", "create", "--name", "ci-bot", "--role", "viewer")).out
    with Session(engine) as session:
        actor = authenticate(session, secret=bot.strip().splitlines()[-1], now=datetime.now(UTC))
    assert (actor.kind, actor.name, actor.role) == ("token", "ci-bot", Role.viewer)


def test_token_expires_in(cli: Run, engine: Engine):
    out = ok(cli("token", "create", "--name", "temp", "--role", "admin", "--expires-in", "1h")).out
    secret = out.strip().splitlines()[-1]
    now = datetime.now(UTC)
    with Session(engine) as session:
        assert authenticate(session, secret=secret, now=now).role == Role.admin
        with pytest.raises(Unauthorized, match="expired"):
            authenticate(session, secret=secret, now=now + timedelta(hours=1, minutes=1))
    (listed,) = ok(cli("token", "list", "--json")).json()
    expires = datetime.fromisoformat(listed["expires_at"])
    assert timedelta(minutes=59) < expires - now < timedelta(minutes=61)


def test_token_revoke(cli: Run, engine: Engine):
    secret = ok(cli("token", "create", "--name", "old", "--role", "admin")).out.splitlines()[-1]
    (token,) = ok(cli("token", "list", "--json")).json()
    assert token["revoked_at"] is None
    assert secret.startswith(token["prefix"])
    assert secret not in json.dumps(token)

    revoked = ok(cli("token", "revoke", str(token["id"])))
    assert revoked.out.strip() == f"token {token['id']} revoked"
    with Session(engine) as session, pytest.raises(Unauthorized, match="revoked"):
        authenticate(session, secret=secret, now=datetime.now(UTC))
    assert ok(cli("token", "list", "--json")).json()[0]["revoked_at"] is not None
    assert_one_line_error(cli("token", "revoke", "999999"), "no token with id 999999")


@pytest.mark.parametrize(
    ("expires_in", "message"),
    [
        ("soon", "expires-in: 'soon' is not a duration; use e.g."),
        ("0s", "expires_at: must be in the future"),
        ("99999999d", "'99999999d' is too far in the future"),
        ("99999999999999d", "expires-in:"),
    ],
)
def test_token_create_refuses_a_bad_expires_in(cli: Run, expires_in: str, message: str):
    result = cli("token", "create", "--name", "x", "--role", "admin", "--expires-in", expires_in)
    assert_one_line_error(result, message)
    assert "wr_" not in result.out
    assert ok(cli("token", "list", "--json")).json() == []


def test_token_create_refuses_unknown_role_and_user(cli: Run):
    assert_one_line_error(
        cli("token", "create", "--name", "x", "--role", "root"), "unknown role 'root'"
    )
    assert_one_line_error(
        cli("token", "create", "--name", "x", "--role", "admin", "--user", "ghost"),
        "no user with handle 'ghost'",
    )


# --- incidents --------------------------------------------------------------------------------


def test_declare_resolves_the_severity_alias(cli: Run, engine: Engine):
    view = declare(
        cli, "--service", "checkout", "--tag", "eu", "--tag", "payments", "--customer-facing",
        severity="SEV-1",
    )  # fmt: skip
    assert REF.match(view["ref"])
    assert view["ref"].endswith("-001")
    assert (view["severity"], view["severity_name"], view["status"]) == (
        "P1",
        "Critical",
        "triggered",
    )
    assert (view["service"], view["tags"], view["customer_facing"]) == (
        "checkout",
        ["eu", "payments"],
        True,
    )
    detected = datetime.fromisoformat(view["detected_at"])
    assert datetime.fromisoformat(view["ack_due_at"]) - detected == timedelta(minutes=15)
    with Session(engine) as session:
        stored = session.scalars(select(Incident)).one()
    assert (stored.ref, stored.severity) == (view["ref"], "P1")

    second = declare(cli, title="Search is slow", severity="  medium ")
    assert second["severity"] == "P3"
    assert second["ref"] == view["ref"][:-3] + "002"


def test_declare_prints_a_summary_line(cli: Run):
    out = ok(cli("incident", "declare", "-t", "Login broken", "-s", "high")).out.strip()
    assert re.fullmatch(r"incident-\S+-001  P2 High  triggered  Login broken", out), out


def test_titles_and_notes_are_printed_literally_not_as_markup(cli: Run):
    title = "[bold]EU[/] checkout [/] down"
    out = ok(cli("incident", "declare", "-t", title, "-s", "P2")).out
    assert title in out
    (ref,) = refs(cli)
    ok(cli("incident", "note", ref, "see [/x] and [red]logs[/red]"))
    assert title in ok(cli("incident", "list")).out
    assert "see [/x] and [red]logs[/red]" in ok(cli("incident", "show", ref)).out


def test_list_filters_and_orders_newest_first(cli: Run):
    a = declare(cli, "--service", "api", title="API errors", severity="P1")["ref"]
    b = declare(cli, "--service", "web", title="Slow pages", severity="sev3")["ref"]
    c = declare(cli, "--service", "api", title="Timeouts", severity="high")["ref"]
    ok(cli("incident", "resolve", b))

    assert refs(cli) == [c, b, a]
    assert refs(cli, "--severity", "SEV-3") == [b]
    assert refs(cli, "--severity", "P1", "--severity", "P2") == [c, a]
    assert refs(cli, "--service", "api") == [c, a]
    assert refs(cli, "--service", "db") == []
    assert refs(cli, "--status", "resolved") == [b]
    assert refs(cli, "--status", "triggered", "--status", "resolved") == [c, b, a]
    assert refs(cli, "--open") == [c, a]
    assert refs(cli, "--limit", "1") == [c]

    table = ok(cli("incident", "list")).out
    for ref, title in ((a, "API errors"), (b, "Slow pages"), (c, "Timeouts")):
        assert ref in table
        assert title in table
    assert table.index(c) < table.index(b) < table.index(a)
    assert ok(cli("incident", "list", "--service", "db")).out.strip() == "no incidents match"


def test_list_refuses_unknown_filters(cli: Run):
    assert_one_line_error(
        cli("incident", "list", "--status", "on-fire"), "unknown status 'on-fire'"
    )
    assert_one_line_error(cli("incident", "list", "--severity", "P7"), "unknown severity 'P7'")


def test_show_with_timeline(cli: Run):
    ref = declare(cli, "--summary", "Card payments fail at the last step", title="Checkout")["ref"]
    ok(cli("incident", "ack", ref, "--note", "on it"))
    assert ok(cli("incident", "note", ref, "rolled back deploy 42")).out.strip() == (
        f"note added to {ref}"
    )

    view = show(cli, ref)
    assert view["status"] == "acknowledged"
    assert view["acknowledged_at"] is not None
    assert view["tta_seconds"] >= 0
    timeline = view["timeline"]
    assert [e["kind"] for e in timeline] == ["declared", "status_changed", "note"]
    assert timeline[0]["data"]["severity"] == "P1"
    assert timeline[1]["data"] == {"from": "triggered", "to": "acknowledged", "note": "on it"}
    assert timeline[2]["data"] == {"text": "rolled back deploy 42"}
    assert all(e["actor"].startswith("cli:") for e in timeline)

    text = ok(cli("incident", "show", ref)).out
    for expected in (ref, "Checkout", "Card payments fail", "declared", "status_changed",
                     "note=on it", "text=rolled back deploy 42", "incident_commander"):  # fmt: skip
        assert expected in text, expected


def test_status_moves_resolve_and_reopen(cli: Run):
    ref = declare(cli, severity="P2")["ref"]
    acked = ok(cli("incident", "ack", ref, "--json")).json()
    assert acked["status"] == "acknowledged"
    assert acked["acknowledged_at"] is not None

    identified = ok(cli("incident", "status", ref, "identified", "--json")).json()
    assert identified["status"] == "identified"
    assert identified["identified_at"] is not None
    monitoring = ok(cli("incident", "status", ref, "MONITORING", "--json")).json()
    assert monitoring["mitigated_at"] is not None

    resolved = ok(cli("incident", "resolve", ref, "--note", "fixed", "--json")).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    assert resolved["allowed_transitions"] == ["investigating", "closed"]

    reopened = ok(cli("incident", "status", ref, "investigating", "--json")).json()
    assert (reopened["status"], reopened["reopen_count"], reopened["resolved_at"]) == (
        "investigating",
        1,
        None,
    )
    kinds = [e["kind"] for e in show(cli, ref)["timeline"]]
    assert kinds == ["declared"] + ["status_changed"] * 4 + ["reopened"]
    summary = ok(cli("incident", "resolve", ref)).out.strip()
    assert summary.startswith(f"{ref}  P2 High  resolved")


def test_invalid_transitions_are_one_line_errors(cli: Run):
    ref = declare(cli, severity="P1")["ref"]
    ok(cli("incident", "resolve", ref))
    line = assert_one_line_error(
        cli("incident", "ack", ref), f"{ref} cannot move from resolved to acknowledged"
    )
    assert "allowed: investigating, closed" in line
    assert_one_line_error(cli("incident", "status", ref, "closed"), "requires a postmortem")
    assert_one_line_error(cli("incident", "status", ref, "paused"), "unknown status 'paused'")
    assert show(cli, ref)["status"] == "resolved"


def test_a_p4_without_postmortem_can_be_closed(cli: Run):
    ref = declare(cli, severity="low")["ref"]
    ok(cli("incident", "resolve", ref))
    closed = ok(cli("incident", "status", ref, "closed", "--json")).json()
    assert (closed["status"], closed["allowed_transitions"]) == ("closed", [])
    assert_one_line_error(cli("incident", "status", ref, "investigating"), "it is closed")


def test_assign_roles(cli: Run):
    create_user(cli, "alice")
    create_user(cli, "bob")
    ref = declare(cli, severity="P1")["ref"]
    assert ok(cli("incident", "assign", ref, "ic", "alice")).out.strip() == (
        f"alice is incident_commander of {ref}"
    )
    ok(cli("incident", "assign", ref, "comms", "Bob"))

    view = show(cli, ref)
    assert view["roles"] == {"incident_commander": "alice", "communications_lead": "bob"}
    assert view["missing_roles"] == ["engineering_lead"]
    assigned = [e["data"] for e in view["timeline"] if e["kind"] == "role_assigned"]
    assert assigned[0] == {"role": "incident_commander", "user": "alice", "previous": None}

    ok(cli("incident", "assign", ref, "incident_commander", "bob"))
    assert show(cli, ref)["roles"]["incident_commander"] == "bob"
    assert "bob" in ok(cli("incident", "list")).out


def test_assign_refuses_unknown_users_and_bad_roles(cli: Run):
    ref = declare(cli)["ref"]
    assert_one_line_error(
        cli("incident", "assign", ref, "ic", "ghost"), "no user with handle 'ghost'"
    )
    create_user(cli, "alice")
    assert_one_line_error(cli("incident", "assign", ref, "big boss!", "alice"), "not a role name")
    assert show(cli, ref)["roles"] == {}


def test_as_records_the_user_as_actor(cli: Run, monkeypatch):
    create_user(cli, "carol")
    view = ok(
        cli("--as", "carol", "incident", "declare", "-t", "Disk full", "-s", "P3", "--json")
    ).json()
    assert view["created_by"] == "user:carol"
    ref = view["ref"]
    ok(cli("--as", "carol", "incident", "ack", ref))
    ok(cli("--as", "CAROL", "incident", "note", ref, "cleaning up"))
    ok(cli("incident", "note", ref, "from the local admin"))
    monkeypatch.setenv("WARROOM_AS", "carol")
    ok(cli("incident", "resolve", ref))

    actors = [e["actor"] for e in show(cli, ref)["timeline"]]
    assert actors[:3] == ["user:carol"] * 3
    assert actors[3].startswith("cli:")
    assert actors[4] == "user:carol"


def test_as_an_unknown_user_changes_nothing(cli: Run):
    result = cli("--as", "mallory", "incident", "declare", "-t", "x", "-s", "P1")
    assert_one_line_error(result, "no user with handle 'mallory'")
    assert refs(cli) == []


def test_unknown_severity_is_one_line_listing_the_choices(cli: Run):
    result = cli("incident", "declare", "--title", "x", "--severity", "P9")
    line = assert_one_line_error(result, "unknown severity 'P9'")
    for accepted in ("P1", "SEV-1", "critical", "P4", "low"):
        assert accepted in line
    assert refs(cli) == []


def test_markup_in_an_error_is_shown_literally(cli: Run):
    result = cli("incident", "declare", "--title", "x", "--severity", "[/x]")
    assert_one_line_error(result, "unknown severity '[/x]'")


@pytest.mark.parametrize(
    "command",
    [
        ["incident", "show", "incident-2000-01-01-999"],
        ["incident", "ack", "incident-2000-01-01-999"],
        ["incident", "resolve", "incident-2000-01-01-999"],
        ["incident", "note", "incident-2000-01-01-999", "hello"],
        ["incident", "assign", "incident-2000-01-01-999", "ic", "alice"],
    ],
)
def test_unknown_incident_ref_is_one_line(cli: Run, command: list[str]):
    assert_one_line_error(cli(*command), "no incident 'incident-2000-01-01-999'")


def test_empty_note_is_refused(cli: Run):
    ref = declare(cli)["ref"]
    assert_one_line_error(cli("incident", "note", ref, "   "), "text: must not be empty")
    assert [e["kind"] for e in show(cli, ref)["timeline"]] == ["declared"]


# --- severity ---------------------------------------------------------------------------------


def test_severity_list(run: Run):
    out = ok(run("severity", "list")).out
    rows = {line.split()[1]: line for line in out.splitlines() if re.match(r"^│ P\d ", line)}
    assert list(rows) == ["P1", "P2", "P3", "P4"]
    assert re.search(r"Critical .* 15m .* 4h .* 15m .* required", rows["P1"])
    assert re.search(r"High .* 30m .* 8h .* 30m .* required", rows["P2"])
    assert re.search(r"Medium .* 2h .* 1d .* 2h .* optional", rows["P3"])
    assert re.search(r"Low .* 1d .* 7d .* - .* optional", rows["P4"])
    assert "SEV-1" in rows["P1"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--users-affected", "100"], "P1 Critical: all users affected"),
        (["--users-affected", "0", "--security"], "P1 Critical: security incident"),
        (["--users-affected", "5", "--data-loss"], "P1 Critical: data loss or data breach"),
        (["--users-affected", "60"], "P2 High: more than 50 % of users affected"),
        (
            ["--users-affected", "60", "--workaround"],
            "P3 Medium: more than 50 % of users affected, workaround exists",
        ),
        (["--users-affected", "50"], "P3 Medium: 50 % of users or fewer affected"),
        (["--users-affected", "0"], "P4 Low: no user impact"),
    ],
)  # fmt: skip
def test_severity_assess(run: Run, args: list[str], expected: str):
    assert ok(run("severity", "assess", *args)).out.strip() == expected


def test_severity_assess_refuses_out_of_range_percentages(run: Run):
    result = run("severity", "assess", "--users-affected", "150")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "Invalid value for '--users-affected'" in result.err
    assert result.out == ""


def test_usage_errors_show_usage_and_exit_2(run: Run):
    result = run("incident", "declare", "--severity", "P1")
    assert result.code == 2
    assert "Missing option '--title'" in result.err
    assert "Usage: warroom incident declare" in result.err
    assert "Traceback" not in result.err
    unknown = run("incident", "explode")
    assert unknown.code == 2
    assert "No such command 'explode'" in unknown.err


CUSTOM = """
[[severities]]
id = "RED"
name = "Emergency"
aliases = ["emergency"]
ack_sla = "5m"
resolve_sla = "1h"
postmortem_required = true

[[severities]]
id = "GREEN"
name = "Routine"
ack_sla = "1d"
resolve_sla = "7d"
"""


def test_a_custom_scheme_from_the_config_file(cli: Run, tmp_path: Path):
    config = tmp_path / "warroom.toml"
    config.write_text(CUSTOM)
    listed = ok(cli("--config", str(config), "severity", "list")).out
    assert "Emergency" in listed
    assert "Routine" in listed
    assert "Critical" not in listed
    assessed = ok(cli("--config", str(config), "severity", "assess", "--users-affected", "10"))
    assert assessed.out.strip() == "GREEN Routine: 50 % of users or fewer affected"

    view = ok(
        cli("--config", str(config), "incident", "declare", "-t", "x", "-s", "emergency", "--json")
    ).json()
    assert (view["severity"], view["severity_name"]) == ("RED", "Emergency")
    result = cli("--config", str(config), "incident", "declare", "-t", "x", "-s", "P1")
    assert_one_line_error(result, "unknown severity 'P1'; use one of RED (emergency), GREEN")
