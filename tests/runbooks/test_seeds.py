"""All five seed runbooks import without loss: entries, headings, lines, steps and commands."""

from __future__ import annotations

import pytest

from tests.runbooks.conftest import SEEDS
from warroom.runbooks.extract import Entry, Extraction, extract
from warroom.runbooks.parser import decode, parse

pytestmark = pytest.mark.usefixtures("seeds_present")


def load(name: str) -> Extraction:
    return extract(parse(decode((SEEDS / name).read_bytes())))


def entry(extraction: Extraction, heading: str) -> Entry:
    return next(e for e in extraction.entries if e.heading == heading)


def entries(extraction: Extraction, kind: str = "incident") -> list[tuple[int, str]]:
    return [(e.line, e.heading) for e in extraction.entries if e.kind == kind]


def texts(found: Entry, field: str) -> list[str]:
    return [step.text for step in found.fields[field]]


def test_seed_000_common_incidents_with_bold_labels():
    runbook = load("000_a25ff75ecb42e6d3.txt")
    assert entries(runbook) == [
        (74, "API Unavailable (P1)"),
        (94, "High Error Rate (P2)"),
        (113, "Database Connection Timeout (P2)"),
        (132, "Redis High Memory (P2)"),
        (151, "SQS Queue Backlog (P2)"),
        (170, "DLQ Messages (P2)"),
    ]
    timeout = entry(runbook, "Database Connection Timeout (P2)")
    assert timeout.severity_tag == "P2"
    assert texts(timeout, "symptoms") == [
        "Database queries timing out",
        "Lambda logs show connection errors",
        "CloudWatch alarm: Database Errors",
    ]
    assert texts(timeout, "investigation")[0] == "Check RDS metrics (CPU, connections, IOPS)"
    assert texts(timeout, "resolution") == [
        "Increase connection pool size",
        "Optimize slow queries",
        "Scale up RDS instance",
        "Add read replicas",
    ]
    assert [level["id"] for level in runbook.severity_levels] == ["P1", "P2", "P3", "P4"]
    assert runbook.severity_levels[1]["response_time"] == "<15 minutes"
    template = next(t for t in runbook.templates if t["heading"] == "Communication Template")
    assert "Investigating/Identified/Monitoring/Resolved" in template["placeholders"]


def test_seed_001_incident_headings_code_comments_and_mojibake():
    runbook = load("001_9f8791a81a374768.txt")
    assert entries(runbook) == [
        (81, "Incident: Service Down / 502 Errors"),
        (179, "Incident: Database Connection Pool Exhausted"),
        (263, "Incident: Redis Cache Down"),
        (334, "Incident: High Error Rate"),
        (414, "Incident: Memory Leak / OOM"),
    ]
    headings = {e.heading for e in runbook.entries}
    # shell comments inside fences are code, not headings
    assert "Edit task definition or update via AWS Console" not in headings
    assert "Force new deployment to restart all tasks" not in headings
    pool = entry(runbook, "Incident: Database Connection Pool Exhausted")
    first = pool.fields["investigation"][0]
    assert first.text == "Check active connections"
    assert "SELECT count(*) FROM pg_stat_activity;" in first.commands[0]
    assert texts(pool, "resolution")[0] == "Option 1: Kill idle connections"
    assert any("pg_terminate_backend" in c["code"] for c in pool.commands)
    assess = entry(runbook, "2. Assess Severity")
    assert "Are all users affected? → SEV1" in assess.body
    assert "\u00e2\u2020\u2019" not in assess.body  # the mojibake of →
    initial = next(t for t in runbook.templates if t["heading"] == "Initial Notification")
    assert initial["text"].startswith("🚨 INCIDENT DETECTED - <Service Name>")
    assert "Brief description of user impact" in initial["placeholders"]
    assert [level["id"] for level in runbook.severity_levels] == ["SEV1", "SEV2", "SEV3", "SEV4"]


