"""The on-call page: who is on call now and next, two weeks of shifts, my shifts, overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.errors import ValidationFailed
from warroom.oncall import service
from warroom.oncall.calendar import to_utc
from warroom.oncall.models import Schedule
from warroom.oncall.service import OnCall, Shift
from warroom.users.models import User
from warroom.web.deps import SessionDep
from warroom.web.ui import form_values
from warroom.web.ui.auth import FormDep, ResponderDep, SignedIn, SignedInDep, change_by
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)
CALENDAR_DAYS = 14
MY_SHIFTS_AHEAD = timedelta(days=30)
# Shifts are read this far ahead so one starting within 30 days shows its real end.
READ_AHEAD = timedelta(days=60)
MAX_USERS_LISTED = 500
OVERRIDE_FIELDS = ("schedule", "user", "start", "end")
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class Slot:
    """Part of one day: who covers it (None: nobody) and whether by override."""

    start: str
    until: str
    user: User | None
    source: str


@dataclass(frozen=True)
class Day:
    """One local day of a schedule's calendar."""

    day: date
    slots: list[Slot]


@dataclass(frozen=True)
class ScheduleView:
    """A schedule with who is on call now and next, its calendar and its feed address."""

    schedule: Schedule
    current: OnCall
    days: list[Day]
    feed: str


def user_zone(user: User) -> ZoneInfo:
    """The user's time zone (UTC if it is not a zone this machine knows)."""
    return form_values.zone(user.time_zone)


def _midnights(first: date, zone: ZoneInfo, count: int) -> list[datetime]:
    """The UTC instants of ``count`` + 1 consecutive local midnights from ``first``."""
    return [
        to_utc(datetime.combine(first + timedelta(days=i), time()), zone) for i in range(count + 1)
    ]


def _slot(
    start: datetime, end: datetime, day_end: datetime, zone: ZoneInfo, shift: Shift | None
) -> Slot:
    """Local ``HH:MM`` hours of part of a day; an end at the next midnight reads 24:00."""
    until = "24:00" if end == day_end else f"{end.astimezone(zone):%H:%M}"
    user, source = (shift.user, shift.source) if shift else (None, "")
    return Slot(f"{start.astimezone(zone):%H:%M}", until, user, source)


def calendar_days(shifts: Sequence[Shift], first: date, zone: ZoneInfo, count: int) -> list[Day]:
    """Each local day from ``first``: the shifts clipped to it, with uncovered hours shown."""
    bounds = _midnights(first, zone, count)
    days = []
    for index in range(count):
        day_start, day_end = bounds[index], bounds[index + 1]
        slots: list[Slot] = []
        cursor = day_start
        for shift in shifts:
            start, end = max(shift.start, day_start), min(shift.end, day_end)
            if start >= end:
                continue
            if start > cursor:
                slots.append(_slot(cursor, start, day_end, zone, None))
            slots.append(_slot(start, end, day_end, zone, shift))
            cursor = max(cursor, end)
        if cursor < day_end:
            slots.append(_slot(cursor, day_end, day_end, zone, None))
        days.append(Day(first + timedelta(days=index), slots))
    return days


def _feed_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/api/v1"


def _schedule_views(
    request: Request, session: Session, who: SignedIn, now: datetime
) -> tuple[list[ScheduleView], list[tuple[Schedule, Shift]]]:
    """Every schedule's view, and the signed-in user's shifts across them for 30 days."""
    zone = user_zone(who.user)
    today = now.astimezone(zone).date()
    window_start = _midnights(today, zone, 0)[0]
    mine_until = now + MY_SHIFTS_AHEAD
    views: list[ScheduleView] = []
    mine: list[tuple[Schedule, Shift]] = []
    for schedule in service.list_schedules(session):
        shifts = service.shifts(
            session, schedule=schedule, start=window_start, end=now + READ_AHEAD
        )
        mine.extend(
            (schedule, s)
            for s in shifts
            if s.user.id == who.user.id and s.end > now and s.start < mine_until
        )
        views.append(
            ScheduleView(
                schedule=schedule,
                current=service.on_call(session, schedule=schedule, at=now),
                days=calendar_days(shifts, today, zone, CALENDAR_DAYS),
                feed=f"{_feed_base(request)}/schedules/{quote(schedule.name)}/shifts.ics",
            )
        )
    mine.sort(key=lambda pair: (pair[1].start, pair[0].name))
    return views, mine


def _oncall_page(
    request: Request,
    session: Session,
    who: SignedIn,
    form: Mapping[str, str],
    errors: Mapping[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    now = request.app.state.clock.now()
    zone = user_zone(who.user)
    views, mine = _schedule_views(request, session, who, now)
    handles = session.execute(
        select(User.handle, User.name).order_by(User.handle).limit(MAX_USERS_LISTED)
    ).all()
    return page(
        request,
        "oncall.html.j2",
        status_code=status_code,
        schedules=views,
        my_shifts=mine,
        my_feed=f"{_feed_base(request)}/users/{quote(who.user.handle)}/shifts.ics",
        zone_name=zone.key,
        local=lambda moment: _local(moment, zone),
        people=handles,
        form=form,
        errors=errors,
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """``Mon 3 Nov 09:00 CET`` in ``zone``."""
    there = moment.astimezone(zone)
    return f"{there:%a} {there.day} {there:%b %H:%M %Z}"


@router.get("/oncall", response_class=HTMLResponse)
def oncall_page(request: Request, session: SessionDep, who: SignedInDep) -> HTMLResponse:
    """Who is on call on every schedule, the next two weeks, my shifts and the override form."""
    now = request.app.state.clock.now()
    start = (now.astimezone(user_zone(who.user)) + timedelta(hours=1)).replace(
        minute=0, second=0, microsecond=0
    )
    form = {
        "schedule": "",
        "user": who.user.handle,
        "start": start.strftime(LOCAL_INPUT),
        "end": "",
    }
    return _oncall_page(request, session, who, form, {})


def _local_input(raw: str, zone: ZoneInfo, field: str, errors: dict[str, str]) -> datetime | None:
    """A ``datetime-local`` value as an instant read in ``zone``, or None with a message."""
    try:
        return form_values.parse_local(raw, zone, field)
    except ValidationFailed as failed:
        errors[field] = failed.errors[0].message
        return None


@router.post("/oncall/overrides", response_model=None)
def add_override(
    request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> Response:
    """Put someone on call instead of a schedule's rotations for a while."""
    values = {
        name: text.strip() if isinstance(text := form.get(name), str) else ""
        for name in OVERRIDE_FIELDS
    }
    errors: dict[str, str] = {}
    zone = user_zone(who.user)
    schedule = None
    if values["schedule"]:
        name = values["schedule"].lower()
        schedule = session.scalar(select(Schedule).where(Schedule.name == name))
    if schedule is None:
        errors["schedule"] = "choose a schedule"
    if not values["user"]:
        errors["user"] = "enter the handle of who covers"
    start = _local_input(values["start"], zone, "start", errors)
    end = _local_input(values["end"], zone, "end", errors)
    if errors or schedule is None or start is None or end is None:
        return _oncall_page(request, session, who, values, errors, 422)
    try:
        service.add_override(
            session,
            change=change_by(request, who),
            schedule=schedule,
            user_handle=values["user"],
            start=start,
            end=end,
        )
    except ValidationFailed as failed:
        session.rollback()
        found = {e.field: e.message for e in failed.errors}
        return _oncall_page(request, session, who, values, found, 422)
    session.commit()
    return RedirectResponse("/oncall", status_code=303)
