"""On-call schedules: layers, overrides, who is on call, shifts and iCalendar feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AwareDatetime

from warroom.actor import Actor
from warroom.errors import Conflict, Unauthorized
from warroom.escalation.policies import policies_using_schedule
from warroom.oncall import ical, service
from warroom.oncall.schemas import (
    OnCallOut,
    OverrideCreate,
    OverrideList,
    OverrideOut,
    ScheduleCreate,
    ScheduleList,
    ScheduleOut,
    ScheduleReplace,
    ShiftList,
    on_call_view,
    override_view,
    schedule_view,
    shift_view,
)
from warroom.users.service import authenticate, get_user
from warroom.web.deps import Admin, ClockDep, Responder, SessionDep, Viewer, change_for, get_actor
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["on-call"])

FEED_AHEAD = timedelta(days=60)
FEED_BEHIND = timedelta(days=7)
SHIFTS_AHEAD = timedelta(days=14)
ICAL_MEDIA_TYPE = "text/calendar; charset=utf-8"

From = Annotated[AwareDatetime | None, Query(alias="from", description="default: now")]
To = Annotated[AwareDatetime | None, Query(alias="to")]


def feed_actor(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    token: Annotated[
        str | None, Query(description="API token, for calendar apps that cannot send headers")
    ] = None,
) -> Actor:
    """The actor of a feed request: ``?token=`` (any role) or the usual bearer header."""
    if token is None:
        return get_actor(request, session, clock)
    if not token.strip():
        raise Unauthorized("the token parameter is empty")
    return authenticate(session, secret=token.strip(), now=clock.now())


FeedReader = Annotated[Actor, Depends(feed_actor)]


@router.get("/schedules")
def list_schedules(session: SessionDep, actor: Viewer) -> ScheduleList:
    """All schedules by name."""
    return ScheduleList(items=[schedule_view(s) for s in service.list_schedules(session)])


@router.post("/schedules", status_code=status.HTTP_201_CREATED)
def create_schedule(
    body: ScheduleCreate, request: Request, response: Response, session: SessionDep, actor: Admin
) -> ScheduleOut:
    """Add a schedule with its layers, lowest first (admin)."""
    schedule = service.create_schedule(
        session,
        change=change_for(request, actor),
        name=body.name,
        time_zone=body.time_zone,
        description=body.description,
        layers=[layer.spec() for layer in body.layers],
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/schedules/{schedule.name}"
    return schedule_view(schedule)


@router.get("/schedules/{name}")
def get_schedule(name: str, session: SessionDep, clock: ClockDep, actor: Viewer) -> ScheduleOut:
    """One schedule, with who is on call now and the next shift."""
    schedule = service.get_schedule(session, name)
    now = clock.now()
    current = service.on_call(session, schedule=schedule, at=now)
    return schedule_view(schedule, on_call_view(schedule, now, current))


@router.put("/schedules/{name}")
def replace_schedule(
    name: str, body: ScheduleReplace, request: Request, session: SessionDep, actor: Admin
) -> ScheduleOut:
    """Replace a schedule's zone, description and layers; overrides stay (admin)."""
    schedule = service.replace_schedule(
        session,
        change=change_for(request, actor),
        schedule=service.get_schedule(session, name),
        time_zone=body.time_zone,
        description=body.description,
        layers=[layer.spec() for layer in body.layers],
    )
    session.commit()
    return schedule_view(schedule)


