"""``runbooks apply-config``: a runbook's severity table becomes the configured scheme."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.runbooks.conftest import SEEDS
from warroom.cli import main
from warroom.config import load_settings
from warroom.errors import ConfigError, ValidationFailed
from warroom.runbooks.apply import parse_response_time, propose, write
from warroom.severity import DEFAULT_SCHEME

TABLE = b"""# Runbook

| Severity | Description | Response Time | Resolution Time |
|---|---|---|---|
| SEV-1 | Everything is down | 10 minutes | 2 hours |
| SEV-2 | Big problem | < 20 min | < 6 hours |
| SEV-3 | Small problem | Next business day | < 1 week |
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 minutes", timedelta(minutes=15)),
        ("< 30 min", timedelta(minutes=30)),
        ("<15 minutes", timedelta(minutes=15)),
        ("Immediate (< 15 min)", timedelta(minutes=15)),
        ("< 2 hours", timedelta(hours=2)),
        ("< 1 business day", timedelta(days=1)),
        ("Next business day", timedelta(days=1)),
        ("< 1 week", timedelta(days=7)),
        ("Immediate", None),
        ("", None),
    ],
)
def test_response_times_as_runbooks_write_them(text: str, expected: timedelta | None):
    assert parse_response_time(text) == expected


def test_the_table_maps_onto_the_levels_by_position_and_keeps_ids():
    proposal = propose(TABLE, DEFAULT_SCHEME)
    p1, p2, p3, p4 = proposal.levels
    assert (p1.id, p1.ack_sla, p1.resolve_sla, p1.description) == (
        "P1",
        timedelta(minutes=10),
        timedelta(hours=2),
        "Everything is down",
    )
    assert (p2.ack_sla, p2.resolve_sla) == (timedelta(minutes=20), timedelta(hours=6))
    assert (p3.ack_sla, p3.resolve_sla) == (timedelta(days=1), timedelta(days=7))
    assert p4 == DEFAULT_SCHEME.levels[3]
    assert "P1: ack_sla 15m → 10m" in proposal.changes
    assert p1.postmortem_required  # what the table does not say stays as it was


def test_labels_new_to_the_scheme_become_aliases_and_collisions_are_refused():
    proposal = propose(b"| Priority | Response Time |\n|---|---|\n| P0 | 5 min |\n", DEFAULT_SCHEME)
    assert "P0" in proposal.levels[0].aliases
    with pytest.raises(ConfigError, match="names both"):
        propose(b"| Priority | Response Time |\n|---|---|\n| P2 | 5 min |\n", DEFAULT_SCHEME)
    with pytest.raises(ValidationFailed, match="no severity table"):
        propose(b"# Nothing here\n", DEFAULT_SCHEME)


@pytest.mark.usefixtures("seeds_present")
def test_seed_tables_propose_their_response_times():
    sev = {
        lv.id: lv
        for lv in propose((SEEDS / "002_380125790980f6f3.txt").read_bytes(), DEFAULT_SCHEME).levels
    }
    assert [sev[i].ack_sla for i in ("P1", "P2", "P3", "P4")] == [
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=4),
        timedelta(days=1),
    ]
    assert "SEV-2" in sev["P2"].aliases


def test_write_keeps_the_rest_of_the_file_and_loads_back(tmp_path: Path):
    config = tmp_path / "warroom.toml"
    config.write_text(
        '# production settings\nport = 9090\n\n[[severities]]\nid = "OLD"\n'
        'name = "x"\nack_sla = "1m"\nresolve_sla = "2m"\n'
    )
    write(config, propose(TABLE, DEFAULT_SCHEME).levels)
    text = config.read_text()
    assert text.startswith("# production settings\nport = 9090")
    assert '"OLD"' not in text
    settings = load_settings(config)
    assert settings.port == 9090
    assert settings.severity_scheme.get("P1").ack_sla == timedelta(minutes=10)
    assert settings.severity_scheme.resolve("sev-2").id == "P2"


def test_cli_dry_run_writes_nothing_and_apply_writes(tmp_path: Path, capsys, monkeypatch):
    runbook = tmp_path / "runbook.md"
    runbook.write_bytes(TABLE)
    config = tmp_path / "warroom.toml"
    config.write_text("port = 9090\n")
    monkeypatch.delenv("WARROOM_CONFIG", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "runbooks", "apply-config", "--dry-run", str(runbook)])
    assert exited.value.code == 0
    assert "P1: ack_sla 15m → 10m" in capsys.readouterr().out
    assert config.read_text() == "port = 9090\n"
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "runbooks", "apply-config", str(runbook)])
    assert exited.value.code == 0
    assert "[[severities]]" in config.read_text()
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "runbooks", "apply-config", str(tmp_path / "missing.md")])
    assert exited.value.code == 1
    assert "does not exist" in capsys.readouterr().err
