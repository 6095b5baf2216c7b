"""Escalation as the runbook tells it: fast-forward the fake clock, tick, see who is paged."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.escalation.conftest import INCIDENTS, POLICIES, SERVICES, declare, kinds, make_policy
from tests.escalation.conftest import timeline as entries


def test_primary_then_secondary_until_acknowledged(client, admin, primary, ticker, outbox, clock):
    make_policy(
        client,
        admin,
        "checkout-oncall",
        ("0s", [{"schedule": "primary"}]),
        ("15m", ["carol"]),
        ("30m", ["dave"]),
    )
    created = client.post(
        SERVICES, json={"name": "checkout", "escalation_policy": "checkout-oncall"}, headers=admin
    )
    assert created.status_code == 201, created.json()
    ref = declare(client, admin, service="checkout")
    outbox.expect_none()  # nothing is paged in the request; the engine does it

    ticker.tick()
    assert outbox.expect("alice") == [(ref, "alice", 1, 1)]

    clock.advance(minutes=14)
    ticker.tick()
    outbox.expect_none()

    clock.advance(minutes=1)
    ticker.tick()
    assert outbox.expect("carol") == [(ref, "carol", 2, 1)]

    acked = client.post(f"{INCIDENTS}/{ref}/status", json={"status": "acknowledged"}, headers=admin)
    assert acked.status_code == 200
    for _ in range(120):
        clock.advance(minutes=1)
        ticker.tick()
        outbox.expect_none()

    escalation = client.get(f"{INCIDENTS}/{ref}/escalation", headers=admin).json()
    assert (escalation["state"], escalation["next_at"]) == ("stopped", None)
    assert kinds(client, admin, ref) == [
        "escalation_started",
        "paged",
        "paged",
        "escalation_stopped",
    ]
    paged = entries(client, admin, ref, "paged")
    assert paged[0] == {
        "step": 1,
        "round": 1,
        "users": ["alice"],
        "targets": [{"schedule": "primary", "users": ["alice"]}],
    }
    assert entries(client, admin, ref, "escalation_stopped") == [{"status": "acknowledged"}]
    notifications = client.get(f"{INCIDENTS}/{ref}/notifications", headers=admin).json()
    assert [(n["user"], n["step"], n["status"], n["kind"]) for n in notifications["items"]] == [
        ("alice", 1, "pending", "page"),
        ("carol", 2, "pending", "page"),
        ("alice", 0, "pending", "acknowledged"),
        ("carol", 0, "pending", "acknowledged"),
    ]
    assert notifications["items"][1]["idempotency_key"] == f"{ref}:page:1:2:carol"
    assert notifications["items"][1]["due_at"] == "2025-11-01T09:15:00Z"


def test_a_schedule_target_pages_whoever_is_on_call_at_that_step(
    client, admin, primary, ticker, outbox, clock
):
    make_policy(
        client,
        admin,
        "twice",
        ("0s", [{"schedule": "primary"}]),
        ("10m", [{"schedule": "primary"}]),
    )
    ref = declare(client, admin, escalation_policy="twice")
    ticker.tick()
    outbox.expect("alice")
    override = {"user": "dave", "start": "2025-11-01T09:05:00Z", "end": "2025-11-01T10:00:00Z"}
    response = client.post("/api/v1/schedules/primary/overrides", json=override, headers=admin)
    assert response.status_code == 201
    clock.advance(minutes=10)
    ticker.tick()
    assert outbox.expect("dave") == [(ref, "dave", 2, 1)]


def test_role_targets_page_the_holder_and_say_when_nobody_holds_it(
    client, admin, people, ticker, outbox, clock
):
    make_policy(
        client,
        admin,
        "commander",
        ("0s", [{"role": "ic"}]),
        ("5m", [{"role": "incident_commander"}, "carol"]),
    )
    ref = declare(client, admin, escalation_policy="commander")
    ticker.tick()
    outbox.expect_none()
    assert entries(client, admin, ref, "escalation_target_empty") == [
        {"step": 1, "round": 1, "target": {"role": "incident_commander"}}
    ]
    body = {"role": "ic", "user": "carol"}
    assert client.post(f"{INCIDENTS}/{ref}/roles", json=body, headers=admin).status_code == 200
    clock.advance(minutes=5)
    ticker.tick()
    outbox.expect("carol")  # the commander and the named user are one person: one page
    assert entries(client, admin, ref, "paged")[-1]["targets"] == [
        {"role": "incident_commander", "users": ["carol"]},
        {"user": "carol", "users": ["carol"]},
    ]


def test_repeat_rounds_then_exhausted(client, admin, people, ticker, outbox, clock):
    make_policy(client, admin, "twice-round", ("0s", ["alice"]), ("10m", ["bob"]), repeat=1)
    ref = declare(client, admin, escalation_policy="twice-round")
    expected = {0: ("alice", 1, 1), 10: ("bob", 2, 1), 20: ("alice", 1, 2), 30: ("bob", 2, 2)}
    for minute in range(0, 90):
        ticker.tick()
        if minute in expected:
            user, step, round_number = expected[minute]
            assert outbox.expect(user) == [(ref, user, step, round_number)], minute
        else:
            outbox.expect_none()
        clock.advance(minutes=1)
    escalation = client.get(f"{INCIDENTS}/{ref}/escalation", headers=admin).json()
    assert (escalation["state"], escalation["round"], escalation["next_step"]) == (
        "exhausted",
        2,
        None,
    )
    assert kinds(client, admin, ref)[-1] == "escalation_exhausted"
    assert entries(client, admin, ref, "escalation_exhausted") == [{"rounds": 2}]


def test_a_late_engine_keeps_the_schedule_of_later_steps(
    client, admin, people, ticker, outbox, clock
):
    make_policy(client, admin, "three", ("0s", ["alice"]), ("15m", ["bob"]), ("15m", ["carol"]))
    declare(client, admin, escalation_policy="three")
    clock.advance(minutes=20)  # the engine was down; step 1 is 20 minutes late
    ticker.tick()
    outbox.expect("alice")
    ticker.tick()
    outbox.expect("bob")  # due at 09:15, already past
    ticker.tick()
    outbox.expect_none()  # carol is due at 09:30, not 15 minutes after the late pages
    clock.set(datetime(2025, 11, 1, 9, 30, tzinfo=UTC))
    ticker.tick()
    outbox.expect("carol")


def test_the_running_escalation_is_a_snapshot(client, admin, people, ticker, outbox, clock):
    make_policy(client, admin, "edited", ("0s", ["alice"]), ("10m", ["bob"]))
    first = declare(client, admin, escalation_policy="edited")
    replaced = client.put(
        f"{POLICIES}/edited",
        json={"steps": [{"after": "0s", "targets": [{"user": "carol"}]}]},
        headers=admin,
    )
    assert replaced.status_code == 200
    ticker.tick()
    assert outbox.expect("alice") == [(first, "alice", 1, 1)]
    clock.advance(minutes=10)
    ticker.tick()
    outbox.expect("bob")
    escalation = client.get(f"{INCIDENTS}/{first}/escalation", headers=admin).json()
    assert [s["targets"] for s in escalation["steps"]] == [[{"user": "alice"}], [{"user": "bob"}]]
    second = declare(client, admin, escalation_policy="edited")
    ticker.tick()
    assert outbox.expect("carol") == [(second, "carol", 1, 1)]


def test_resolve_stops_the_escalation(client, admin, people, ticker, outbox, clock):
    make_policy(client, admin, "two", ("0s", ["alice"]), ("10m", ["bob"]))
    ref = declare(client, admin, escalation_policy="two")
    ticker.tick()
    outbox.expect("alice")
    body = {"status": "resolved", "note": "false alarm"}
    assert client.post(f"{INCIDENTS}/{ref}/status", json=body, headers=admin).status_code == 200
    clock.advance(hours=1)
    ticker.tick()
    outbox.expect_none()
    assert entries(client, admin, ref, "escalation_stopped") == [{"status": "resolved"}]


def test_a_service_policy_and_the_declare_override(client, admin, people, ticker, outbox):
    make_policy(client, admin, "service-team", ("0s", ["alice"]))
    make_policy(client, admin, "database-team", ("0s", ["bob"]))
    body = {"name": "checkout", "description": "the shop", "escalation_policy": "service-team"}
    assert client.post(SERVICES, json=body, headers=admin).status_code == 201
    by_service = declare(client, admin, service="checkout")
    overridden = declare(client, admin, service="checkout", escalation_policy="database-team")
    unregistered = declare(client, admin, service="search")
    without = declare(client, admin)
    ticker.tick()
    assert sorted(outbox.new()) == [(by_service, "alice", 1, 1), (overridden, "bob", 1, 1)]
    for ref in (unregistered, without):
        response = client.get(f"{INCIDENTS}/{ref}/escalation", headers=admin)
        assert response.status_code == 404
        assert kinds(client, admin, ref) == []
    started = entries(client, admin, overridden, "escalation_started")
    assert started == [
        {
            "policy": "database-team",
            "repeat": 0,
            "steps": [{"after": "0s", "targets": [{"user": "bob"}]}],
            "next_at": "2025-11-01T09:00:00+00:00",
        }
    ]
