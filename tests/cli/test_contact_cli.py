"""``warroom user contact``: add, list and remove a user's contact methods."""

from __future__ import annotations

import json

import pytest

from tests.channels.conftest import Receiver, receiver  # noqa: F401
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error, create_user, ok

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let contact methods reach 127.0.0.1."""
    monkeypatch.setenv("WARROOM_EGRESS_ALLOW", "127.0.0.1")


def test_user_contact_add_list_and_remove(cli: Run, loopback: None):
    create_user(cli, "alice")
    added = ok(
        cli(
            "user", "contact", "add", "alice", "--type", "webhook",
            "--address", "http://127.0.0.1:9000/page", "--label", "pager",
        )
    )  # fmt: skip
    assert added.out.strip() == (
        "added contact method 1 to alice: webhook http://127.0.0.1:9000/page (position 1)"
    )
    ok(cli("user", "contact", "add", "alice", "--type", "email", "--address", "a@example.com"))
    ok(
        cli(
            "user", "contact", "add", "alice", "--type", "slack", "--address", "#payments",
            "--position", "1",
        )
    )  # fmt: skip
    listed = ok(cli("user", "contact", "list", "alice", "--json")).json()
    assert [(m["position"], m["type"], m["address"], m["label"]) for m in listed] == [
        (1, "slack", "#payments", None),
        (2, "webhook", "http://127.0.0.1:9000/page", "pager"),
        (3, "email", "a@example.com", None),
    ]
    assert "#payments" in ok(cli("user", "contact", "list", "alice")).out
    assert ok(cli("user", "contact", "remove", "alice", "1")).out.strip() == (
        "removed contact method 1 from alice"
    )
    listed = ok(cli("user", "contact", "list", "alice", "--json")).json()
    assert [(m["position"], m["type"]) for m in listed] == [(1, "slack"), (2, "email")]
    shown = ok(cli("user", "list", "--json")).json()
    assert [m["type"] for m in shown[0]["contact_methods"]] == ["slack", "email"]


def test_user_contact_refuses_bad_input(cli: Run):
    create_user(cli, "alice")
    bad = cli("user", "contact", "add", "alice", "--type", "email", "--address", "nope")
    assert_one_line_error(bad, "address", "'nope' is not an email address")
    bad_type = cli("user", "contact", "add", "alice", "--type", "fax", "--address", "1")
    assert_one_line_error(bad_type, "type", "unknown contact method type 'fax'")
    unknown = cli("user", "contact", "add", "zoe", "--type", "email", "--address", "z@x.io")
    assert_one_line_error(unknown, "no user with handle 'zoe'")
    ok(cli("user", "contact", "add", "alice", "--type", "email", "--address", "a@x.io"))
    again = cli("user", "contact", "add", "alice", "--type", "email", "--address", "a@x.io")
    assert_one_line_error(again, "already has the email 'a@x.io'")
    assert_one_line_error(cli("user", "contact", "remove", "alice", "9"), "no contact method 9")
    assert len(ok(cli("user", "contact", "list", "alice", "--json")).json()) == 1


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("http://169.254.169.254/latest", "169.254.169.254 is link-local (cloud metadata)"),
        ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("http://[::1]:8080/hook", "::1 is loopback"),
        ("http://localhost:8080/hook", "127.0.0.1 is loopback"),
    ],
)
def test_user_contact_add_refuses_forbidden_addresses(cli: Run, address: str, reason: str):
    create_user(cli, "alice")
    refused = cli("user", "contact", "add", "alice", "--type", "webhook", "--address", address)
    assert_one_line_error(refused, "address", reason)
    assert ok(cli("user", "contact", "list", "alice", "--json")).json() == []


def test_user_contact_secret_set_and_test(cli: Run, loopback: None, receiver: Receiver):  # noqa: F811
    create_user(cli, "alice")
    hook = f"{receiver.url}/hook?token=abc"
    bad = cli(
        "user", "contact", "add", "alice", "--type", "webhook", "--address", hook,
        "--secret", "nope",
    )  # fmt: skip
    assert_one_line_error(bad, "secret", "whsec_")
    added = ok(
        cli(
            "user", "contact", "add", "alice", "--type", "webhook", "--address", hook,
            "--secret", SECRET, "--delay", "0",
        )
    )  # fmt: skip
    assert "token=****" in added.out
    assert "abc" not in added.out
    (shown,) = ok(cli("user", "contact", "list", "alice", "--json")).json()
    assert shown["has_secret"] is True
    assert "secret" not in shown
    assert SECRET not in json.dumps(shown)
    both = ok(cli("user", "contact", "set", "alice", "1", "--secret", f"{SECRET} {NEW_SECRET}"))
    assert "a secret" in both.out
    assert SECRET not in both.out
    ok(cli("user", "contact", "set", "alice", "1", "--delay", "10", "--label", "pager"))
    (shown,) = ok(cli("user", "contact", "list", "alice", "--json")).json()
    assert (shown["delay_minutes"], shown["label"]) == (10, "pager")
    sent = ok(cli("user", "contact", "test", "alice", "1", "--json")).json()
    assert sent == {"ok": True, "retryable": False, "detail": "HTTP 200", "channel": "webhook"}
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split()) == 2
    cleared = ok(cli("user", "contact", "set", "alice", "1", "--clear-secret"))
    assert "no secret" in cleared.out
    alias = ok(cli("user", "test-contact", "alice", "1"))
    assert "test message sent" in alias.out
    assert "webhook-signature" not in receiver.requests[1].headers
    assert_one_line_error(cli("user", "contact", "test", "alice", "7"), "no contact method 7")


def test_user_contact_test_reports_a_refused_address(cli: Run, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WARROOM_EGRESS_ALLOW", "127.0.0.1")
    create_user(cli, "alice")
    ok(
        cli(
            "user",
            "contact",
            "add",
            "alice",
            "--type",
            "webhook",
            "--address",
            "http://127.0.0.1:9/",
        )
    )
    monkeypatch.delenv("WARROOM_EGRESS_ALLOW")
    failed = cli("user", "contact", "test", "alice", "1")
    assert failed.code == 1
    assert "refused: 127.0.0.1 is loopback" in failed.out