@router.delete("/schedules/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(name: str, request: Request, session: SessionDep, actor: Admin) -> Response:
    """Remove a schedule with its layers and overrides (admin); not while a policy pages it."""
    schedule = service.get_schedule(session, name)
    users = policies_using_schedule(session, schedule.name)
    if users:
        raise Conflict(
            f"schedule {schedule.name!r} is paged by escalation policies {', '.join(users)}; "
            "change those policies first",
            policies=users,
        )
    service.delete_schedule(session, change=change_for(request, actor), schedule=schedule)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/schedules/{name}/on-call")
def on_call(
    name: str,
    session: SessionDep,
    clock: ClockDep,
    actor: Viewer,
    at: Annotated[AwareDatetime | None, Query(description="default: now")] = None,
) -> OnCallOut:
    """Who is on call at ``at``, until when, and the next shift."""
    schedule = service.get_schedule(session, name)
    moment = at or clock.now()
    return on_call_view(schedule, moment, service.on_call(session, schedule=schedule, at=moment))


def _window(
    clock: ClockDep, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    begins = start or clock.now()
    return begins, end or begins + SHIFTS_AHEAD


@router.get("/schedules/{name}/shifts")
def list_shifts(
    name: str,
    session: SessionDep,
    clock: ClockDep,
    actor: Viewer,
    start: From = None,
    end: To = None,
) -> ShiftList:
    """Shifts from ``from`` (default now) to ``to`` (default 14 days later; at most 93 days)."""
    schedule = service.get_schedule(session, name)
    begins, ends = _window(clock, start, end)
    found = service.shifts(session, schedule=schedule, start=begins, end=ends)
    return ShiftList(items=[shift_view(s) for s in found])


def _feed_window(
    clock: ClockDep, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    # Starting at a UTC midnight a week back keeps events (and their UIDs) the same all day.
    now = clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    begins = start or midnight - FEED_BEHIND
    return begins, end or now + FEED_AHEAD


CALENDAR_ROUTE: dict[str, Any] = {
    "response_class": Response,
    "responses": {200: {"content": {"text/calendar": {}}}},
}


def _calendar(body: bytes, filename: str) -> Response:
    return Response(
        content=body,
        media_type=ICAL_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get(
    "/schedules/{name}/shifts.ics",
    **CALENDAR_ROUTE,
)
def schedule_feed(
    name: str,
    session: SessionDep,
    clock: ClockDep,
    actor: FeedReader,
    start: From = None,
    end: To = None,
) -> Response:
    """The schedule's shifts as iCalendar (a week back to 60 days ahead by default)."""
    schedule = service.get_schedule(session, name)
    begins, ends = _feed_window(clock, start, end)
    found = service.shifts(session, schedule=schedule, start=begins, end=ends)
    body = ical.feed(
        f"On call: {schedule.name}",
        [(schedule.name, s) for s in found],
        generated_at=clock.now(),
    )
    return _calendar(body, f"{schedule.name}.ics")


@router.get(
    "/users/{handle}/shifts.ics",
    **CALENDAR_ROUTE,
)
def user_feed(
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    actor: FeedReader,
    start: From = None,
    end: To = None,
) -> Response:
    """A user's shifts on every schedule as iCalendar (a week back to 60 days ahead by default)."""
    user = get_user(session, handle)
    begins, ends = _feed_window(clock, start, end)
    found = service.user_shifts(session, user=user, start=begins, end=ends)
    body = ical.feed(
        f"On call: {user.handle}",
        [(schedule.name, s) for schedule, s in found],
        generated_at=clock.now(),
    )
    return _calendar(body, f"{user.handle}.ics")


@router.get("/schedules/{name}/overrides")
def list_overrides(name: str, session: SessionDep, actor: Viewer) -> OverrideList:
    """The schedule's overrides by start."""
    schedule = service.get_schedule(session, name)
    overrides = service.list_overrides(session, schedule=schedule)
    return OverrideList(items=[override_view(schedule, o) for o in overrides])


@router.post("/schedules/{name}/overrides", status_code=status.HTTP_201_CREATED)
def add_override(
    name: str, body: OverrideCreate, request: Request, session: SessionDep, actor: Responder
) -> OverrideOut:
    """Put someone on call instead of the layers from ``start`` to ``end`` (responder)."""
    schedule = service.get_schedule(session, name)
    override = service.add_override(
        session,
        change=change_for(request, actor),
        schedule=schedule,
        user_handle=body.user,
        start=body.start,
        end=body.end,
    )
    session.commit()
    return override_view(schedule, override)


@router.delete("/schedules/{name}/overrides/{override_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_override(
    name: str, override_id: int, request: Request, session: SessionDep, actor: Responder
) -> Response:
    """Remove an override (responder)."""
    schedule = service.get_schedule(session, name)
    service.delete_override(
        session, change=change_for(request, actor), schedule=schedule, override_id=override_id
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
