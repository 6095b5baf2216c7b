"""The matcher: tokenisation, and a guard on a sample of the labelled evaluation set."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.runbooks.conftest import SEEDS
from warroom.runbooks.extract import extract
from warroom.runbooks.matcher import (
    SYNONYM,
    WORD,
    AlertQuery,
    Matcher,
    Tuning,
    candidate,
    weighted_terms,
)
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
    return [surface for _, _, surface, kind in weighted_terms(text) if kind == WORD]


def extras(text: str) -> set[str]:
    return {term for term, _, _, kind in weighted_terms(text) if kind == SYNONYM}


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
    assert surfaces("[P2] queue depth > 10k on jobs-01") == ["queue", "depth", "jobs"]


def test_values_are_dropped_but_status_codes_and_known_ports_stay():
    assert surfaces("504s from API GW after v2.14.0, 30s p99, 14.4x") == ["504", "api", "gw", "p99"]
    assert surfaces("connect ETIMEDOUT 10.0.3.12:5432") == ["connect", "etimedout", "5432"]
    assert "databas" in extras("connect ETIMEDOUT 10.0.3.12:5432")
    assert "databas" not in extras("connect ETIMEDOUT 10.0.3.12:9999")


def test_a_phrase_keeps_its_words_but_only_the_phrase_expands():
    terms = weighted_terms("burning too much error budget")
    assert [(s, kind) for _, _, s, kind in terms if kind != SYNONYM] == [
        ("burning", WORD),
        ("much", WORD),
        ("error", "part"),
        ("budget", "part"),
        ("errorbudget", WORD),
    ]
    # "budget" alone means money; inside "error budget" it must not pull in the billing entry.
    assert "cost" in extras("AWS Budgets: monthly budget exceeded")
    assert "cost" not in extras("burning too much error budget")


def test_the_instance_in_a_rule_title_is_context_not_topic():
    topic, context = AlertQuery(title="JVM memory filling up (instance billing-svc:9404)").channels(
        Tuning()
    )
    assert "bill" not in {term for term, *_ in topic}
    assert "bill" in {term for term, *_ in context}


def test_vocabulary_translates_operations_words():
    assert {"memori", "restart"} <= extras("OOMKilled pod in CrashLoopBackOff")
    assert {"latenc", "databas"} <= extras("p99 above 2s on RDS")
    assert {"sqs", "backlog"} <= extras("order-events-ApproximateAgeOfOldestMessage")
    assert {"error", "except"} <= extras("TypeError: Cannot read properties of undefined")


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
        ("HTTPCode_Target_5XX_Count on prod-web-alb", "ALB 5XX Errors"),
        ("connect ETIMEDOUT 10.0.3.12:5432", "Database Connection Timeout (P2)"),
        ("ECS service orders-svc CPUUtilization above 90%", "ECS Service High CPU/Memory"),
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
        "Host out of disk space",
        "PersistentVolume is filling up.",
        "Kafka consumer group lag is growing",
    ],
)
def test_alerts_no_runbook_covers_get_no_suggestion(matcher: Matcher, title: str):
    assert matcher.match(case(title)) == []


@pytest.mark.parametrize(
    ("name", "top1", "hit3", "abstain"),
    [("runbook_eval.jsonl", 0.92, 0.95, 0.82), ("runbook_holdout.jsonl", 0.77, 0.80, 0.70)],
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
