"""``warroom apply`` / ``warroom export`` through ``main(argv)``, and POST /api/v1/config/apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.configcode.conftest import EXAMPLE, snapshot
from warroom.cli import main

APPLY = "/api/v1/config/apply"
YAML = {"Content-Type": "application/yaml"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture
def cli(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI pointed at the (emptied) test database."""
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "warroom.yaml"
    path.write_text(EXAMPLE)
    return path


def test_cli_dry_run_apply_and_reapply(cli, capsys, engine: Engine, example: Path):
    before = snapshot(engine)
    code, out, err = run(capsys, "apply", str(example), "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "+ create user alice",
        "+ create user bob",
        "+ create user carol",
        "+ create schedule payments-primary",
        "+ create escalation policy payments",
        "+ create stakeholder matrix",
        "+ create service checkout-api",
        "= 0 unchanged",
        "dry run: nothing was written",
    ]
    assert snapshot(engine) == before
    assert run(capsys, "apply", str(example))[:2] == (0, "\n".join(out.splitlines()[:-1]) + "\n")
    example.write_text(EXAMPLE.replace("repeat: 1", "repeat: 2"))
    code, out, _ = run(capsys, "apply", str(example))
    assert (code, out) == (0, "~ update escalation policy payments: repeat\n= 6 unchanged\n")
    assert run(capsys, "apply", str(example))[:2] == (0, "= 7 unchanged\n")


def test_cli_errors_name_file_line_column_and_field(cli, capsys, engine: Engine, example: Path):
    example.write_text(EXAMPLE.replace("after: 15m", "after: 15x") + "teams: []\n")
    before = snapshot(engine)
    code, out, err = run(capsys, "apply", str(example))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"error: {example}:19:1: teams: unknown field; use users, schedules, "
        "escalation_policies, stakeholders, services, integrations, status_page"
    ]
    example.write_text(EXAMPLE.replace("after: 15m", "after: 15x"))
    code, out, err = run(capsys, "apply", str(example))
    assert code == 1
    assert err == (
        f"error: {example}:14:17: escalation_policies[0].steps[1].after: "
        "'15x' is not a duration; use e.g. 0s, 90s, 15m, 2h, 1h30m or 7d\n"
    )
    assert snapshot(engine) == before


def test_cli_refuses_a_missing_or_binary_file(cli, capsys, tmp_path: Path):
    code, _, err = run(capsys, "apply", str(tmp_path / "nope.yaml"))
    assert code == 1
    assert "cannot read" in err
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe")
    code, _, err = run(capsys, "apply", str(tmp_path / "bin.yaml"))
    assert (code, "is not UTF-8 text" in err) == (1, True)


def test_cli_export_round_trip(cli, capsys, example: Path, tmp_path: Path):
    run(capsys, "apply", str(example))
    code, exported, err = run(capsys, "export")
    assert (code, err) == (0, "")
    assert "- handle: alice" in exported
    target = tmp_path / "exported.yaml"
    code, out, _ = run(capsys, "export", "--output", str(target))
    assert (code, out) == (0, f"wrote {target}\n")
    assert target.read_text() == exported
    assert run(capsys, "apply", str(target), "--dry-run")[1] == (
        "= 7 unchanged\ndry run: nothing was written\n"
    )


def test_api_apply_dry_run_then_for_real(client, admin, engine: Engine):
    before = snapshot(engine)
    dry = client.post(f"{APPLY}?dry_run=true", content=EXAMPLE, headers={**admin, **YAML})
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["dry_run"], body["created"], body["updated"], body["unchanged"]) == (
        True,
        7,
        0,
        0,
    )
    assert body["items"][0] == {"action": "create", "kind": "user", "name": "alice", "fields": []}
    assert snapshot(engine) == before
    done = client.post(APPLY, content=EXAMPLE, headers={**admin, "Content-Type": "text/plain"})
    assert (done.status_code, done.json()["created"]) == (200, 7)
    changed = EXAMPLE.replace("after: 15m", "after: 20m")
    again = client.post(f"{APPLY}?dry_run=false", content=changed, headers={**admin, **YAML})
    assert again.json()["items"][4] == {
        "action": "update",
        "kind": "escalation policy",
        "name": "payments",
        "fields": ["steps"],
    }
    assert (
        client.get("/api/v1/escalation-policies/payments", headers=admin).json()["steps"][1][
            "after"
        ]
        == "20m"
    )


def test_api_bad_documents_are_422_with_positions(client, admin, engine: Engine):
    before = snapshot(engine)
    document = EXAMPLE.replace("after: 15m", "after: 15x")
    response = client.post(APPLY, content=document, headers={**admin, **YAML})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("14:17: escalation_policies[0].steps[1].after: '15x'")
    assert problem["errors"] == [
        {
            "field": "escalation_policies[0].steps[1].after",
            "message": "'15x' is not a duration; use e.g. 0s, 90s, 15m, 2h, 1h30m or 7d",
            "position": "14:17",
            "line": 14,
            "column": 17,
        }
    ]
    syntax = client.post(APPLY, content="users: [", headers={**admin, **YAML})
    assert syntax.status_code == 422
    assert syntax.json()["errors"][0]["message"].startswith("not valid YAML")
    assert snapshot(engine) == before


def test_api_needs_admin_and_yaml(client, admin, issue_token):
    responder = issue_token("responder")
    denied = client.post(APPLY, content=EXAMPLE, headers={**responder, **YAML})
    assert denied.status_code == 403
    wrong = client.post(APPLY, json={"users": []}, headers=admin)
    assert wrong.status_code == 415
    assert "application/yaml" in wrong.json()["detail"]
    binary = client.post(APPLY, content=b"\xff", headers={**admin, **YAML})
    assert (binary.status_code, binary.json()["detail"]) == (
        400,
        "the YAML document is not valid UTF-8",
    )
