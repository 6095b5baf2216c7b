"""The stakeholder matrix as the runbook tells it: who is informed, when, and only once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.escalation.conftest import INCIDENTS, declare, timeline
from tests.escalation.test_engine_and_cli import cli, run  # noqa: F401
from warroom.change import Change
from warroom.escalation.models import IncidentStakeholders, StakeholderRule
from warroom.notifications.models import Notification
from warroom.users.models import AuditEntry
from warroom.users.service import create_user

MATRIX = "/api/v1/stakeholders"
# The seed example: P1 → eng lead at 15 min, VP at 30, CTO at 60, CEO at 120.
P1_MATRIX = [
    {"severity": "P1", "after": "15m", "notify": [{"user": "englead"}]},
    {"severity": "sev1", "after": "30m", "notify": [{"user": "vp"}]},
    {"severity": "critical", "after": "1h", "notify": [{"user": "cto"}]},
    {"severity": "P1", "after": "2h", "notify": [{"user": "ceo"}]},
]


@pytest.fixture
def leaders(session: Session, change: Change, people: None) -> None:
    """The eng lead, VP, CTO and CEO exist (besides alice, bob, carol and dave)."""
    for handle in ("englead", "vp", "cto", "ceo"):
        create_user(
            session, change=change, handle=handle, name=handle.upper(), email=f"{handle}@x.test"
        )
    session.commit()


def set_matrix(client, admin, rules: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.put(MATRIX, json={"rules": rules}, headers=admin)
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def walk(full_engine, clock, messages, until: int, expected: dict[int, list[str]]) -> None:  # type: ignore[no-untyped-def]
    """Tick once a minute from now to ``until`` minutes; informs exactly as expected, per minute."""
    for minute in range(until + 1):
        full_engine.tick()
        messages.expect("inform", *expected.get(minute, []))
        clock.advance(minutes=1)


def test_the_p1_matrix_minute_by_minute(client, admin, leaders, full_engine, clock, messages):
    assert set_matrix(client, admin, P1_MATRIX)["rules"][1] == {
        "severity": "P1",
        "after": "30m",
        "notify": [{"user": "vp"}],
    }
    ref = declare(client, admin)
    expected = {15: ["englead"], 30: ["vp"], 60: ["cto"], 120: ["ceo"]}
    walk(full_engine, clock, messages, 130, expected)

    informed = timeline(client, admin, ref, "stakeholders_informed")
    assert [(e["users"], e["rule"]["after"]) for e in informed] == [
        (["englead"], "15m"),
        (["vp"], "30m"),
        (["cto"], "1h"),
        (["ceo"], "2h"),
    ]
    assert informed[0]["rule"]["severity"] == "P1"
    items = client.get(f"{INCIDENTS}/{ref}/notifications", headers=admin).json()["items"]
    assert [(n["user"], n["kind"], n["due_at"]) for n in items] == [
        ("englead", "inform", "2025-11-01T09:15:00Z"),
        ("vp", "inform", "2025-11-01T09:30:00Z"),
        ("cto", "inform", "2025-11-01T10:00:00Z"),
        ("ceo", "inform", "2025-11-01T11:00:00Z"),
    ]
    assert items[0]["idempotency_key"] == f"{ref}:inform:{informed[0]['rule']['id']}:englead"


def test_resolve_stops_the_informs(client, admin, leaders, full_engine, clock, messages):
    set_matrix(client, admin, P1_MATRIX)
    ref = declare(client, admin)
    walk(full_engine, clock, messages, 44, {15: ["englead"], 30: ["vp"]})
    resolved = client.post(f"{INCIDENTS}/{ref}/status", json={"status": "resolved"}, headers=admin)
    assert resolved.status_code == 200
    walk(full_engine, clock, messages, 90, {})


def test_a_resolved_incident_is_never_informed(
    client, admin, leaders, full_engine, clock, messages
):
    set_matrix(client, admin, P1_MATRIX)
    ref = declare(client, admin)
    body = {"status": "resolved"}
    assert client.post(f"{INCIDENTS}/{ref}/status", json=body, headers=admin).status_code == 200
    clock.advance(hours=3)
    walk(full_engine, clock, messages, 5, {})


def test_a_p2_incident_gets_only_the_p2_rules(client, admin, leaders, full_engine, clock, messages):
    set_matrix(
        client,
        admin,
        [*P1_MATRIX, {"severity": "high", "after": "45m", "notify": [{"user": "carol"}]}],
    )
    declare(client, admin, severity="P2")
    walk(full_engine, clock, messages, 130, {45: ["carol"]})


def test_raising_the_severity_informs_the_ages_already_passed_at_once(
    client, admin, leaders, full_engine, clock, messages
):
    p3 = {"severity": "P3", "after": "20m", "notify": [{"user": "carol"}, {"user": "vp"}]}
    set_matrix(client, admin, [*P1_MATRIX, p3])
    ref = declare(client, admin, severity="P3")
    walk(full_engine, clock, messages, 39, {20: ["carol", "vp"]})
    raised = client.patch(f"{INCIDENTS}/{ref}", json={"severity": "P1"}, headers=admin)
    assert raised.status_code == 200
    # Minute 40: the 15 min eng lead is told at once; the VP (30 min) already was, by the P3 rule.
    walk(full_engine, clock, messages, 90, {0: ["englead"], 20: ["cto"], 80: ["ceo"]})
    assert [e["users"] for e in timeline(client, admin, ref, "stakeholders_informed")] == [
        ["carol", "vp"],
        ["englead"],
        ["cto"],
        ["ceo"],
    ]


def test_a_person_in_two_rules_is_informed_once(
    client, admin, leaders, full_engine, clock, messages
):
    set_matrix(
        client,
        admin,
        [
            {"severity": "P1", "after": "15m", "notify": [{"user": "vp"}, {"role": "ic"}]},
            {"severity": "P1", "after": "30m", "notify": [{"user": "vp"}, {"user": "cto"}]},
            {"severity": "P1", "after": "40m", "notify": [{"role": "incident_commander"}]},
        ],
    )
    ref = declare(client, admin)
    body = {"role": "commander", "user": "vp"}
    assert client.post(f"{INCIDENTS}/{ref}/roles", json=body, headers=admin).status_code == 200
    acked = client.post(f"{INCIDENTS}/{ref}/status", json={"status": "acknowledged"}, headers=admin)
    assert acked.status_code == 200  # no ack SLA breach: the commander hears only the informs
    walk(full_engine, clock, messages, 60, {15: ["vp"], 30: ["cto"]})
    # A new matrix redoes the rules, but nobody already informed hears again.
    set_matrix(client, admin, [{"severity": "P1", "after": "1h", "notify": [{"user": "cto"}]}])
    walk(full_engine, clock, messages, 5, {})


def test_several_incidents_in_one_tick(client, admin, leaders, full_engine, clock, messages):
    set_matrix(client, admin, P1_MATRIX[:1])
    refs = [declare(client, admin) for _ in range(3)]
    declare(client, admin, severity="P4")
    clock.advance(minutes=15)
    full_engine.tick()
    assert sorted(messages.new()) == sorted(("inform", ref, "englead") for ref in refs)


def test_the_matrix_over_http(client, admin, issue_token, leaders):
    viewer = issue_token("viewer")
    assert client.get(MATRIX, headers=viewer).json() == {"rules": []}
    set_matrix(client, admin, P1_MATRIX)
    got = client.get(MATRIX, headers=viewer).json()["rules"]
    assert [(r["severity"], r["after"], r["notify"]) for r in got] == [
        ("P1", "15m", [{"user": "englead"}]),
        ("P1", "30m", [{"user": "vp"}]),
        ("P1", "1h", [{"user": "cto"}]),
        ("P1", "2h", [{"user": "ceo"}]),
    ]
    forbidden = client.put(MATRIX, json={"rules": []}, headers=viewer)
    assert forbidden.status_code == 403
    assert len(client.get(MATRIX, headers=viewer).json()["rules"]) == 4
    assert set_matrix(client, admin, []) == {"rules": []}


def counts(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        tables = (StakeholderRule, AuditEntry, Notification, IncidentStakeholders)
        found: dict[str, Any] = {
            t.__tablename__: connection.scalar(select(func.count()).select_from(t)) for t in tables
        }
        found["rules"] = connection.execute(
            select(StakeholderRule.severity, StakeholderRule.after_seconds, StakeholderRule.notify)
        ).all()
    return found


@pytest.fixture
def unchanged(engine: Engine, client, admin, leaders) -> Iterator[None]:  # type: ignore[no-untyped-def]
    set_matrix(client, admin, P1_MATRIX)
    before = counts(engine)
    yield
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ({"notify": [{"user": "nobody"}]}, "rules.1.notify.0.user", "no user"),
        ({"notify": [{"role": "vice president!"}]}, "rules.1.notify.0.role", "not a role"),
        ({"notify": [{"user": "vp", "role": "ic"}]}, "rules.1.notify.0", "exactly one"),
        ({"notify": []}, "rules.1.notify", "at least one"),
        ({"severity": "P9"}, "rules.1.severity", "unknown severity"),
        ({"after": "soon"}, "rules.1.after", "not a duration"),
        ({"after": "31d"}, "rules.1.after", "at most 30d"),
    ],
)
def test_bad_rules_are_refused_with_nothing_written(client, admin, unchanged, rule, field, words):
    bad = {"severity": "P1", "after": "15m", "notify": [{"user": "vp"}], **rule}
    response = client.put(MATRIX, json={"rules": [P1_MATRIX[0], bad]}, headers=admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field], problem
    assert words in str(problem), problem


def test_an_unknown_key_is_refused(client, admin, unchanged):
    body = {"rules": [{**P1_MATRIX[0], "schedule": "primary"}]}
    assert client.put(MATRIX, json=body, headers=admin).status_code == 422


def test_the_cli_shows_and_sets_the_matrix(cli, capsys, leaders, tmp_path: Path):  # noqa: F811
    code, out, _ = run(capsys, "stakeholders", "show")
    assert (code, out.strip()) == (0, "the stakeholder matrix is empty")
    file = tmp_path / "matrix.json"
    file.write_text(json.dumps(P1_MATRIX[:2]))
    code, out, err = run(capsys, "stakeholders", "set", str(file))
    assert (code, err) == (0, "")
    assert "user:englead" in out
    code, out, _ = run(capsys, "stakeholders", "show", "--json")
    assert json.loads(out)["rules"][1] == {
        "severity": "P1",
        "after": "30m",
        "notify": [{"user": "vp"}],
    }
    file.write_text(json.dumps({"rules": [{"severity": "P1", "after": "1x", "notify": []}]}))
    code, _, err = run(capsys, "stakeholders", "set", str(file))
    assert code == 1
    assert "rules.0.after" in err
    file.write_text("{not json")
    code, _, err = run(capsys, "stakeholders", "set", str(file))
    assert code == 1
    assert "cannot read" in err
    code, out, _ = run(capsys, "stakeholders", "show", "--json")
    assert len(json.loads(out)["rules"]) == 2
