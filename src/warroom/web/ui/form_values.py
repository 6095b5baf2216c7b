"""Reading posted form fields: text, whole numbers and local date-times in a user's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData

from warroom.errors import ValidationFailed

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def text(form: FormData, name: str) -> str:
    """The field's text, stripped; "" when it was not sent."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise ValidationFailed.for_field(name, "must be text, not a file")
    return value.strip()


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


def local_moment(form: FormData, name: str, time_zone: str) -> datetime:
    """A ``datetime-local`` field read in ``time_zone``, as a UTC moment."""
    value = text(form, name)
    if not value:
        raise ValidationFailed.for_field(name, "give a date and time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.for_field(
            name, f"{value!r} is not a date and time like 2025-11-03T09:00"
        ) from None
    if parsed.tzinfo is not None:
        raise ValidationFailed.for_field(name, f"give a local time in {time_zone}, no offset")
    return parsed.replace(tzinfo=zone(time_zone)).astimezone(UTC)


def local_input(moment: datetime, time_zone: str) -> str:
    """A moment as a ``datetime-local`` value in ``time_zone``."""
    return moment.astimezone(zone(time_zone)).strftime(LOCAL_INPUT_FORMAT)
