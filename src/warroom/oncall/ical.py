"""iCalendar (RFC 5545) feeds of shifts, for calendar apps to subscribe to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from warroom import __version__
from warroom.oncall.service import Shift


def shift_uid(schedule: str, shift: Shift) -> str:
    """A UID that stays the same for the same shift on every fetch of the feed."""
    begins = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{schedule}.{shift.source}.{shift.user.handle}.{begins}@warroom"


def feed(name: str, shifts: Sequence[tuple[str, Shift]], *, generated_at: datetime) -> bytes:
    """A calendar called ``name`` with one event per ``(schedule, shift)``."""
    # Imported here: only feed requests need it, and the API process stays smaller.
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", f"-//warroom//on-call {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = generated_at.astimezone(UTC)
    for schedule, shift in shifts:
        event = Event()
        event.add("uid", shift_uid(schedule, shift))
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start.astimezone(UTC))
        event.add("dtend", shift.end.astimezone(UTC))
        event.add("summary", f"On call: {schedule}")
        detail = "override" if shift.source == "override" else f"layer {shift.source}"
        event.add("description", f"{shift.user.name} ({shift.user.handle}), {detail}")
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body
