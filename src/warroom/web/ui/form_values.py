"""Reading posted form fields: text, whole numbers and local date-times in a user's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData

from warroom.errors import ValidationFailed
from warroom.oncall.calendar import to_utc

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def text(form: FormData, name: str, *, required: bool = False, limit: int | None = None) -> str:
    """The field's text, stripped ("" when not sent); empty when required or too long is a 422."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise ValidationFailed.for_field(name, "must be text, not a file")
    value = value.strip()
    if required and not value:
        raise ValidationFailed.for_field(name, "must not be empty")
    if limit is not None and len(value) > limit:
        raise ValidationFailed.for_field(name, f"must be at most {limit} characters")
    return value


def whole_number(form: FormData, name: str, default: int = 0) -> int:
    """The field as a whole number; ``default`` when left empty."""
    value = text(form, name)
    if not value:
        return default
    if not value.isdigit():
        raise ValidationFailed.for_field(name, f"{value!r} is not a whole number")
    return int(value)


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; UTC when it is not a zone this system knows."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_local(value: str, time_zone: ZoneInfo, name: str) -> datetime:
    """A ``datetime-local`` value read in ``time_zone`` (as rotations read them), in UTC."""
    if not value:
        raise ValidationFailed.for_field(name, "give a date and time")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        return to_utc(parsed, time_zone)
    except (ValueError, OverflowError):
        raise ValidationFailed.for_field(
            name, f"{value!r} is not a date and time like 2025-11-03T09:00"
        ) from None


def local_moment(form: FormData, name: str, time_zone: str) -> datetime:
    """A ``datetime-local`` field read in ``time_zone``, as a UTC moment."""
    return parse_local(text(form, name), zone(time_zone), name)


def local_input(moment: datetime, time_zone: str) -> str:
    """A moment as a ``datetime-local`` value in ``time_zone``."""
    return moment.astimezone(zone(time_zone)).strftime(LOCAL_INPUT_FORMAT)
