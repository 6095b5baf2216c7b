"""``warroom runbooks`` from the terminal, including the batch matcher's exact output shape."""

from __future__ import annotations

import json

import pytest

from tests.runbooks.conftest import SEEDS
from warroom.cli import main

pytestmark = pytest.mark.usefixtures("seeds_present")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture
def imported(database_url, engine, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    code, out, _ = run(capsys, "runbooks", "import", str(SEEDS))
    assert code == 0
    assert out.count("created") == 5


def test_import_again_is_unchanged_and_show_marks_entries(imported, capsys):
    code, out, _ = run(capsys, "runbooks", "import", str(SEEDS / "003_e90bac85010c2225.txt"))
    assert code == 0
    assert "unchanged" in out
    code, out, _ = run(capsys, "runbooks", "list", "--json")
    listed = json.loads(out)
    assert [r["incident_sections"] for r in listed] == [6, 5, 3, 11, 10]
    runbook_id = next(r["id"] for r in listed if r["file_name"] == "003_e90bac85010c2225.txt")
    code, out, _ = run(capsys, "runbooks", "show", str(runbook_id))
    assert "   71        RDS High CPU Utilization  [incident]  5 steps" in out
    assert "[procedure]" in out


def test_batch_output_is_one_line_per_input_in_order(imported, capsys, tmp_path):
    lines = [
        {
            "id": "a",
            "alert": {"title": "RedisOutOfMemory", "labels": {"alertname": "RedisOutOfMemory"}},
        },
        {"id": "b", "alert": {"title": "etcd leader changes", "description": "", "labels": {}}},
        {
            "id": "c",
            "alert": {
                "title": "PostgresqlTooManyConnections",
                "description": "too many connections",
            },
        },
    ]
    batch = tmp_path / "alerts.jsonl"
    batch.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, out, _ = run(capsys, "runbooks", "match", "--batch", str(batch))
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["a", "b", "c"]
    assert set(results[0]) == {"id", "ranked"}
    first = results[0]["ranked"][0]
    assert set(first) == {"file", "heading", "line", "score", "reason"}
    assert (first["file"], first["heading"], first["line"]) == (
        "000_a25ff75ecb42e6d3.txt",
        "Redis High Memory (P2)",
        132,
    )
    assert results[1]["ranked"] == []
    assert 1 <= len(results[2]["ranked"]) <= 5
    scores = [r["score"] for r in results[2]["ranked"]]
    assert scores == sorted(scores, reverse=True)


def test_batch_with_a_bad_line_names_it(imported, capsys, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": "a", "alert": {"title": "x"}}\nnot json\n')
    code, _, err = run(capsys, "runbooks", "match", "--batch", str(batch))
    assert code == 1
    assert "line 2" in err
    assert "Traceback" not in err


def test_import_of_a_missing_path_is_one_clear_error(database_url, engine, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    code, _, err = run(capsys, "runbooks", "import", "/nonexistent/runbooks")
    assert code == 1
    assert "does not exist" in err
