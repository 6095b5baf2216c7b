"""``warroom postmortem`` and ``warroom action-item`` from the terminal."""

from __future__ import annotations

from tests.cli.conftest import Result, Run, cli, run  # noqa: F401

REF = "incident-2025-11-01-001"


def ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def one_line_error(result: Result, text: str) -> None:
    assert result.code == 1
    assert "Traceback" not in result.err
    (line,) = result.err.strip().splitlines()
    assert text in line, result.err


def resolved(cli: Run, severity: str = "P1") -> str:  # noqa: F811
    ref = ok(
        cli("incident", "declare", "-t", "Cache <b>storm</b>", "-s", severity, "--json")
    ).json()["ref"]
    ok(cli("incident", "note", ref, "flushed | the cache"))
    ok(cli("incident", "resolve", ref))
    return str(ref)


def test_generate_prints_and_writes_markdown_and_html_without_storing(cli, tmp_path):  # noqa: F811
    ref = resolved(cli)
    printed = ok(cli("postmortem", "generate", ref)).out
    assert printed.startswith(r"# Postmortem: Cache \<b\>storm\</b\>")
    assert r"| Note | cli:" in printed
    assert r"flushed \| the cache |" in printed
    one_line_error(cli("postmortem", "show", ref), "has no postmortem yet")

    markdown = tmp_path / "pm.md"
    assert ok(cli("postmortem", "generate", ref, "--output", str(markdown))).out.strip() == (
        f"wrote {markdown}"
    )
    assert markdown.read_text().startswith("# Postmortem:")
    html = tmp_path / "pm.html"
    ok(cli("postmortem", "generate", ref, "-o", str(html), "--format", "html"))
    page = html.read_text()
    assert page.startswith("<!doctype html>")
    assert "<b>storm" not in page
    assert "<h1>Postmortem: Cache &lt;b&gt;storm&lt;/b&gt;</h1>" in page

    saved = ok(cli("postmortem", "generate", ref, "--save", "--owner", "bob")).out
    assert saved.startswith("# Postmortem:")
    shown = ok(cli("postmortem", "show", ref, "--json")).json()
    assert (shown["status"], shown["owner"]) == ("draft", "bob")
    one_line_error(cli("postmortem", "generate", ref, "--save"), "already has a postmortem")
    one_line_error(cli("incident", "status", ref, "closed"), "publish its postmortem first")


def test_publish_with_a_body_file_then_close(cli, tmp_path):  # noqa: F811
    ref = resolved(cli)
    ok(cli("postmortem", "generate", ref, "--save"))
    body = tmp_path / "final.md"
    body.write_text("# Postmortem\n\nThe cache stampeded.\n")
    assert ok(cli("postmortem", "publish", ref, "--body-file", str(body))).out.strip() == (
        f"postmortem of {ref} published"
    )
    assert ok(cli("postmortem", "show", ref)).out == body.read_text()
    exported = tmp_path / "out.html"
    ok(cli("postmortem", "show", ref, "--format", "html", "--output", str(exported)))
    assert "<p>The cache stampeded.</p>" in exported.read_text()
    ok(cli("incident", "status", ref, "closed"))
    one_line_error(
        cli("postmortem", "publish", ref, "--body-file", str(tmp_path / "missing.md")),
        "cannot read",
    )


def test_errors_are_one_line_and_change_nothing(cli, tmp_path):  # noqa: F811
    one_line_error(cli("postmortem", "generate", "incident-2025-11-01-404"), "no incident")
    ref = resolved(cli)
    one_line_error(
        cli("postmortem", "generate", ref, "-o", str(tmp_path / "no" / "such" / "dir.md")),
        "cannot write",
    )
    one_line_error(
        cli("postmortem", "generate", ref, "--save", "-o", str(tmp_path / "nope" / "x.md")),
        "cannot write",
    )
    one_line_error(cli("postmortem", "show", ref), "has no postmortem yet")  # rolled back
    bad_format = cli("postmortem", "generate", ref, "--format", "pdf")
    assert bad_format.code == 2
    assert "Traceback" not in bad_format.err


def test_action_items_from_the_terminal(cli):  # noqa: F811
    ref = resolved(cli, "P2")
    added = ok(
        cli(
            "action-item",
            "add",
            ref,
            "-t",
            "Alarm on evictions",
            "--owner",
            "carol",
            "--due",
            "2099-01-31",
            "--priority",
            "high",
            "--json",
        )
    ).json()
    assert (added["owner"], added["priority"], added["status"]) == ("carol", "high", "open")
    one_line_error(
        cli("action-item", "add", ref, "-t", "x", "--owner", "zed", "--due", "2099-01-01"),
        "owner: no user with handle 'zed'",
    )
    one_line_error(
        cli("action-item", "add", ref, "-t", "x", "--owner", "bob", "--due", "soon"),
        "due: 'soon' is not a date",
    )
    listed = ok(cli("action-item", "list", "--owner", "carol", "--json")).json()
    assert [i["id"] for i in listed] == [added["id"]]
    table = ok(cli("action-item", "list", "--incident", ref)).out
    assert "Alarm on evictions" in table
    assert "carol" in table
    assert ok(cli("action-item", "done", str(added["id"]))).out.strip() == (
        f"action item {added['id']} is done"
    )
    assert ok(cli("action-item", "list", "--status", "open")).out.strip() == "no action items match"
    one_line_error(cli("action-item", "done", "999"), "no action item 999")
    one_line_error(cli("action-item", "list", "--status", "later"), "unknown status 'later'")
