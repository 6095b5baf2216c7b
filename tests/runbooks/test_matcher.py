"""The matcher: tokenisation, and a guard on a sample of the labelled evaluation set."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.runbooks.conftest import SEEDS
from warroom.runbooks.extract import extract
from warroom.runbooks.matcher import AlertQuery, Matcher, candidate, weighted_terms
from warroom.runbooks.parser import decode, parse

pytestmark = pytest.mark.usefixtures("seeds_present")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    candidates = []
    for path in sorted(SEEDS.glob("*.txt")):
        for entry in extract(parse(decode(path.read_bytes()))).entries:
            if entry.kind in ("incident", "procedure"):
                candidates.append(
                    candidate(
                        section_id=f"{path.name}:{entry.key}",
                        file=path.name,
                        heading=entry.heading,
                        line=entry.line,
                        path=entry.path,
                        fields={k: [asdict(s) for s in v] for k, v in entry.fields.items()},
                    )
                )
    return Matcher(candidates)


def surfaces(text: str) -> list[str]:
    return [surface for _, _, surface, synonym in weighted_terms(text) if not synonym]


def test_camel_case_symbols_and_status_classes_are_split():
    assert surfaces("EtcdHighNumberOfLeaderChanges") == [
        "etcd",
        "high",
        "number",
        "leader",
        "changes",
    ]
    assert surfaces("orders-db - DiskQueueDepth") == ["orders", "db", "disk", "queue", "depth"]
    assert surfaces("stocks-api-5XXError") == ["stocks", "api", "5xx", "error"]
    assert surfaces("[P2] queue depth > 10k on jobs-01") == ["queue", "depth", "10k", "jobs"]


def test_vocabulary_translates_operations_words():
    extras = {
        s for s, _, _, synonym in weighted_terms("OOMKilled pod in CrashLoopBackOff") if synonym
    }
    assert {"memori", "restart"} <= extras
    extras = {s for s, _, _, synonym in weighted_terms("p99 above 2s on RDS") if synonym}
    assert {"latenc", "databas"} <= extras


def case(title: str, **alert: object) -> AlertQuery:
    return AlertQuery.from_json({"title": title, **alert})


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("RedisOutOfMemory", "Redis High Memory (P2)"),
        ("PostgresqlTooManyConnections", "Incident: Database Connection Pool Exhausted"),
        ("Lambda Throttles > 0", "Lambda Throttling"),
        ("[P2] queue depth > 10k on jobs-01", "SQS Queue Backlog (P2)"),
        ("Messages visible in orders-dlq", "DLQ Messages (P2)"),
        ("RDS FreeStorageSpace below 10%", "RDS Storage Space Low"),
        ("login takes forever for people in Asia", "High Latency / Slow Performance"),
    ],
)
def test_sample_alerts_find_their_section_first(matcher: Matcher, title: str, heading: str):
    ranked = matcher.match(case(title))
    assert ranked, f"abstained on {title!r}"
    assert ranked[0].heading == heading
    assert 0 < ranked[0].score <= 1
    assert ranked[0].reason.startswith("matched: ")


@pytest.mark.parametrize(
    "title",
    [
        "etcd cluster has high number of leader changes",
        "Clock skew detected.",
        "Node is not ready.",
    ],
)
def test_alerts_no_runbook_covers_get_no_suggestion(matcher: Matcher, title: str):
    assert matcher.match(case(title)) == []


@pytest.mark.parametrize(
    ("name", "top1", "hit3", "abstain"),
    [("runbook_eval.jsonl", 0.78, 0.85, 0.70), ("runbook_holdout.jsonl", 0.70, 0.75, 0.65)],
)
def test_quality_does_not_regress(
    matcher: Matcher, name: str, top1: float, hit3: float, abstain: float
):
    cases = [json.loads(line) for line in (ROOT / "tests" / "data" / name).read_text().splitlines()]
    covered = [c for c in cases if c["expected"]]
    uncovered = [c for c in cases if not c["expected"]]

    def hits(c: dict, n: int) -> bool:  # type: ignore[type-arg]
        ranked = matcher.match(AlertQuery.from_json(c["alert"]))[:n]
        return any(
            (m.file, m.line) in {(e["file"], e["line"]) for e in c["expected"]} for m in ranked
        )

    assert sum(hits(c, 1) for c in covered) / len(covered) >= top1
    assert sum(hits(c, 3) for c in covered) / len(covered) >= hit3
    assert (
        sum(not matcher.match(AlertQuery.from_json(c["alert"])) for c in uncovered) / len(uncovered)
        >= abstain
    )
