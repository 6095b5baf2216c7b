"""The incident status machine: which moves are allowed and which milestones they set."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from warroom.incidents.models import Incident


class Status(StrEnum):
    """Incident statuses in their natural order."""

    triggered = "triggered"
    acknowledged = "acknowledged"
    investigating = "investigating"
    identified = "identified"
    monitoring = "monitoring"
    resolved = "resolved"
    closed = "closed"


ORDER = list(Status)
OPEN_STATUSES = tuple(s for s in ORDER if s not in (Status.resolved, Status.closed))
# Milestones a status reaches; skipping forward sets the ones passed over that a human implied.
_MILESTONES: dict[Status, tuple[str, ...]] = {
    Status.acknowledged: ("acknowledged_at",),
    Status.investigating: ("acknowledged_at",),
    Status.identified: ("acknowledged_at", "identified_at"),
    Status.monitoring: ("acknowledged_at", "identified_at", "mitigated_at"),
    Status.resolved: ("resolved_at",),
    Status.closed: ("closed_at",),
}


def allowed_moves(current: Status) -> list[Status]:
    """Statuses reachable from ``current``: forward up to resolved, reopen, close after resolve."""
    if current is Status.closed:
        return []
    if current is Status.resolved:
        return [Status.investigating, Status.closed]
    return [s for s in ORDER[ORDER.index(current) + 1 :] if s is not Status.closed]


def set_milestones(incident: Incident, target: Status, at: datetime) -> None:
    """Stamp the milestones ``target`` reaches that are not stamped yet."""
    for attribute in _MILESTONES.get(target, ()):
        if getattr(incident, attribute) is None:
            setattr(incident, attribute, at)
