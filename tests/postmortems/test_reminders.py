"""Due-soon and overdue reminders go out once each, at the right times, to the right people."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.channels.conftest import receiver, smtp_server  # noqa: F401
from tests.delivery.conftest import add_method, delivery_settings, sender  # noqa: F401
from warroom.db import make_session_factory
from warroom.engine.loop import Engine
from warroom.engine.postmortems import PostmortemsModule
from warroom.incidents.models import TimelineEntry

from .conftest import INCIDENTS, ITEMS, messages, resolved_p1

REF = "incident-2025-11-01-001"


def test_postmortem_due_soon_then_overdue_daily_until_published(
    client, admin, clock, ticker, engine, people
):
    ref = resolved_p1(client, admin, clock)  # resolved 10:00 UTC: due 2025-11-03 10:00
    ticker.tick()
    clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    ticker.tick()
    assert messages(engine, "postmortem_due") == []
    clock.advance(timedelta(seconds=1))
    ticker.tick()
    ticker.tick()
    soon = f"{ref}:postmortem_due:due_soon-20251102T100000Z:alice"
    assert messages(engine, "postmortem_due") == [(soon, "2025-11-02T10:00:00+00:00")]
    clock.advance(timedelta(hours=23, minutes=59))
    ticker.tick()
    assert len(messages(engine, "postmortem_due")) == 1
    clock.advance(timedelta(minutes=1))
    ticker.tick()
    clock.advance(timedelta(hours=24))
    ticker.tick()
    ticker.tick()
    keys = [key for key, _ in messages(engine, "postmortem_due")]
    assert keys == [
        soon,
        f"{ref}:postmortem_due:overdue-20251103T100000Z:alice",
        f"{ref}:postmortem_due:overdue-20251104T100000Z:alice",
    ]
    reminders = [
        e["data"]
        for e in client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin).json()["items"]
        if e["kind"] == "postmortem_reminder"
    ]
    assert [(r["reminder"], r["users"], r["overdue_days"]) for r in reminders] == [
        ("due_soon", ["alice"], 0),
        ("overdue", ["alice"], 0),
        ("overdue", ["alice"], 1),
    ]
    assert reminders[0]["due"] == "2025-11-03 11:00:00 +01:00"

    client.put(f"{INCIDENTS}/{ref}/postmortem", json={"status": "published"}, headers=admin)
    clock.advance(timedelta(days=3))
    ticker.tick()
    assert len(messages(engine, "postmortem_due")) == 3


def test_a_late_engine_sends_only_the_latest_missed_reminder(
    client, admin, clock, ticker, engine, people
):
    ref = resolved_p1(client, admin, clock)
    ticker.tick()
    clock.advance(timedelta(days=5))  # missed: due soon, overdue day 0, 1, 2
    ticker.tick()
    ticker.tick()
    assert [key for key, _ in messages(engine, "postmortem_due")] == [
        f"{ref}:postmortem_due:overdue-20251106T100000Z:alice"
    ]


def test_an_action_item_overdue_reminds_its_owner_daily_until_done(
    client, admin, responder, clock, ticker, engine
):
    ref = resolved_p1(client, admin, clock)
    created = client.post(
        f"{INCIDENTS}/{ref}/action-items",
        json={"title": "Add pool alarms", "owner": "bob", "due": "2025-11-05T12:00:00+01:00"},
        headers=responder,
    )
    assert created.status_code == 201
    item = created.json()
    clock.set(clock.now().replace(day=5, hour=10, minute=59))
    ticker.tick()
    assert messages(engine, "action_overdue") == []
    clock.advance(timedelta(minutes=1))
    ticker.tick()
    ticker.tick()
    first = f"{ref}:action_overdue:{item['id']}-20251105T110000Z:bob"
    assert messages(engine, "action_overdue") == [(first, "2025-11-05T11:00:00+00:00")]
    overdue = client.get(f"{ITEMS}?overdue=true", headers=admin).json()["items"]
    assert [(i["id"], i["overdue"]) for i in overdue] == [(item["id"], True)]
    clock.advance(timedelta(days=1))
    ticker.tick()
    assert len(messages(engine, "action_overdue")) == 2
    client.patch(f"{ITEMS}/{item['id']}", json={"status": "done"}, headers=responder)
    clock.advance(timedelta(days=2))
    ticker.tick()
    assert len(messages(engine, "action_overdue")) == 2
    assert client.get(f"{ITEMS}?overdue=true", headers=admin).json()["items"] == []
    kinds = [
        e["kind"] for e in client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin).json()["items"]
    ]
    assert kinds.count("action_item_reminder") == 2


def test_reminders_really_arrive_at_a_webhook(
    client,
    admin,
    clock,
    sender,  # noqa: F811
    add_method,  # noqa: F811
    receiver,  # noqa: F811
):
    add_method("bob", "webhook", f"{receiver.url}/hook")
    ref = resolved_p1(client, admin, clock)
    client.post(
        f"{INCIDENTS}/{ref}/action-items",
        json={"title": "Add | pool <alarms>", "owner": "bob", "due": "2025-11-02"},
        headers=admin,
    )
    sender.tick()
    assert receiver.requests == []
    clock.set(clock.now().replace(day=2, hour=22, minute=59))  # 23:59 in Berlin
    sender.tick()
    (request,) = receiver.requests
    payload = json.loads(request.body)
    assert payload["type"] == "action_overdue"
    assert payload["incident"]["ref"] == ref
    assert "Add | pool <alarms>" in payload["subject"]
    assert "warroom action-item done" in payload["text"]
    sender.tick()
    assert len(receiver.requests) == 1


def test_two_engines_send_each_reminder_once(engine, client, admin, clock, settings, people):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: several engines need PostgreSQL's SKIP LOCKED")
    refs = [resolved_p1(client, admin, clock, title=f"Outage {n}") for n in range(20)]
    engines = [
        Engine(make_session_factory(engine), clock, [PostmortemsModule.from_settings(settings)])
        for _ in range(2)
    ]
    engines[0].tick()
    clock.advance(timedelta(days=3))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(ticker: Engine) -> None:
        try:
            start.wait()
            for _ in range(3):
                ticker.tick()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(messages(engine, "postmortem_due")) == len(refs)
    with engine.connect() as connection:
        entries = connection.scalars(
            select(TimelineEntry.incident_id).where(TimelineEntry.kind == "postmortem_reminder")
        ).all()
    assert len(entries) == len(refs)
