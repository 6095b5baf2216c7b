"""Write pages, informs and SLA breach notices to the outbox; read an incident's messages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.incidents.models import Incident
from warroom.notifications.models import Notification
from warroom.users.models import ContactMethod, User

PENDING = "pending"
REMINDER_KEY = re.compile(r":after\d+m:\d+$")
PAGE = "page"
INFORM = "inform"
SLA_BREACH = "sla_breach"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"


def page_key(
    incident: Incident, *, round_number: int, step: int, user: User, generation: int = 1
) -> str:
    """The idempotency key of a page; receivers drop a second message with the same key."""
    kind = "page" if generation == 1 else f"page-{generation}"
    return f"{incident.ref}:{kind}:{round_number}:{step}:{user.handle}"


def enqueue_pages(
    session: Session,
    *,
    incident: Incident,
    users: Sequence[User],
    step: int,
    round_number: int,
    now: datetime,
    generation: int = 1,
) -> list[User]:
    """Add a pending page per user not yet paged for this step and round; return who was added."""
    # Each delayed contact method gets its own page, due N minutes on; delivery skips it if acked.
    keys = {
        u.id: page_key(
            incident, round_number=round_number, step=step, user=u, generation=generation
        )
        for u in users
    }
    sent = set(
        session.scalars(
            select(Notification.idempotency_key).where(
                Notification.idempotency_key.in_(keys.values())
            )
        )
    )
    added = [u for u in users if keys[u.id] not in sent]
    for user in added:
        session.add(
            Notification(
                incident_id=incident.id,
                user_id=user.id,
                user=user,
                kind=PAGE,
                step=step,
                round=round_number,
                idempotency_key=keys[user.id],
                status=PENDING,
                created_at=now,
                due_at=now,
            )
        )
        for method in user.contact_methods:
            if method.delay_minutes > 0:
                session.add(
                    Notification(
                        incident_id=incident.id,
                        user_id=user.id,
                        user=user,
                        kind=PAGE,
                        step=step,
                        round=round_number,
                        idempotency_key=reminder_key(keys[user.id], method),
                        status=PENDING,
                        created_at=now,
                        due_at=now + timedelta(minutes=method.delay_minutes),
                        contact_method_id=method.id,
                    )
                )
    return added


def reminder_key(key: str, method: ContactMethod) -> str:
    """The key of a delayed page to one contact method: ``{page key}:after{N}m:{method id}``."""
    return f"{key}:after{method.delay_minutes}m:{method.id}"


def is_reminder(key: str) -> bool:
    """Whether a notification key is a delayed page to one contact method."""
    return REMINDER_KEY.search(key) is not None


def enqueue(
    session: Session,
    *,
    incident: Incident,
    users: Sequence[User],
    kind: str,
    key: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Add a pending message of ``kind`` per user, keyed ``{ref}:{kind}:{key}:{handle}``."""
    session.add_all(
        Notification(
            incident_id=incident.id,
            user_id=user.id,
            user=user,
            kind=kind,
            step=0,
            round=0,
            idempotency_key=f"{incident.ref}:{kind}:{key}:{user.handle}",
            status=PENDING,
            created_at=now,
            due_at=now,
            data=data,
        )
        for user in users
    )


def enqueue_once(
    session: Session,
    *,
    incident: Incident,
    users: Sequence[User],
    kind: str,
    key: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> list[User]:
    """Like ``enqueue``, but only for users who have not had this exact message; returns them."""
    keys = {u.id: f"{incident.ref}:{kind}:{key}:{u.handle}" for u in users}
    sent = set(
        session.scalars(
            select(Notification.idempotency_key).where(
                Notification.idempotency_key.in_(keys.values())
            )
        )
    )
    fresh = [u for u in users if keys[u.id] not in sent]
    enqueue(session, incident=incident, users=fresh, kind=kind, key=key, now=now, data=data)
    return fresh


def users_sent(
    session: Session, incident_ids: Sequence[int], kinds: Sequence[str] = (PAGE,)
) -> dict[int, list[User]]:
    """Per incident, the distinct users sent a message of these kinds (pages), first sent first."""
    rows = session.execute(
        select(Notification.incident_id, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.incident_id.in_(incident_ids), Notification.kind.in_(kinds))
        .order_by(Notification.id)
    ).all()
    found: dict[int, list[User]] = {i: [] for i in incident_ids}
    for incident_id, user in rows:
        if user not in found[incident_id]:
            found[incident_id].append(user)
    return found


def enqueue_status_notice(
    session: Session,
    *,
    incident: Incident,
    kind: str,
    by: str,
    by_user_id: int | None,
    now: datetime,
) -> None:
    """Tell everyone paged for the incident (but who did it) that it was acknowledged/resolved."""
    session.flush()
    users = [u for u in users_sent(session, [incident.id])[incident.id] if u.id != by_user_id]
    # Keyed by the second: a second acknowledgement after a reassign is news, a retry is not.
    key = f"{int(now.timestamp())}"
    enqueue_once(
        session, incident=incident, users=users, kind=kind, key=key, now=now, data={"by": by}
    )


def for_incident(session: Session, *, incident: Incident) -> list[Notification]:
    """The incident's notifications in the order they were written."""
    query = select(Notification).where(Notification.incident_id == incident.id)
    return list(session.scalars(query.order_by(Notification.id)))
