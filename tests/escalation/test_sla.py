"""SLA clocks: an incident that misses its ack or resolve target is marked once and told about."""

from __future__ import annotations

from tests.escalation.conftest import INCIDENTS, declare, make_policy, timeline


def status(client, admin, ref: str, value: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"{INCIDENTS}/{ref}/status", json={"status": value}, headers=admin)
    assert response.status_code == 200, response.json()


def test_a_p1_not_acknowledged_in_15_minutes_breaches_once(
    client, admin, people, full_engine, clock, messages
):
    make_policy(client, admin, "ops", ("0s", ["alice"]), ("10m", ["bob", "carol"]))
    ref = declare(client, admin, escalation_policy="ops")
    body = {"role": "ic", "user": "carol"}
    assert client.post(f"{INCIDENTS}/{ref}/roles", json=body, headers=admin).status_code == 200
    for minute in range(0, 60):
        full_engine.tick()
        if minute == 0:
            messages.expect("page", "alice")
        elif minute == 10:
            messages.expect("page", "bob", "carol")
        elif minute == 15:
            # The commander and everyone paged so far, each once (carol is both).
            messages.expect("sla_breach", "carol", "alice", "bob")
        else:
            messages.expect_none()
        clock.advance(minutes=1)
    assert timeline(client, admin, ref, "sla_breached") == [
        {"kind": "ack", "due_at": "2025-11-01T09:15:00+00:00"}
    ]
    items = client.get(f"{INCIDENTS}/{ref}/notifications", headers=admin).json()["items"]
    keys = [n["idempotency_key"] for n in items if n["kind"] == "sla_breach"]
    assert keys == [f"{ref}:sla_breach:ack:{user}" for user in ("carol", "alice", "bob")]


def test_acknowledged_at_14_minutes_no_ack_breach_but_resolve_breach_at_4_hours(
    client, admin, people, full_engine, clock, messages
):
    make_policy(client, admin, "ops", ("0s", ["alice"]), ("10m", ["bob"]))
    ref = declare(client, admin, escalation_policy="ops")
    full_engine.tick()
    messages.expect("page", "alice")
    clock.advance(minutes=10)
    full_engine.tick()
    messages.expect("page", "bob")
    clock.advance(minutes=4)
    status(client, admin, ref, "acknowledged")
    full_engine.tick()
    messages.expect("acknowledged", "alice", "bob")
    for _ in range(225):  # to 3 h 59 min
        clock.advance(minutes=1)
        full_engine.tick()
        messages.expect_none()
    clock.advance(minutes=1)
    full_engine.tick()
    messages.expect("sla_breach", "alice", "bob")
    for _ in range(60):
        clock.advance(minutes=1)
        full_engine.tick()
        messages.expect_none()
    assert timeline(client, admin, ref, "sla_breached") == [
        {"kind": "resolve", "due_at": "2025-11-01T13:00:00+00:00"}
    ]


def test_resolved_in_time_and_late_severities(client, admin, people, full_engine, clock, messages):
    on_time = declare(client, admin)
    p4 = declare(client, admin, severity="P4")
    status(client, admin, on_time, "resolved")
    clock.advance(hours=5)
    full_engine.tick()
    messages.expect_none()  # nobody to tell: no commander, nothing paged
    assert timeline(client, admin, on_time, "sla_breached") == []
    assert timeline(client, admin, p4, "sla_breached") == []  # P4: ack within 24 h
    clock.advance(hours=19)
    full_engine.tick()
    full_engine.tick()
    assert timeline(client, admin, p4, "sla_breached") == [
        {"kind": "ack", "due_at": "2025-11-02T09:00:00+00:00"}
    ]
