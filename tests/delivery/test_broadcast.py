"""The broadcast outbox: messages to addresses (channels, subscribers), sent once, retried."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine as Database
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channels.conftest import Receiver, Reply, SmtpServer, make_message
from warroom.channels.base import Destination
from warroom.clock import FakeClock
from warroom.engine.loop import Engine
from warroom.incidents import timeline
from warroom.incidents.service import get
from warroom.notifications import service as outbox
from warroom.notifications.broadcast import enqueue_broadcast
from warroom.notifications.models import Broadcast
from warroom.users.service import get_user


def _broadcasts(database: Database) -> list[Broadcast]:
    with Session(database) as session:
        return list(session.scalars(select(Broadcast).order_by(Broadcast.id)))


def _queue(session: Session, clock: FakeClock, destination: Destination, key: str) -> bool:
    message = make_message(idempotency_key=key, payload={"hello": key})
    queued = enqueue_broadcast(
        session, kind="test", destination=destination, message=message, now=clock.now()
    )
    session.commit()
    return queued


def test_a_webhook_broadcast_is_sent_once_with_its_key(
    session: Session, engine: Database, clock: FakeClock, sender: Engine, receiver: Receiver
):
    destination = Destination("webhook", f"{receiver.url}/hook")
    assert _queue(session, clock, destination, "sub-1:update-1")
    assert not _queue(session, clock, destination, "sub-1:update-1")

    sender.tick()
    sender.tick()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.headers["webhook-id"] == "sub-1:update-1"
    assert json.loads(request.body) == {"hello": "sub-1:update-1"}
    [row] = _broadcasts(engine)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now())


def test_an_email_broadcast_reaches_the_smtp_server(
    session: Session, clock: FakeClock, sender: Engine, smtp_server: SmtpServer
):
    _queue(session, clock, Destination("email", "reader@example.com"), "confirm-1")

    sender.tick()

    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["reader@example.com"]
    assert b"Checkout is down" in envelope.original_content


def test_a_500_is_retried_after_backoff_then_sent(
    session: Session, engine: Database, clock: FakeClock, sender: Engine, receiver: Receiver
):
    receiver.script(Reply(status=500, body="busy"))
    _queue(session, clock, Destination("webhook", f"{receiver.url}/hook"), "k-500")

    sender.tick()
    [row] = _broadcasts(engine)
    assert (row.status, row.attempts, row.last_error) == ("retry", 1, "HTTP 500: busy")
    # Backoff is 40 s ± 25 %: nothing is sent before 30 s.
    clock.advance(timedelta(seconds=29))
    sender.tick()
    assert len(receiver.requests) == 1
    clock.advance(timedelta(seconds=21))
    sender.tick()

    assert len(receiver.requests) == 2
    assert {r.headers["webhook-id"] for r in receiver.requests} == {"k-500"}
    assert _broadcasts(engine)[0].status == "sent"


def test_a_final_failure_is_recorded_on_the_incident_timeline(
    client, admin, paged, session: Session, engine: Database, clock: FakeClock, sender, receiver
):
    ref = paged()
    incident = get(session, ref)
    receiver.default = Reply(status=404, body="gone")
    enqueue_broadcast(
        session,
        kind="status_update",
        destination=Destination("webhook", f"{receiver.url}/gone"),
        message=make_message(idempotency_key=f"{ref}:update-1:hook"),
        now=clock.now(),
        incident_id=incident.id,
    )
    session.commit()

    sender.tick()

    broadcast = [b for b in _broadcasts(engine) if b.kind == "status_update"]
    assert [(b.status, b.attempts) for b in broadcast] == [("failed", 1)]
    session.expire_all()
    failed = [
        e for e in timeline.entries(session, incident=incident) if e.kind == "broadcast_failed"
    ]
    assert [e.data["error"] for e in failed] == ["HTTP 404: gone"]


def test_notification_data_reaches_the_message_template(
    client, admin, paged, add_method, session: Session, clock: FakeClock, sender, receiver
):
    add_method("alice", "webhook", f"{receiver.url}/page")
    ref = paged()
    sender.tick()  # the page goes first
    incident = get(session, ref)
    user = get_user(session, "alice")
    outbox.enqueue(
        session,
        incident=incident,
        users=[user],
        kind="status_update",
        key="update-1",
        now=clock.now(),
        data={"message": "Rolled back the deploy; error rate falling.", "by": "Carol"},
    )
    session.commit()

    sender.tick()

    texts = [json.loads(r.body)["text"] for r in receiver.requests]
    update = [t for t in texts if "Rolled back the deploy" in t]
    assert len(update) == 1
    assert "from Carol" in update[0]
