"""Every figure of the report over the fixed data set, against values worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from tests.analytics.conftest import END, NOW, START, DataSet
from warroom.alerts.models import Alert
from warroom.analytics import service
from warroom.analytics.stats import Outcome
from warroom.change import Change
from warroom.escalation.models import IncidentSlaBreach
from warroom.incidents.models import Incident
from warroom.severity import DEFAULT_SCHEME


def report(session: Session, **filters: str) -> dict[str, Any]:
    query = service.parse_query(scheme=DEFAULT_SCHEME, now=NOW, start=START, end=END, **filters)
    built = service.build_report(session, scheme=DEFAULT_SCHEME, query=query, now=NOW)
    return built.model_dump(mode="json", by_alias=True)


def durations(count: int, mean: float | None, p50: float | None, p90: float | None) -> dict:  # type: ignore[type-arg]
    return {"count": count, "mean_seconds": mean, "p50_seconds": p50, "p90_seconds": p90}


def test_range_filters_and_incident_counts(session, dataset: DataSet):
    figures = report(session)
    assert figures["from"] == "2026-11-04T00:00:00Z"
    assert figures["to"] == "2026-11-18T12:00:00Z"
    assert figures["generated_at"] == "2026-11-19T10:00:00Z"
    assert figures["filters"] == {"service": None, "severity": None}
    counts = figures["incidents"]
    # In range: A B C D E F G H I (X detected before `from`, Y exactly at `to`).
    assert counts["total"] == 9
    # P1: A B E; P2: C F; P3: D I; P4: G H.
    assert counts["by_severity"] == [
        {"severity": "P1", "count": 3},
        {"severity": "P2", "count": 2},
        {"severity": "P3", "count": 2},
        {"severity": "P4", "count": 2},
    ]
    # checkout: A B E I; payments: C D; search: G H; none: F. Most first, then by name.
    assert counts["by_service"] == [
        {"service": "checkout", "count": 4},
        {"service": "payments", "count": 2},
        {"service": "search", "count": 2},
        {"service": None, "count": 1},
    ]
    # W45 (Mon 11-02, holds `from` 11-04): A B C D; W46: none; W47 (holds `to`): E F G H I.
    assert counts["by_week"] == [
        {"week": "2026-W45", "starts_at": "2026-11-02T00:00:00Z", "count": 4},
        {"week": "2026-W46", "starts_at": "2026-11-09T00:00:00Z", "count": 0},
        {"week": "2026-W47", "starts_at": "2026-11-16T00:00:00Z", "count": 5},
    ]


def test_time_to_acknowledge_and_resolve(session, dataset: DataSet):
    figures = report(session)
    mtta, mttr = figures["mtta"], figures["mttr"]
    # Acknowledged: E 300, A 600, B 1200, C 1800, G 3600, I 3600 (n = 6); D F H never.
    # mean 11100 / 6 = 1850; p50 rank ceil(0.5 x 6) = 3 -> 1200; p90 rank ceil(5.4) = 6 -> 3600.
    assert mtta["overall"] == {**durations(6, 1850.0, 1200.0, 3600.0), "unacknowledged": 3}
    assert mtta["by_severity"] == [
        # P1 [300, 600, 1200]: mean 700; p50 rank ceil(1.5) = 2 -> 600; p90 rank ceil(2.7) = 3.
        {**durations(3, 700.0, 600.0, 1200.0), "unacknowledged": 0, "severity": "P1"},
        {**durations(1, 1800.0, 1800.0, 1800.0), "unacknowledged": 1, "severity": "P2"},  # C; F
        {**durations(1, 3600.0, 3600.0, 3600.0), "unacknowledged": 1, "severity": "P3"},  # I; D
        {**durations(1, 3600.0, 3600.0, 3600.0), "unacknowledged": 1, "severity": "P4"},  # G; H
    ]
    # Resolved: D 3600, C 7200, A 10800, B 18000, I 93600 (its latest resolve; n = 5).
    # mean 133200 / 5 = 26640; p50 rank ceil(2.5) = 3 -> 10800; p90 rank ceil(4.5) = 5 -> 93600.
    assert mttr["overall"] == {**durations(5, 26640.0, 10800.0, 93600.0), "unresolved": 4}
    assert mttr["by_severity"] == [
        # P1 [10800, 18000]: mean 14400; p50 rank 1 -> 10800; p90 rank ceil(1.8) = 2 -> 18000.
        {**durations(2, 14400.0, 10800.0, 18000.0), "unresolved": 1, "severity": "P1"},  # E
        {**durations(1, 7200.0, 7200.0, 7200.0), "unresolved": 1, "severity": "P2"},  # F
        # P3 [3600, 93600]: mean 48600; p50 rank 1 -> 3600; p90 rank 2 -> 93600.
        {**durations(2, 48600.0, 3600.0, 93600.0), "unresolved": 0, "severity": "P3"},
        {**durations(0, None, None, None), "unresolved": 2, "severity": "P4"},  # G H open
    ]


def sla(severity: str, target: float, met: int, breached: int, due: int, pct: float | None) -> dict:  # type: ignore[type-arg]
    return {
        "severity": severity,
        "target_seconds": target,
        "met": met,
        "breached": breached,
        "not_yet_due": due,
        "compliance_pct": pct,
    }


def test_sla_compliance(session, dataset: DataSet):
    figures = report(session)
    assert figures["sla"]["ack"] == [
        # A 600 < 900 met; B 1200 breached; E 300 met -> 2 / 3 = 66.67 %.
        sla("P1", 900, 2, 1, 0, 66.67),
        # C at exactly 1800 s (the deadline) breached; F never, due 11-17 15:30 < now: breached.
        sla("P2", 1800, 0, 2, 0, 0.0),
        # D resolved unacknowledged after 3600 < 7200 s: answered in time; I 3600 met.
        sla("P3", 7200, 2, 0, 0, 100.0),
        # G 3600 met; H due 11-19 11:00, after now (10:00): not yet due -> 1 / 1.
        sla("P4", 86400, 1, 0, 1, 100.0),
    ]
    assert figures["sla"]["resolve"] == [
        # A 10800 < 14400 met; B 18000 breached; E open, due 11-16 12:00: breached -> 1 / 3.
        sla("P1", 14400, 1, 2, 0, 33.33),
        # C 7200 met; F open, due 11-17 23:00: breached -> 1 / 2.
        sla("P2", 28800, 1, 1, 0, 50.0),
        # D 3600 met; I 93600 > 86400 breached -> 1 / 2.
        sla("P3", 86400, 1, 1, 0, 50.0),
        # G and H open, due 11-25: nothing decided.
        sla("P4", 604800, 0, 0, 2, None),
    ]


def test_breaches_agree_with_the_sla_engine(session, dataset: DataSet):
    recorded = {
        (incident_id, kind)
        for incident_id, kind in session.execute(
            select(IncidentSlaBreach.incident_id, IncidentSlaBreach.kind)
        )
    }
    judged = set()
    for incident in session.scalars(select(Incident)):
        facts = service.IncidentFacts(
            incident.severity,
            incident.service,
            incident.detected_at,
            incident.acknowledged_at,
            incident.resolved_at,
        )
        level = DEFAULT_SCHEME.get(incident.severity)
        if service.ack_outcome(facts, level, NOW) is Outcome.breached:
            judged.add((incident.id, "ack"))
        if service.resolve_outcome(facts, level, NOW) is Outcome.breached:
            judged.add((incident.id, "resolve"))
    assert judged == recorded
    ids = {letter: incident.id for letter, incident in dataset.incidents.items()}
    expected = [("ack", "BCFY"), ("resolve", "BEFIXY")]
    assert recorded == {(ids[letter], kind) for kind, letters in expected for letter in letters}


def test_oncall_load(session, dataset: DataSet):
    # Reminder rows (alice's delayed method), sla_breach messages and pages of X and Y are out.
    assert report(session)["oncall"] == [
        # A 10:00 in, B 02:00 out, E 08:00 out, E step 1 09:00 in (09:00 starts the day).
        {"user": "alice", "name": "Alice", "time_zone": "UTC", "pages": 4, "out_of_hours_pages": 2},
        # A 05:00 EST, B 21:10 EST, F 18:00 EST (18:00 ends the day): all out.
        {
            "user": "bob",
            "name": "Bob",
            "time_zone": "America/New_York",
            "pages": 3,
            "out_of_hours_pages": 3,
        },
        # B Thu 11:00 JST in, D Sat 21:00 JST out, E Mon 17:00 JST in.
        {
            "user": "carol",
            "name": "Carol",
            "time_zone": "Asia/Tokyo",
            "pages": 3,
            "out_of_hours_pages": 1,
        },
    ]


def test_noisy_alerts(session, dataset: DataSet):
    assert report(session)["noisy_alerts"] == [
        # api-1 5 + api-2 7 + api-3 4 = 16 (the 100 before and 50 at `to` are out); A and B.
        {
            "integration": "prom",
            "alert": "HighErrorRate",
            "occurrences": 16,
            "alerts": 3,
            "incidents": 2,
        },
        {"integration": "prom", "alert": "DiskFull", "occurrences": 9, "alerts": 1, "incidents": 0},
        # No alertname: grouped by title, 3 + 3; an empty alertname falls back to the title too.
        {"integration": "dd", "alert": "CPU high", "occurrences": 6, "alerts": 2, "incidents": 2},
        {"integration": "dd", "alert": "Latency", "occurrences": 6, "alerts": 1, "incidents": 1},
    ]


def test_service_filter(session, dataset: DataSet):
    figures = report(session, service="checkout")
    assert figures["filters"] == {"service": "checkout", "severity": None}
    counts = figures["incidents"]
    assert counts["total"] == 4  # A B E I
    assert [c["count"] for c in counts["by_severity"]] == [3, 0, 1, 0]
    assert counts["by_service"] == [{"service": "checkout", "count": 4}]
    # TTA: E 300, A 600, B 1200, I 3600 -> mean 5700 / 4 = 1425; p50 rank 2 -> 600; p90 rank 4.
    assert figures["mtta"]["overall"] == {
        **durations(4, 1425.0, 600.0, 3600.0),
        "unacknowledged": 0,
    }
    # Pages of A, B and E only: alice A B E E; bob A B; carol B E.
    assert [(o["user"], o["pages"], o["out_of_hours_pages"]) for o in figures["oncall"]] == [
        ("alice", 4, 2),
        ("bob", 2, 2),
        ("carol", 2, 0),
    ]
    # prom feeds checkout; dd feeds payments.
    assert [(n["integration"], n["alert"]) for n in figures["noisy_alerts"]] == [
        ("prom", "HighErrorRate"),
        ("prom", "DiskFull"),
    ]


def test_severity_filter_takes_an_alias(session, dataset: DataSet):
    figures = report(session, severity="critical")
    assert figures["filters"] == {"service": None, "severity": "P1"}
    assert figures["incidents"]["by_severity"] == [{"severity": "P1", "count": 3}]
    assert [s["severity"] for s in figures["sla"]["ack"]] == ["P1"]
    assert figures["mtta"]["overall"] == {**durations(3, 700.0, 600.0, 1200.0), "unacknowledged": 0}
    # carol's page for D (P3) and bob's for F (P2) drop out.
    assert [(o["user"], o["pages"]) for o in figures["oncall"]] == [
        ("alice", 4),
        ("bob", 2),
        ("carol", 2),
    ]
    assert [n["alert"] for n in figures["noisy_alerts"]] == ["HighErrorRate"]  # the P1 alerts


def test_an_empty_range_gives_zeros_and_nulls(session, dataset: DataSet):
    query = service.parse_query(
        scheme=DEFAULT_SCHEME, now=NOW, start="2026-10-01", end="2026-10-02"
    )
    figures = service.build_report(session, scheme=DEFAULT_SCHEME, query=query, now=NOW)
    assert figures.incidents.total == 0
    assert [c.count for c in figures.incidents.by_severity] == [0, 0, 0, 0]
    assert figures.incidents.by_service == []
    assert [(w.week, w.count) for w in figures.incidents.by_week] == [("2026-W40", 0)]
    assert figures.mtta.overall.model_dump() == {
        **durations(0, None, None, None),
        "unacknowledged": 0,
    }
    assert all(s.compliance_pct is None and s.met == 0 for s in figures.sla.resolve)
    assert figures.oncall == []
    assert figures.noisy_alerts == []


def test_only_the_ten_noisiest_alert_kinds(session, change: Change, dataset: DataSet):
    template = session.scalars(select(Alert).order_by(Alert.id)).first()
    assert template is not None
    for number in range(12):
        session.add(
            Alert(
                integration_id=template.integration_id,
                source_format=template.source_format,
                dedup_key=f"many-{number}",
                status="firing",
                severity="P3",
                title=f"Alert {number:02d}",
                labels={},
                links=[],
                started_at=datetime(2026, 11, 10, tzinfo=UTC),
                last_event_at=datetime(2026, 11, 10, tzinfo=UTC),
                event_count=100 + number,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    session.commit()
    noisy = report(session)["noisy_alerts"]
    # 111 down to 102; "Alert 01" (101), "Alert 00" (100) and the data set's own drop out.
    assert [(n["alert"], n["occurrences"]) for n in noisy] == [
        (f"Alert {n:02d}", 100 + n) for n in range(11, 1, -1)
    ]


def test_the_report_reads_in_three_queries(session, engine: Engine, dataset: DataSet):
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        report(session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Incidents, pages and alerts: one query each, whatever the number of rows.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3