def test_seed_002_escaped_fences_checklists_and_escalation_matrix():
    runbook = load("002_380125790980f6f3.txt")
    assert entries(runbook) == [
        (168, "Database Issues"),
        (193, "High Traffic Spike"),
        (206, "Third-Party Service Down"),
    ]
    headings = {e.heading for e in runbook.entries}
    assert "Check recent deployments" not in headings  # a comment inside an escaped fence
    assert "View error logs" not in headings
    database = entry(runbook, "Database Issues")
    assert texts(database, "symptoms") == ["Slow queries", "Connection pool exhausted", "Deadlocks"]
    assert any("SELECT * FROM pg_locks WHERE NOT granted;" in c["code"] for c in database.commands)
    investigation = runbook.checklists[0]
    assert investigation["heading"] == "Phase 3: Investigation (15-60 minutes)"
    assert investigation["items"][0] == "Check recent deployments (last 24 hours)"
    assert len(investigation["items"]) == 6
    assert [(row["time"], row["action"]) for row in runbook.escalation] == [
        ("0 min", "On-call engineer paged"),
        ("15 min", "Engineering lead notified"),
        ("30 min", "VP Engineering notified (SEV-1)"),
        ("1 hour", "CTO notified (SEV-1)"),
        ("2 hours", "CEO notified (SEV-1)"),
    ]
    assert [level["response_time"] for level in runbook.severity_levels] == [
        "15 minutes",
        "1 hour",
        "4 hours",
        "Next business day",
    ]


def test_seed_003_nested_groups_security_and_procedures():
    runbook = load("003_e90bac85010c2225.txt")
    assert entries(runbook) == [
        (71, "RDS High CPU Utilization"),
        (79, "RDS Storage Space Low"),
        (89, "ECS Service Deployment Failure"),
        (97, "ECS Service High CPU/Memory"),
        (107, "ALB 5XX Errors"),
        (115, "VPC Endpoint Connectivity Issues"),
        (168, "Data Breach"),
        (179, "Unauthorized Access"),
    ]
    assert entries(runbook, "procedure") == [
        (134, "Database Recovery"),
        (142, "Service Recovery"),
        (158, "Restore Procedure"),
    ]
    cpu = entry(runbook, "RDS High CPU Utilization")
    assert [s.text for s in cpu.checklist] == [
        "Check CloudWatch metrics for database load",
        "Review slow query logs",
        "Identify and optimize problematic queries",
        "Consider scaling up the instance if needed",
        "Implement query caching if appropriate",
    ]
    assert len(entry(runbook, "Data Breach").checklist) == 8
    p1 = runbook.severity_levels[0]
    assert (p1["id"], p1["name"], p1["response_time"], p1["resolution_time"]) == (
        "P1",
        "Critical",
        "Immediate (< 15 min)",
        "< 4 hours",
    )


def test_seed_004_sections_with_field_headings_and_options():
    runbook = load("004_795784e7baebcea4.txt")
    assert entries(runbook) == [
        (65, "High Error Rate"),
        (139, "High Latency / Slow Performance"),
        (215, "Lambda Timeouts"),
        (267, "Lambda Throttling"),
        (323, "API Gateway 5xx Errors"),
        (377, "External API Failures"),
        (441, "Invalid API Keys"),
        (504, "High Costs / Unexpected Billing"),
        (572, "Complete Outage"),
    ]
    assert entries(runbook, "procedure") == [(645, "Rollback Procedure")]
    errors = entry(runbook, "High Error Rate")
    assert "Lambda Errors metric >5%" in texts(errors, "symptoms")
    assert texts(errors, "resolution")[:3] == [
        "If External API is Down",
        "If Lambda Code Issue",
        "If API Key Issue",
    ]
    assert (
        "fields @timestamp, @message, @requestId" in errors.fields["investigation"][0].commands[0]
    )
    rollback = entry(runbook, "Rollback Procedure")
    assert "New deployment causing errors" in texts(rollback, "symptoms")
    assert texts(rollback, "verification")[0] == "Test API endpoints manually"
    assert "Rollback when" not in [s.text for s in rollback.checklist]


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_every_heading_line_is_where_the_file_says(name: str):
    lines = decode((SEEDS / name).read_bytes()).split("\n")
    runbook = load(name)
    assert len(runbook.entries) > 10
    for found in runbook.entries:
        assert lines[found.line - 1].lstrip("#").strip() == found.heading
    keys = [e.key for e in runbook.entries]
    assert len(keys) == len(set(keys))
