"""Engine module: turn new public updates and component changes into subscriber messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.statuspage.models import StatusComponentChange, StatusIncidentUpdate, StatusSubscriber
from warroom.statuspage.page import PageInfo, load_page
from warroom.statuspage.subscribers import notify_component_change, notify_update


class StatusPageNotifyModule:
    """Fans each pending update out to the broadcast outbox, once per (update, subscriber).

    The update row is the outbox entry written with the change; the idempotency key per
    subscriber makes a re-run after a crash queue nothing twice.
    """

    name = "status_page_notify"

    def __init__(self, info: PageInfo, batch_size: int = 50) -> None:
        self.info = info
        self.batch_size = batch_size

    def run(self, session: Session, now: datetime) -> int:
        """Queue messages for pending updates and hand-set component changes."""
        postgres = session.get_bind().dialect.name == "postgresql"
        updates_query = (
            select(StatusIncidentUpdate)
            .where(StatusIncidentUpdate.notify_pending.is_(True))
            .order_by(StatusIncidentUpdate.id)
            .limit(self.batch_size)
        )
        changes_query = (
            select(StatusComponentChange)
            .where(StatusComponentChange.notify_pending.is_(True))
            .order_by(StatusComponentChange.id)
            .limit(self.batch_size)
        )
        if postgres:
            updates_query = updates_query.with_for_update(skip_locked=True)
            changes_query = changes_query.with_for_update(skip_locked=True)
        updates = list(session.scalars(updates_query))
        changes = list(session.scalars(changes_query))
        if not updates and not changes:
            return 0
        subscribers = list(
            session.scalars(
                select(StatusSubscriber)
                .where(StatusSubscriber.confirmed_at.is_not(None))
                .order_by(StatusSubscriber.id)
            )
        )
        state = load_page(session, self.info, now)
        for update in updates:
            notify_update(session, state=state, update=update, subscribers=subscribers)
            update.notify_pending = False
        for change in changes:
            notify_component_change(session, state=state, change=change, subscribers=subscribers)
            change.notify_pending = False
        return len(updates) + len(changes)
