"""Layer definitions as given by people, checked and turned into calendar rotations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.durations import format_duration, parse_duration
from warroom.errors import ValidationFailed
from warroom.oncall.calendar import Restriction, Rotation
from warroom.oncall.models import Layer

KINDS = ("daily", "weekly", "custom")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^\d{2}:\d{2}$")
_HANDOFF_FORMAT = "%Y-%m-%dT%H:%M"
MIN_CUSTOM_LENGTH_SECONDS = 3600
MAX_CUSTOM_LENGTH_SECONDS = 366 * 86400
MAX_USERS = 100
MAX_RESTRICTIONS = 20


@dataclass(frozen=True)
class RestrictionSpec:
    """Local hours on some weekdays, e.g. ``["mon", "fri"]``, ``"09:00"``, ``"17:00"``."""

    days: Sequence[str]
    start: str
    end: str


@dataclass(frozen=True)
class LayerSpec:
    """A rotation as written: handles in order, a local hand-off time, optional restrictions."""

    name: str
    kind: str
    handoff: str
    users: Sequence[str]
    length: str | None = None
    restrictions: Sequence[RestrictionSpec] = field(default_factory=tuple)


@dataclass(frozen=True)
class CheckedLayer:
    """A layer spec that passed every check, ready to store (users still as handles)."""

    name: str
    kind: str
    handoff: str
    users: list[str]
    length_seconds: int | None
    restrictions: list[dict[str, Any]]


def zone_of(time_zone: str, field_name: str = "time_zone") -> ZoneInfo:
    """The IANA zone called ``time_zone``, or a validation error."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.for_field(
            field_name, f"unknown time zone {time_zone!r}; use an IANA name like Europe/Berlin"
        ) from None


def parse_weekday(value: str, field_name: str) -> int:
    """0 for ``mon`` (or ``monday``) up to 6 for ``sun``."""
    name = value.strip().lower()
    if name in WEEKDAYS:
        return WEEKDAYS.index(name)
    if name in _FULL_WEEKDAYS:
        return _FULL_WEEKDAYS.index(name)
    raise ValidationFailed.for_field(
        field_name, f"unknown weekday {value!r}; use {', '.join(WEEKDAYS)}"
    )


def _parse_clock(value: str, field_name: str) -> time:
    try:
        if _CLOCK.match(value.strip()):
            return time.fromisoformat(value.strip())
    except ValueError:
        pass
    raise ValidationFailed.for_field(field_name, f"{value!r} is not a local time like 09:00")


def parse_handoff(value: str, field_name: str) -> datetime:
    """A local date and time such as ``2025-11-03T09:00`` (no offset: the schedule has a zone)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.for_field(
            field_name, f"{value!r} is not a local date-time like 2025-11-03T09:00"
        ) from None
    if parsed.tzinfo is not None:
        raise ValidationFailed.for_field(
            field_name, "give a local time without an offset; the schedule's time zone applies"
        )
    if parsed.second or parsed.microsecond:
        raise ValidationFailed.for_field(field_name, "hand-offs are on whole minutes")
    return parsed


def _check_restriction(spec: RestrictionSpec, where: str) -> dict[str, Any]:
    if not spec.days:
        raise ValidationFailed.for_field(f"{where}.days", "name at least one weekday")
    days = sorted({parse_weekday(d, f"{where}.days") for d in spec.days})
    start = _parse_clock(spec.start, f"{where}.start")
    end = _parse_clock(spec.end, f"{where}.end")
    return {
        "days": [WEEKDAYS[d] for d in days],
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def _check_length(spec: LayerSpec, where: str) -> int | None:
    if spec.kind != "custom":
        if spec.length is not None:
            raise ValidationFailed.for_field(
                f"{where}.length", f"only custom rotations have a length; {spec.kind} is fixed"
            )
        return None
    if spec.length is None:
        raise ValidationFailed.for_field(f"{where}.length", "a custom rotation needs a length")
    try:
        seconds = int(parse_duration(spec.length).total_seconds())
    except ValueError as exc:
        raise ValidationFailed.for_field(f"{where}.length", str(exc)) from None
    if not MIN_CUSTOM_LENGTH_SECONDS <= seconds <= MAX_CUSTOM_LENGTH_SECONDS:
        raise ValidationFailed.for_field(f"{where}.length", "must be between 1h and 366d")
    return seconds


def check_layers(specs: Sequence[LayerSpec]) -> list[CheckedLayer]:
    """Validate layer specs in order; the first problem raises, naming its field."""
    if not specs:
        raise ValidationFailed.for_field("layers", "a schedule needs at least one layer")
    checked: list[CheckedLayer] = []
    names: set[str] = set()
    for index, spec in enumerate(specs):
        where = f"layers.{index}"
        name = spec.name.strip()
        if not name or len(name) > 64:
            raise ValidationFailed.for_field(f"{where}.name", "use 1-64 characters")
        if name in names:
            raise ValidationFailed.for_field(f"{where}.name", f"two layers are called {name!r}")
        names.add(name)
        kind = spec.kind.strip().lower()
        if kind not in KINDS:
            raise ValidationFailed.for_field(
                f"{where}.kind", f"unknown kind {spec.kind!r}; use {', '.join(KINDS)}"
            )
        length = _check_length(LayerSpec(name, kind, spec.handoff, spec.users, spec.length), where)
        handoff = parse_handoff(spec.handoff, f"{where}.handoff")
        users = [u.strip().lower() for u in spec.users]
        if not users:
            raise ValidationFailed.for_field(f"{where}.users", "name at least one user")
        if len(users) > MAX_USERS:
            raise ValidationFailed.for_field(f"{where}.users", f"at most {MAX_USERS} users")
        if len(spec.restrictions) > MAX_RESTRICTIONS:
            raise ValidationFailed.for_field(
                f"{where}.restrictions", f"at most {MAX_RESTRICTIONS} restrictions"
            )
        restrictions = [
            _check_restriction(r, f"{where}.restrictions.{i}")
            for i, r in enumerate(spec.restrictions)
        ]
        checked.append(
            CheckedLayer(
                name=name,
                kind=kind,
                handoff=handoff.strftime(_HANDOFF_FORMAT),
                users=users,
                length_seconds=length,
                restrictions=restrictions,
            )
        )
    return checked


def rotation_of(layer: Layer) -> Rotation:
    """The calendar rotation a stored layer describes."""
    return Rotation(
        name=layer.name,
        kind=layer.kind,
        handoff=datetime.strptime(layer.handoff, _HANDOFF_FORMAT),
        users=tuple(m.user_id for m in layer.members),
        length=None if layer.length_seconds is None else timedelta(seconds=layer.length_seconds),
        restrictions=tuple(
            Restriction(
                days=frozenset(WEEKDAYS.index(d) for d in r["days"]),
                start=time.fromisoformat(r["start"]),
                end=time.fromisoformat(r["end"]),
            )
            for r in layer.restrictions
        ),
    )


def length_text(layer: Layer) -> str | None:
    """A custom layer's length as ``12h``; None for daily and weekly layers."""
    if layer.length_seconds is None:
        return None
    return format_duration(timedelta(seconds=layer.length_seconds))
