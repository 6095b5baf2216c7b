"""Re-assignment: hand an incident to a user or another policy; it pages them now, once."""

from __future__ import annotations

from tests.escalation.conftest import INCIDENTS, SERVICES, declare, make_policy
from tests.escalation.conftest import timeline as entries
from tests.escalation.test_engine_and_cli import cli, run  # noqa: F401


def _setup(client, admin) -> str:
    make_policy(client, admin, "web", ("0s", [{"schedule": "primary"}]), ("15m", ["carol"]))
    make_policy(client, admin, "database", ("0s", ["dave"]), ("10m", ["bob"]))
    created = client.post(SERVICES, json={"name": "web", "escalation_policy": "web"}, headers=admin)
    assert created.status_code == 201
    return declare(client, admin, service="web")


def test_reassign_an_acknowledged_incident_to_another_policy(
    client, admin, primary, ticker, outbox, clock
):
    ref = _setup(client, admin)
    ticker.tick()
    outbox.expect("alice")
    acked = client.post(f"{INCIDENTS}/{ref}/status", json={"status": "acknowledged"}, headers=admin)
    assert acked.status_code == 200
    first_ack = acked.json()["acknowledged_at"]

    clock.advance(minutes=3)
    moved = client.post(
        f"{INCIDENTS}/{ref}/reassign", json={"escalation_policy": "database"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["policy"] == "database"
    incident = client.get(f"{INCIDENTS}/{ref}", headers=admin).json()
    assert incident["status"] == "triggered"
    assert incident["acknowledged_at"] == first_ack  # time to acknowledge keeps the first ack
    ticker.tick()
    pages = outbox.expect("dave")
    assert pages == [(ref, "dave", 1, 1)]
    clock.advance(minutes=10)
    ticker.tick()
    outbox.expect("bob")
    client.post(f"{INCIDENTS}/{ref}/status", json={"status": "acknowledged"}, headers=admin)
    for _ in range(30):
        clock.advance(minutes=1)
        ticker.tick()
    outbox.expect_none()
    (reassigned,) = entries(client, admin, ref, "reassigned")
    assert reassigned["from_status"] == "acknowledged"
    assert reassigned["generation"] == 2


def test_reassign_to_a_user_pages_them_even_if_they_were_paged_before(
    client, admin, primary, ticker, outbox, clock
):
    ref = _setup(client, admin)
    ticker.tick()
    outbox.expect("alice")
    moved = client.post(f"{INCIDENTS}/{ref}/reassign", json={"user": "alice"}, headers=admin)
    assert moved.status_code == 200, moved.text
    ticker.tick()
    outbox.expect("alice")
    clock.advance(hours=2)
    ticker.tick()
    outbox.expect_none()  # a user re-assignment is one page, no further steps
    escalation = client.get(f"{INCIDENTS}/{ref}/escalation", headers=admin).json()
    assert escalation["state"] == "exhausted"


def test_reassign_refuses_bad_requests(client, admin, primary, outbox):
    ref = _setup(client, admin)
    url = f"{INCIDENTS}/{ref}/reassign"
    assert client.post(url, json={}, headers=admin).status_code == 422
    both = {"user": "alice", "escalation_policy": "database"}
    assert client.post(url, json=both, headers=admin).status_code == 422
    unknown = client.post(url, json={"user": "nobody"}, headers=admin)
    assert unknown.status_code == 422
    assert "nobody" in unknown.json()["detail"]
    assert client.post(url, json={"escalation_policy": "nope"}, headers=admin).status_code == 422
    assert client.post(url, json={"users": "alice"}, headers=admin).status_code == 422
    assert (
        client.post(
            f"{INCIDENTS}/incident-1999-01-01-001/reassign", json={"user": "alice"}, headers=admin
        ).status_code
        == 404
    )
    client.post(f"{INCIDENTS}/{ref}/status", json={"status": "resolved"}, headers=admin)
    assert client.post(url, json={"user": "alice"}, headers=admin).status_code == 409
    assert client.post(url, json={"user": "alice"}).status_code == 401


def test_reassign_from_the_cli(client, admin, primary, ticker, outbox, cli, capsys):  # noqa: F811
    ref = _setup(client, admin)
    code, out, err = run(capsys, "incident", "reassign", ref, "--user", "carol")
    assert (code, err) == (0, "")
    assert f"{ref} re-assigned to user:carol" in out
    ticker.tick()
    outbox.expect("carol")  # the web policy's first step was replaced before the engine ran it
    code, _, err = run(capsys, "incident", "reassign", ref)
    assert code == 1
    assert "either a user or an escalation_policy" in err
