"""The severity scheme and the severity assessment."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from warroom.durations import format_duration
from warroom.severity import SeverityLevel
from warroom.web.deps import SchemeDep, Viewer
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["severities"])


class SeverityOut(BaseModel):
    """A severity level as the API shows it; durations in seconds and as text."""

    id: str
    name: str
    description: str
    aliases: list[str]
    rank: int
    ack_sla_seconds: int
    ack_sla: str
    resolve_sla_seconds: int
    resolve_sla: str
    internal_update_every_seconds: int | None
    public_update_first_seconds: int | None
    public_update_every_seconds: int | None
    postmortem_required: bool
    postmortem_due_seconds: int | None
    required_roles: list[str]


def _seconds(value: timedelta | None) -> int | None:
    return int(value.total_seconds()) if isinstance(value, timedelta) else None


def severity_view(level: SeverityLevel, rank: int) -> SeverityOut:
    """The API view of one level."""
    return SeverityOut(
        id=level.id,
        name=level.name,
        description=level.description,
        aliases=level.aliases,
        rank=rank,
        ack_sla_seconds=int(level.ack_sla.total_seconds()),
        ack_sla=format_duration(level.ack_sla),
        resolve_sla_seconds=int(level.resolve_sla.total_seconds()),
        resolve_sla=format_duration(level.resolve_sla),
        internal_update_every_seconds=_seconds(level.internal_update_every),
        public_update_first_seconds=_seconds(level.public_update_first),
        public_update_every_seconds=_seconds(level.public_update_every),
        postmortem_required=level.postmortem_required,
        postmortem_due_seconds=_seconds(level.postmortem_due),
        required_roles=level.required_roles,
    )


class SeverityList(BaseModel):
    """All levels, most severe first."""

    items: list[SeverityOut]


class AssessmentIn(BaseModel):
    """The runbooks' triage questions."""

    model_config = ConfigDict(extra="forbid")

    users_affected_pct: float = Field(ge=0, le=100)
    data_loss: StrictBool = False
    security: StrictBool = False
    workaround: StrictBool = False
    error_rate_pct: float | None = Field(default=None, ge=0, le=100)


class AssessmentOut(BaseModel):
    """The suggested level and why."""

    severity: str
    reason: str
    level: SeverityOut


@router.get("/severities")
def list_severities(scheme: SchemeDep, actor: Viewer) -> SeverityList:
    """The severity scheme with SLAs, update cadences and postmortem rules."""
    return SeverityList(items=[severity_view(level, i) for i, level in enumerate(scheme.levels)])


@router.post("/severities/assess")
def assess(body: AssessmentIn, scheme: SchemeDep, actor: Viewer) -> AssessmentOut:
    """Suggest a severity from the impact, following the runbooks' decision tree."""
    result = scheme.assess(**body.model_dump())
    rank = scheme.rank(result.level.id)
    return AssessmentOut(
        severity=result.level.id, reason=result.reason, level=severity_view(result.level, rank)
    )
