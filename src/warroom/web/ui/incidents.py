"""The incidents list and the live-update event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.models import Incident, IncidentRole, TimelineEntry
from warroom.notifications.models import Notification
from warroom.services.models import Service
from warroom.severity import SeverityScheme
from warroom.web.deps import SchemeDep, SessionDep
from warroom.web.ui.auth import SignedIn, SignedInDep
from warroom.web.ui.render import duration_words, page

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
EVENT_POLL_SECONDS = 1.0
EVENT_STREAM_SECONDS = 300.0
_STATUS_FILTERS = {
    "open": [s.value for s in OPEN_STATUSES],
    "resolved": [Status.resolved.value, Status.closed.value],
    **{s.value: [s.value] for s in Status},
}


@dataclass(frozen=True)
class SlaClock:
    """Where an incident stands against its acknowledge or resolve SLA."""

    label: str
    state: str  # met, due or breached
    words: str


def sla_clock(incident: Incident, scheme: SeverityScheme, now: datetime) -> SlaClock | None:
    """The SLA that matters now: acknowledge until acked, then resolve until resolved."""
    level = scheme.find(incident.severity)
    if level is None:
        return None
    if incident.acknowledged_at is None and incident.resolved_at is None:
        label, due, done = "ack", incident.detected_at + level.ack_sla, None
    else:
        label, due, done = "resolve", incident.detected_at + level.resolve_sla, incident.resolved_at
    if done is not None:
        state = "met" if done <= due else "breached"
        return SlaClock(label, state, f"{label} SLA {'met' if state == 'met' else 'missed'}")
    left = due - now
    if left <= timedelta(0):
        return SlaClock(label, "breached", f"{label} SLA breached {duration_words(-left)} ago")
    return SlaClock(label, "due", f"{label} due in {duration_words(left)}")


def _mine(user_id: int) -> ColumnElement[bool]:
    held = select(IncidentRole.incident_id).where(IncidentRole.user_id == user_id)
    paged = select(Notification.incident_id).where(Notification.user_id == user_id)
    return or_(Incident.id.in_(held), Incident.id.in_(paged))


def _filtered(request: Request, who: SignedIn) -> tuple[Select[Any], dict[str, str]]:
    params = request.query_params
    chosen = {
        "status": params.get("status", "open"),
        "severity": params.get("severity", ""),
        "service": params.get("service", ""),
        "mine": params.get("mine", ""),
        "q": params.get("q", "").strip(),
    }
    query = select(Incident)
    statuses = _STATUS_FILTERS.get(chosen["status"])
    if statuses:
        query = query.where(Incident.status.in_(statuses))
    if chosen["severity"]:
        query = query.where(Incident.severity == chosen["severity"])
    if chosen["service"]:
        query = query.where(Incident.service == chosen["service"])
    if chosen["mine"]:
        query = query.where(_mine(who.user.id))
    if chosen["q"]:
        pattern = f"%{chosen['q'].lower()}%"
        query = query.where(
            or_(func.lower(Incident.title).like(pattern), func.lower(Incident.ref).like(pattern))
        )
    return query, chosen


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request, session: SessionDep, scheme: SchemeDep, who: SignedInDep
) -> HTMLResponse:
    """Open and recent incidents, filtered, newest first."""
    query, chosen = _filtered(request, who)
    before = request.query_params.get("before", "")
    if before.isdigit():
        query = query.where(Incident.id < int(before))
    rows = list(session.scalars(query.order_by(Incident.id.desc()).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    now = request.app.state.clock.now()
    services = session.scalars(select(Service.name).order_by(Service.name)).all()
    return page(
        request,
        "incidents.html.j2",
        incidents=[(i, sla_clock(i, scheme, now)) for i in rows],
        chosen=chosen,
        levels=scheme.ids,
        services=services,
        statuses=[s.value for s in Status],
        next_before=rows[-1].id if more else None,
    )


def _version(session: Session, ref: str) -> int:
    """A number that grows whenever anything on the incident (or any incident) changes."""
    query = select(func.max(TimelineEntry.id))
    if ref:
        query = query.join(Incident, Incident.id == TimelineEntry.incident_id).where(
            Incident.ref == ref.lower()
        )
    return session.scalar(query) or 0


@router.get("/ui/events")
async def events(request: Request, who: SignedInDep, incident: str = "") -> StreamingResponse:
    """Server-sent ``changed`` events whenever the timeline grows (of one incident or any)."""
    factory = request.app.state.sessions

    def current() -> int:
        with factory() as session:
            return _version(session, incident)

    async def stream() -> AsyncIterator[str]:
        seen = await run_in_threadpool(current)
        yield "retry: 2000\n\n"
        waited = 0.0
        while waited < EVENT_STREAM_SECONDS and not await request.is_disconnected():
            await asyncio.sleep(EVENT_POLL_SECONDS)
            waited += EVENT_POLL_SECONDS
            latest = await run_in_threadpool(current)
            if latest != seen:
                seen = latest
                yield f"event: changed\ndata: {latest}\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
