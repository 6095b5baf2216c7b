"""API shapes of escalation policies, services, an incident's escalation and the stakeholders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warroom.escalation.models import EscalationPolicy, IncidentEscalation, StakeholderRule
from warroom.escalation.policies import StepSpec, steps_text
from warroom.escalation.stakeholders import RuleSpec, rule_text
from warroom.pipeline.group import rule_from_json
from warroom.services.models import Service


class TargetIn(BaseModel):
    """Exactly one of: a user's handle, a schedule's name (whoever is on call), an incident role."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(default=None, max_length=64)
    schedule: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=64, examples=["incident_commander"])


class StepIn(BaseModel):
    """Page the targets ``after`` the previous step (the first step: after the trigger)."""

    model_config = ConfigDict(extra="forbid")

    after: str = Field(max_length=32, description="0s, 90s, 15m, 2h, ...")
    targets: list[TargetIn] = Field(max_length=20)

    def spec(self) -> StepSpec:
        """The service's form of this step."""
        return StepSpec(after=self.after, targets=[t.model_dump() for t in self.targets])


class PolicyReplace(BaseModel):
    """A policy's steps, repeat and description."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=2000)
    repeat: int = Field(default=0, ge=0, le=9, description="extra rounds after the last step")
    steps: list[StepIn] = Field(max_length=20)


class PolicyCreate(PolicyReplace):
    """Add an escalation policy."""

    name: str = Field(max_length=64, description="slug: lowercase letters, digits and '-'")


class StepOut(BaseModel):
    """A step."""

    after: str
    targets: list[dict[str, str]]


class PolicyOut(BaseModel):
    """An escalation policy and the services that page by it."""

    name: str
    description: str
    repeat: int
    steps: list[StepOut]
    services: list[str]
    created_at: datetime
    updated_at: datetime


class PolicyList(BaseModel):
    """All escalation policies."""

    items: list[PolicyOut]
    next_cursor: str | None = None


class GroupingIn(BaseModel):
    """How a service's alerts group into incidents; fields left out take the default."""

    model_config = ConfigDict(extra="forbid")

    mode: str | None = Field(default=None, description="content, time or none")
    labels: list[str] | None = Field(
        default=None, max_length=20, description="content mode: alerts with the same values join"
    )
    window_seconds: int | None = Field(
        default=None, description="joins an incident whose last alert is this recent (60-604800)"
    )


class GroupingOut(BaseModel):
    """A service's grouping rule (the default when none was set)."""

    mode: str
    labels: list[str]
    window_seconds: int


class ServiceReplace(BaseModel):
    """A service's description, escalation policy and alert grouping."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=2000)
    escalation_policy: str | None = Field(default=None, max_length=64)
    grouping: GroupingIn | None = Field(
        default=None, description="omitted: content grouping on alertname within 30 minutes"
    )

    def grouping_rule(self) -> dict[str, Any] | None:
        """The grouping as the service functions take it."""
        return None if self.grouping is None else self.grouping.model_dump(exclude_none=True)


class ServiceCreate(ServiceReplace):
    """Register a service."""

    name: str = Field(max_length=200, description="as incidents name it in their service field")


class ServiceOut(BaseModel):
    """A service."""

    name: str
    description: str
    escalation_policy: str | None
    grouping: GroupingOut
    created_at: datetime
    updated_at: datetime


class ServiceList(BaseModel):
    """All services."""

    items: list[ServiceOut]
    next_cursor: str | None = None


class EscalationOut(BaseModel):
    """An incident's escalation: the policy as it was at trigger time and the next step due."""

    policy: str
    state: str
    repeat: int
    steps: list[StepOut]
    next_step: int | None = Field(description="counted from 1; null once stopped or exhausted")
    round: int
    next_at: datetime | None
    started_at: datetime
    updated_at: datetime


class EscalatedOut(BaseModel):
    """Who a manual escalation paged, and the escalation after it."""

    paged: list[str]
    escalation: EscalationOut


def _steps(steps: list[dict[str, Any]]) -> list[StepOut]:
    return [StepOut(**s) for s in steps_text(steps)]


def policy_view(policy: EscalationPolicy, services: list[str]) -> PolicyOut:
    """The API view of a policy."""
    return PolicyOut(
        name=policy.name,
        description=policy.description,
        repeat=policy.repeat,
        steps=_steps(policy.steps),
        services=services,
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


def service_view(service: Service) -> ServiceOut:
    """The API view of a service."""
    policy = service.escalation_policy
    return ServiceOut(
        name=service.name,
        description=service.description,
        escalation_policy=policy.name if policy else None,
        grouping=GroupingOut(**rule_from_json(service.grouping).as_json()),
        created_at=service.created_at,
        updated_at=service.updated_at,
    )


def escalation_view(escalation: IncidentEscalation) -> EscalationOut:
    """The API view of an incident's escalation."""
    active = escalation.state == "active"
    return EscalationOut(
        policy=escalation.policy,
        state=escalation.state,
        repeat=escalation.repeat,
        steps=_steps(escalation.steps),
        next_step=escalation.step_index + 1 if active else None,
        round=escalation.round,
        next_at=escalation.next_at,
        started_at=escalation.started_at,
        updated_at=escalation.updated_at,
    )


class NotifyIn(BaseModel):
    """Exactly one of: a user's handle, or an incident role (whoever holds it then)."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=64, examples=["incident_commander"])


class RuleIn(BaseModel):
    """Inform these people when an open incident of ``severity`` is ``after`` old."""

    model_config = ConfigDict(extra="forbid")

    severity: str = Field(max_length=16, examples=["P1"])
    after: str = Field(max_length=32, description="age from detection: 15m, 2h, ...")
    notify: list[NotifyIn] = Field(max_length=20)

    def spec(self) -> RuleSpec:
        """The service's form of this rule."""
        return RuleSpec(
            severity=self.severity,
            after=self.after,
            notify=[t.model_dump() for t in self.notify],
        )


class MatrixIn(BaseModel):
    """The whole stakeholder matrix; it replaces the current one."""

    model_config = ConfigDict(extra="forbid")

    rules: list[RuleIn] = Field(max_length=100)


class RuleOut(BaseModel):
    """A rule of the matrix."""

    severity: str
    after: str
    notify: list[dict[str, str]]


class MatrixOut(BaseModel):
    """The stakeholder matrix in the order it was given."""

    rules: list[RuleOut]


def matrix_view(rules: list[StakeholderRule]) -> MatrixOut:
    """The API view of the matrix."""
    return MatrixOut(rules=[RuleOut(**rule_text(r)) for r in rules])


class ReassignIn(BaseModel):
    """Who takes the incident over: a user, or an escalation policy that pages from its step 1."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(default=None, description="handle of the user to page now")
    escalation_policy: str | None = Field(default=None, description="policy to page by from now")
