"""Schedules and overrides: create, replace, delete, and who is on call when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom import validation
from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.oncall.calendar import Cover, on_call_spans
from warroom.oncall.layers import CheckedLayer, LayerSpec, check_layers, rotation_of, zone_of
from warroom.oncall.models import Layer, LayerMember, Override, Schedule
from warroom.users import audit
from warroom.users.models import User

MAX_WINDOW = timedelta(days=93)


@dataclass(frozen=True)
class Shift:
    """A user on call from ``start`` to ``end``; ``source`` is ``override`` or a rotation name."""

    user: User
    start: datetime
    end: datetime
    source: str


@dataclass(frozen=True)
class OnCall:
    """Who is on call at a moment, until when that holds, and the shift after it."""

    users: list[User]
    until: datetime | None
    next: Shift | None


def _users_by_handle(session: Session, checked: Sequence[CheckedLayer]) -> dict[str, User]:
    wanted = {handle for layer in checked for handle in layer.users}
    found = {u.handle: u for u in session.scalars(select(User).where(User.handle.in_(wanted)))}
    for index, layer in enumerate(checked):
        for handle in layer.users:
            if handle not in found:
                raise ValidationFailed.for_field(
                    f"layers.{index}.users", f"no user with handle {handle!r}"
                )
    return found


def _build_layers(session: Session, specs: Sequence[LayerSpec]) -> list[Layer]:
    checked = check_layers(specs)
    users = _users_by_handle(session, checked)
    return [
        Layer(
            position=position,
            name=layer.name,
            kind=layer.kind,
            length_seconds=layer.length_seconds,
            handoff=layer.handoff,
            restrictions=layer.restrictions,
            members=[
                LayerMember(position=i, user_id=users[h].id, user=users[h])
                for i, h in enumerate(layer.users)
            ],
        )
        for position, layer in enumerate(checked)
    ]


def _facts(schedule: Schedule) -> dict[str, object]:
    return {
        "time_zone": schedule.time_zone,
        "layers": [
            {
                "name": layer.name,
                "kind": layer.kind,
                "length_seconds": layer.length_seconds,
                "handoff": layer.handoff,
                "users": [m.user.handle for m in layer.members],
                "restrictions": layer.restrictions,
            }
            for layer in schedule.layers
        ],
    }


def create_schedule(
    session: Session,
    *,
    change: Change,
    name: str,
    time_zone: str,
    layers: Sequence[LayerSpec],
    description: str = "",
) -> Schedule:
    """Add a schedule with its layers (lowest first); names are unique."""
    clean_name = validation.slug_name(name)
    zone_of(time_zone)
    clean_description = validation.description(description)
    built = _build_layers(session, layers)
    if session.scalar(select(Schedule.id).where(Schedule.name == clean_name)) is not None:
        raise Conflict(f"a schedule called {clean_name!r} already exists")
    now = change.now()
    schedule = Schedule(
        name=clean_name,
        time_zone=time_zone,
        description=clean_description,
        created_at=now,
        updated_at=now,
        layers=built,
    )
    session.add(schedule)
    session.flush()
    audit.record(
        session,
        change=change,
        action="schedule.create",
        target=f"schedule:{clean_name}",
        data=_facts(schedule),
    )
    return schedule


def replace_schedule(
    session: Session,
    *,
    change: Change,
    schedule: Schedule,
    time_zone: str,
    layers: Sequence[LayerSpec],
    description: str = "",
) -> Schedule:
    """Replace a schedule's zone, description and layers; its overrides stay."""
    zone_of(time_zone)
    clean_description = validation.description(description)
    built = _build_layers(session, layers)
    schedule.layers.clear()
    session.flush()  # delete the old layers before their positions are reused
    schedule.layers.extend(built)
    schedule.time_zone = time_zone
    schedule.description = clean_description
    schedule.updated_at = change.now()
    session.flush()
    audit.record(
        session,
        change=change,
        action="schedule.replace",
        target=f"schedule:{schedule.name}",
        data=_facts(schedule),
    )
    return schedule


def delete_schedule(session: Session, *, change: Change, schedule: Schedule) -> None:
    """Remove a schedule with its layers and overrides."""
    name = schedule.name
    session.delete(schedule)
    session.flush()
    audit.record(session, change=change, action="schedule.delete", target=f"schedule:{name}")


def get_schedule(session: Session, name: str) -> Schedule:
    """The schedule called ``name``, or NotFound."""
    schedule = session.scalar(select(Schedule).where(Schedule.name == name.strip().lower()))
    if schedule is None:
        raise NotFound(f"no schedule called {name!r}")
    return schedule


def list_schedules(session: Session) -> list[Schedule]:
    """All schedules by name."""
    return list(session.scalars(select(Schedule).order_by(Schedule.name)))


