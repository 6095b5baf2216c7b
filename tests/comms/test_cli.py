"""``warroom incident update`` / ``updates``: post and list from the terminal, clear errors."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Run, cli, run  # noqa: F401


@pytest.fixture
def ref(cli: Run, people: None) -> str:  # noqa: F811
    """A P1 declared from the CLI with alice as its comms lead."""
    declared = cli("incident", "declare", "--title", "Checkout is down", "-s", "P1", "--json")
    assert declared.code == 0, declared.err
    number = str(declared.json()["ref"])
    assert cli("incident", "assign", number, "comms", "alice").code == 0
    return number


def test_post_from_a_template_and_list(cli: Run, ref: str):  # noqa: F811
    posted = cli(
        "incident",
        "update",
        ref,
        "--internal",
        "--template",
        "update",
        "--var",
        "actions=rolled back release 42",
        "--var",
        "eta=about 20 minutes",
        "--status",
        "identified",
    )

    assert posted.code == 0, posted.err
    assert f"Update on {ref} (P1 Critical): Checkout is down" in posted.out
    assert "Expected resolution: about 20 minutes" in posted.out
    assert "sent to alice" in posted.out
    listed = cli("incident", "updates", ref, "--json")
    assert listed.code == 0
    [item] = listed.json()
    assert (item["audience"], item["status"], item["template"]) == (
        "internal",
        "identified",
        "update",
    )
    assert item["vars"] == {"actions": "rolled back release 42", "eta": "about 20 minutes"}
    table = cli("incident", "updates", ref)
    assert "identified" in table.out
    assert "rolled back release 42" in table.out


def test_a_public_body_update(cli: Run, ref: str):  # noqa: F811
    posted = cli("incident", "update", ref, "--public", "--body", "We are on it.")

    assert posted.code == 0, posted.err
    assert "published to the status page as investigating" in posted.out
    assert cli("incident", "updates", ref, "--audience", "internal", "--json").json() == []


def test_no_updates_yet(cli: Run, ref: str):  # noqa: F811
    listed = cli("incident", "updates", ref)

    assert listed.code == 0
    assert f"no updates on {ref} yet" in listed.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--body", "x"], "--internal or --public"),
        (["--internal", "--public", "--body", "x"], "--internal or --public"),
        (["--internal"], "give either body or template"),
        (["--internal", "-t", "update", "--var", "actions"], "'actions' is not NAME=VALUE"),
        (["--internal", "-t", "update"], "needs vars actions"),
        (["--internal", "-t", "nope"], "unknown template 'nope' for internal updates"),
        (["--public", "--body", "x", "--status", "ok"], "unknown status 'ok'"),
    ],
)
def test_mistakes_are_one_clear_line(cli: Run, ref: str, args: list[str], message: str):  # noqa: F811
    failed = cli("incident", "update", ref, *args)

    assert failed.code == 1
    assert failed.err.startswith("error:")
    assert message in failed.err
    assert "Traceback" not in failed.err
    assert cli("incident", "updates", ref, "--json").json() == []


def test_an_unknown_incident_is_named(cli: Run, people: None):  # noqa: F811
    failed = cli("incident", "update", "incident-2025-01-01-001", "--internal", "--body", "x")

    assert failed.code == 1
    assert "no incident 'incident-2025-01-01-001'" in failed.err
