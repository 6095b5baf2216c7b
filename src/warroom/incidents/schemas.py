"""API shapes of incidents and their timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from warroom.incidents.lifecycle import Status, allowed_moves
from warroom.incidents.models import Incident, TimelineEntry
from warroom.incidents.service import missing_roles
from warroom.severity import SeverityScheme

Text = Field(default="", max_length=20000)


class IncidentCreate(BaseModel):
    """Declare an incident."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    severity: str = Field(
        description="P1-P4 or an alias such as SEV-1, sev2, critical", max_length=32
    )
    summary: str = Text
    service: str | None = Field(default=None, max_length=200)
    status: str = Field(default="triggered", description="an open status to start in")
    tags: list[str] = Field(default_factory=list, max_length=50)
    impact: str = Text
    customer_facing: StrictBool = False
    detected_at: AwareDatetime | None = Field(
        default=None, description="when the problem began, if earlier than now"
    )
    escalation_policy: str | None = Field(
        default=None, max_length=64, description="page by this policy instead of the service's"
    )


class IncidentPatch(BaseModel):
    """Change some fields of an incident; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    severity: str | None = Field(default=None, max_length=32)
    summary: str | None = Field(default=None, max_length=20000)
    service: str | None = Field(default=None, max_length=200)
    impact: str | None = Field(default=None, max_length=20000)
    customer_facing: StrictBool | None = None
    tags: list[str] | None = Field(default=None, max_length=50)


class StatusChange(BaseModel):
    """Move an incident to another status."""

    model_config = ConfigDict(extra="forbid")

    status: str
    note: str | None = Field(default=None, max_length=20000)


class RoleAssignment(BaseModel):
    """Give a role on an incident to a user."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(max_length=64, description="incident_commander, communications_lead, ...")
    user: str = Field(max_length=64, description="the user's handle")


class NoteCreate(BaseModel):
    """A free-text note for the timeline."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000)


class IncidentOut(BaseModel):
    """An incident with its derived state (SLA due times, missing roles, allowed moves)."""

    ref: str
    title: str
    summary: str
    severity: str
    severity_name: str
    status: str
    service: str | None
    impact: str
    customer_facing: bool
    tags: list[str]
    roles: dict[str, str]
    missing_roles: list[str]
    allowed_transitions: list[str]
    reopen_count: int
    created_by: str
    detected_at: datetime
    acknowledged_at: datetime | None
    identified_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    ack_due_at: datetime
    resolve_due_at: datetime
    tta_seconds: int | None
    ttr_seconds: int | None


class IncidentPage(BaseModel):
    """A page of incidents."""

    items: list[IncidentOut]
    next_cursor: str | None


class TimelineEntryOut(BaseModel):
    """One timeline entry."""

    id: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]


class TimelinePage(BaseModel):
    """A page of timeline entries, oldest first."""

    items: list[TimelineEntryOut]
    next_cursor: str | None


def _elapsed(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds())


def incident_view(incident: Incident, scheme: SeverityScheme) -> IncidentOut:
    """The API view of an incident."""
    level = scheme.get(incident.severity)
    return IncidentOut(
        ref=incident.ref,
        title=incident.title,
        summary=incident.summary,
        severity=level.id,
        severity_name=level.name,
        status=incident.status,
        service=incident.service,
        impact=incident.impact,
        customer_facing=incident.customer_facing,
        tags=list(incident.tags),
        roles={r.role: r.user.handle for r in incident.roles},
        missing_roles=missing_roles(incident, scheme),
        allowed_transitions=[s.value for s in allowed_moves(Status(incident.status))],
        reopen_count=incident.reopen_count,
        created_by=incident.created_by,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        identified_at=incident.identified_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        updated_at=incident.updated_at,
        ack_due_at=incident.detected_at + level.ack_sla,
        resolve_due_at=incident.detected_at + level.resolve_sla,
        tta_seconds=_elapsed(incident.detected_at, incident.acknowledged_at),
        ttr_seconds=_elapsed(incident.detected_at, incident.resolved_at),
    )


def timeline_view(entry: TimelineEntry) -> TimelineEntryOut:
    """The API view of a timeline entry."""
    return TimelineEntryOut(
        id=entry.id, at=entry.at, actor=entry.actor, kind=entry.kind, data=entry.data
    )
