"""``warroom integration``, ``alert``, ``silence``, ``maintenance`` and service grouping."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from tests.alerts.conftest import add_alert
from warroom.alerts import integrations
from warroom.change import Change
from warroom.cli import main
from warroom.clock import FakeClock, SystemClock
from warroom.services.service import get_service


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture
def cli(database_url, checkout, clock: FakeClock, monkeypatch) -> None:
    """The CLI on the test database (with a checkout service), its clock fixed at ``clock``."""
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    monkeypatch.setenv("WARROOM_PUBLIC_URL", "https://warroom.example")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(SystemClock, "now", lambda self: clock.now())


def test_integration_commands(cli, capsys, session: Session, change: Change):
    code, out, err = run(
        capsys,
        "integration",
        "create",
        "--name",
        "prom",
        "--source",
        "alertmanager",
        "--service",
        "checkout",
        "--option",
        "rate_limit_per_minute=600",
    )
    assert (code, err) == (0, "")
    created = json.loads(out)
    key = created["key"]
    assert created["ingest_url"] == f"https://warroom.example/ingest/alertmanager/{key}"
    assert created["options"] == {"rate_limit_per_minute": 600}
    code, out, _ = run(capsys, "integration", "list")
    assert code == 0
    assert "prom" in out
    assert key not in out
    assert key[-4:] in out
    code, out, _ = run(capsys, "integration", "show", "prom")
    assert "key" not in json.loads(out)
    assert key not in out
    code, out, _ = run(capsys, "integration", "rotate-key", "prom", "--key", "my-own-key-1")
    assert json.loads(out)["key"] == "my-own-key-1"
    assert integrations.find_by_key(session, "my-own-key-1") is not None
    assert run(capsys, "integration", "disable", "prom")[:2] == (0, "integration prom disabled\n")
    assert json.loads(run(capsys, "integration", "show", "prom")[1])["enabled"] is False
    assert run(capsys, "integration", "enable", "prom")[:2] == (0, "integration prom enabled\n")
    code, _, err = run(
        capsys,
        "integration",
        "create",
        "--name",
        "x",
        "--source",
        "nagios",
        "--service",
        "checkout",
    )
    assert code == 1
    assert err.startswith("error: source: unknown source 'nagios'")
    assert len(err.strip().splitlines()) == 1
    add_alert(session, change, integrations.get_integration(session, "prom"))
    code, _, err = run(capsys, "integration", "delete", "prom")
    assert code == 1
    assert "enabled: false" in err
    run(
        capsys,
        "integration",
        "create",
        "--name",
        "tmp",
        "--source",
        "generic",
        "--service",
        "checkout",
    )
    assert run(capsys, "integration", "delete", "tmp")[:2] == (0, "integration tmp deleted\n")


def test_alert_commands(cli, capsys, session: Session, change: Change):
    run(
        capsys,
        "integration",
        "create",
        "--name",
        "prom",
        "--source",
        "alertmanager",
        "--service",
        "checkout",
    )
    prom = integrations.get_integration(session, "prom")
    firing = add_alert(session, change, prom, title="Disk almost full")
    add_alert(session, change, prom, dedup_key="k2", status="resolved", title="Old")
    code, out, err = run(capsys, "alert", "list", "--status", "firing")
    assert (code, err) == (0, "")
    assert "Disk almost full" in out
    assert "Old" not in out
    code, out, _ = run(capsys, "alert", "list", "--integration", "prom", "--json")
    assert [a["title"] for a in json.loads(out)] == ["Old", "Disk almost full"]
    code, out, _ = run(capsys, "alert", "show", str(firing.id))
    assert json.loads(out)["raw"] == {"receiver": "warroom"}
    code, _, err = run(capsys, "alert", "show", "999")
    assert (code, err.strip()) == (1, "error: no alert with id 999")
    code, _, err = run(capsys, "alert", "list", "--status", "open")
    assert code == 1
    assert "unknown alert status 'open'" in err


def test_silence_and_maintenance_commands(cli, capsys):
    code, out, err = run(
        capsys,
        "silence",
        "create",
        "--match",
        "alertname=~Disk.*",
        "--match",
        "env!=dev",
        "--service",
        "checkout",
        "--duration",
        "2h",
        "--comment",
        "migration",
        "--json",
    )
    assert (code, err) == (0, "")
    made = json.loads(out)
    assert made["matchers"] == [
        {"name": "alertname", "op": "=~", "value": "Disk.*"},
        {"name": "env", "op": "!=", "value": "dev"},
    ]
    assert made["ends_at"] == "2025-11-01T11:00:00Z"
    code, out, _ = run(capsys, "silence", "list")
    assert "alertname=~Disk.*, env!=dev" in out
    assert run(capsys, "silence", "expire", str(made["id"]))[:2] == (
        0,
        f"silence {made['id']} expired\n",
    )
    assert json.loads(run(capsys, "silence", "list", "--active", "--json")[1]) == []
    code, _, err = run(
        capsys, "silence", "create", "--match", "x=~(", "--duration", "1h", "--comment", "c"
    )
    assert code == 1
    assert "matchers[0].value" in err
    code, _, err = run(
        capsys,
        "silence",
        "create",
        "--match",
        "x",
        "--until",
        "2025-11-02T00:00Z",
        "--comment",
        "c",
    )
    assert code == 1
    assert "is not name=value" in err
    code, out, err = run(
        capsys,
        "maintenance",
        "create",
        "--service",
        "checkout",
        "--start",
        "2025-11-01T10:00Z",
        "--end",
        "2025-11-01T12:00Z",
        "--json",
    )
    assert (code, err) == (0, "")
    window = json.loads(out)
    assert window["kind"] == "maintenance"
    assert "checkout" in run(capsys, "maintenance", "list")[1]
    assert run(capsys, "maintenance", "end", str(window["id"]))[0] == 0
    code, _, err = run(
        capsys,
        "maintenance",
        "create",
        "--service",
        "ghost",
        "--start",
        "2025-11-01T10:00Z",
        "--end",
        "2025-11-01T12:00Z",
    )
    assert code == 1
    assert "no service called 'ghost'" in err


def test_service_grouping_options(cli, capsys, session: Session):
    code, out, err = run(
        capsys,
        "service",
        "create",
        "--name",
        "search",
        "--group-by",
        "alertname",
        "--group-by",
        "cluster",
        "--group-window",
        "1h",
        "--json",
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["grouping"] == {
        "mode": "content",
        "labels": ["alertname", "cluster"],
        "window_seconds": 3600,
    }
    assert get_service(session, "search").grouping == json.loads(out)["grouping"]
    assert get_service(session, "checkout").grouping is None
    code, out, _ = run(capsys, "service", "list")
    assert "alertname, cluster within 1h" in out
    code, _, err = run(capsys, "service", "create", "--name", "x", "--grouping-mode", "fuzzy")
    assert code == 1
    assert "grouping.mode" in err
