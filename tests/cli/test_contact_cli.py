"""``warroom user contact``: add, list and remove a user's contact methods."""

from __future__ import annotations

from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error, create_user, ok


def test_user_contact_add_list_and_remove(cli: Run):
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
