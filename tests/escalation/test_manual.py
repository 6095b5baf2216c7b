"""Manual escalation: page the next step now; refused when there is nothing to escalate."""

from __future__ import annotations

from tests.escalation.conftest import INCIDENTS, declare, kinds, make_policy


def test_escalate_pages_the_next_step_now_and_later_steps_follow_from_now(
    client, admin, issue_token, people, ticker, outbox, clock
):
    make_policy(client, admin, "three", ("0s", ["alice"]), ("15m", ["bob"]), ("30m", ["carol"]))
    ref = declare(client, admin, escalation_policy="three")
    ticker.tick()
    outbox.expect("alice")
    clock.advance(minutes=2)
    responder = issue_token("responder")
    response = client.post(f"{INCIDENTS}/{ref}/escalate", headers=responder)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["paged"] == ["bob"]
    assert (body["escalation"]["next_step"], body["escalation"]["next_at"]) == (
        3,
        "2025-11-01T09:32:00Z",
    )
    assert outbox.expect("bob") == [(ref, "bob", 2, 1)]
    clock.advance(minutes=29)
    ticker.tick()
    outbox.expect_none()
    clock.advance(minutes=1)
    ticker.tick()
    outbox.expect("carol")
    assert kinds(client, admin, ref) == [
        "escalation_started",
        "paged",
        "escalated",
        "paged",
        "paged",
        "escalation_exhausted",
    ]
    again = client.post(f"{INCIDENTS}/{ref}/escalate", headers=responder)
    assert again.status_code == 409
    assert "exhausted" in again.json()["detail"]


def test_escalate_is_refused_without_an_active_escalation(
    client, admin, issue_token, people, ticker, outbox
):
    plain = declare(client, admin)
    response = client.post(f"{INCIDENTS}/{plain}/escalate", headers=admin)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "no escalation policy" in response.json()["detail"]

    make_policy(client, admin, "one", ("0s", ["alice"]), ("5m", ["bob"]))
    ref = declare(client, admin, escalation_policy="one")
    ticker.tick()
    outbox.expect("alice")
    client.post(f"{INCIDENTS}/{ref}/status", json={"status": "acknowledged"}, headers=admin)
    response = client.post(f"{INCIDENTS}/{ref}/escalate", headers=admin)
    assert response.status_code == 409
    assert "acknowledged" in response.json()["detail"]
    assert kinds(client, admin, ref) == ["escalation_started", "paged"]

    viewer = issue_token("viewer")
    assert client.post(f"{INCIDENTS}/{ref}/escalate", headers=viewer).status_code == 403
    assert (
        client.post(f"{INCIDENTS}/incident-2025-11-01-999/escalate", headers=admin).status_code
        == 404
    )
    ticker.tick()
    outbox.expect_none()