def _aware(value: datetime, field_name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed.for_field(
            field_name, "give a time with an offset, e.g. 2025-11-03T09:00:00+01:00"
        )
    return value


def add_override(
    session: Session,
    *,
    change: Change,
    schedule: Schedule,
    user_handle: str,
    start: datetime,
    end: datetime,
) -> Override:
    """Put a user on call instead of the layers from ``start`` to ``end``."""
    _aware(start, "start")
    _aware(end, "end")
    if end <= start:
        raise ValidationFailed.for_field("end", "must be after start")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    user = session.scalar(select(User).where(User.handle == user_handle.strip().lower()))
    if user is None:
        raise ValidationFailed.for_field("user", f"no user with handle {user_handle!r}")
    override = Override(
        schedule_id=schedule.id,
        user_id=user.id,
        user=user,
        start_at=start,
        end_at=end,
        created_by=str(change.actor),
        created_at=change.now(),
    )
    session.add(override)
    session.flush()
    audit.record(
        session,
        change=change,
        action="override.create",
        target=f"schedule:{schedule.name}",
        data={
            "id": override.id,
            "user": user.handle,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    return override


def list_overrides(session: Session, *, schedule: Schedule) -> list[Override]:
    """A schedule's overrides by start time."""
    query = (
        select(Override)
        .where(Override.schedule_id == schedule.id)
        .order_by(Override.start_at, Override.id)
    )
    return list(session.scalars(query))


def delete_override(
    session: Session, *, change: Change, schedule: Schedule, override_id: int
) -> None:
    """Remove one of the schedule's overrides."""
    override = session.get(Override, override_id)
    if override is None or override.schedule_id != schedule.id:
        raise NotFound(f"schedule {schedule.name!r} has no override {override_id}")
    data = {"id": override.id, "user": override.user.handle}
    session.delete(override)
    session.flush()
    audit.record(
        session,
        change=change,
        action="override.delete",
        target=f"schedule:{schedule.name}",
        data=data,
    )


def check_window(start: datetime, end: datetime) -> None:
    """Refuse naive times, an end not after the start, and windows over MAX_WINDOW."""
    _aware(start, "from")
    _aware(end, "to")
    if end <= start:
        raise ValidationFailed.for_field("to", "must be after from")
    if end - start > MAX_WINDOW:
        raise ValidationFailed.for_field(
            "to", f"the window is at most {MAX_WINDOW.days} days; ask for shorter periods"
        )


def _shifts(session: Session, schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    overrides = list(
        session.scalars(
            select(Override)
            .where(
                Override.schedule_id == schedule.id,
                Override.end_at > start,
                Override.start_at < end,
            )
            .order_by(Override.id)
        )
    )
    users = {o.user_id: o.user for o in overrides}
    users.update({m.user_id: m.user for layer in schedule.layers for m in layer.members})
    # Later-created overrides win: the id is the creation order.
    covers = [Cover(o.user_id, o.start_at, o.end_at, rank=o.id) for o in overrides]
    spans = on_call_spans(
        [rotation_of(layer) for layer in schedule.layers],
        covers,
        start,
        end,
        zone_of(schedule.time_zone),
    )
    return [Shift(users[s.user_id], s.start, s.end, s.source) for s in spans]


def shifts(session: Session, *, schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call from ``start`` to ``end`` (at most MAX_WINDOW), clipped and merged."""
    check_window(start, end)
    return _shifts(session, schedule, start, end)


def who_is_on_call(session: Session, *, schedule: Schedule, at: datetime) -> list[User]:
    """The users on call at ``at``: normally one, none when no layer or override covers it."""
    _aware(at, "at")
    current = _shifts(session, schedule, at, at + timedelta(microseconds=1))
    return [s.user for s in current]


def next_shift(session: Session, *, schedule: Schedule, at: datetime) -> Shift | None:
    """The first shift that begins after ``at``, looking ahead at most MAX_WINDOW."""
    return on_call(session, schedule=schedule, at=at).next


def on_call(session: Session, *, schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call at ``at``, until when, and the next shift (within MAX_WINDOW)."""
    _aware(at, "at")
    horizon = at + MAX_WINDOW
    ahead = _shifts(session, schedule, at, horizon)
    current = [s for s in ahead if s.start <= at]
    later = [s for s in ahead if s.start > at]
    following = later[0] if later else None
    if current:
        # A shift reaching the horizon has no end in sight: say so rather than invent one.
        until = current[0].end if current[0].end < horizon else None
    else:
        until = following.start if following else None
    return OnCall(users=[s.user for s in current], until=until, next=following)


def user_shifts(
    session: Session, *, user: User, start: datetime, end: datetime
) -> list[tuple[Schedule, Shift]]:
    """A user's shifts on every schedule from ``start`` to ``end``, by start time."""
    check_window(start, end)
    found = [
        (schedule, shift)
        for schedule in list_schedules(session)
        for shift in _shifts(session, schedule, start, end)
        if shift.user.id == user.id
    ]
    return sorted(found, key=lambda pair: (pair[1].start, pair[0].name))
