"""The analytics report as the API returns it; durations in seconds, times in UTC."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Filters(BaseModel):
    """The filters the figures were computed with; None means all."""

    service: str | None
    severity: str | None = Field(description="the severity level id the alias named")


class SeverityCount(BaseModel):
    """Incidents of one severity level."""

    severity: str
    count: int


class ServiceCount(BaseModel):
    """Incidents of one service; None gathers incidents declared without one."""

    service: str | None
    count: int


class WeekCount(BaseModel):
    """Incidents detected in one ISO week (Monday 00:00 UTC onwards)."""

    week: str = Field(description="ISO week such as 2026-W47")
    starts_at: datetime
    count: int


class IncidentCounts(BaseModel):
    """How many incidents, by severity, by service and by ISO week."""

    total: int
    by_severity: list[SeverityCount]
    by_service: list[ServiceCount]
    by_week: list[WeekCount]


class DurationStats(BaseModel):
    """Mean and nearest-rank percentiles of durations, over ``count`` incidents."""

    count: int
    mean_seconds: float | None
    p50_seconds: float | None
    p90_seconds: float | None


class AckTimes(DurationStats):
    """Time from detected to acknowledged; incidents never acknowledged are only counted."""

    unacknowledged: int


class ResolveTimes(DurationStats):
    """Time from detected to resolved; incidents not resolved are only counted."""

    unresolved: int


class SeverityAckTimes(AckTimes):
    """Time to acknowledge for one severity level."""

    severity: str


class SeverityResolveTimes(ResolveTimes):
    """Time to resolve for one severity level."""

    severity: str


class Mtta(BaseModel):
    """Mean (and percentile) time to acknowledge, overall and per severity."""

    overall: AckTimes
    by_severity: list[SeverityAckTimes]


class Mttr(BaseModel):
    """Mean (and percentile) time to resolve, overall and per severity."""

    overall: ResolveTimes
    by_severity: list[SeverityResolveTimes]


class SlaCompliance(BaseModel):
    """How one severity level's incidents fared against one SLA target."""

    severity: str
    target_seconds: float
    met: int
    breached: int
    not_yet_due: int = Field(description="still open and the target has not passed yet")
    compliance_pct: float | None = Field(
        description="met / (met + breached) x 100, two decimals; null when none is decided"
    )


class SlaReport(BaseModel):
    """Acknowledge and resolve SLA compliance per severity level."""

    ack: list[SlaCompliance]
    resolve: list[SlaCompliance]


class OncallLoad(BaseModel):
    """Pages one person received, and how many of them came outside business hours."""

    user: str
    name: str
    time_zone: str
    pages: int
    out_of_hours_pages: int


class NoisyAlert(BaseModel):
    """Alerts of one integration sharing an alertname (or title when they have none)."""

    integration: str
    alert: str
    occurrences: int = Field(description="events received: the sum of the alerts' event counts")
    alerts: int
    incidents: int = Field(description="distinct incidents these alerts attached to")


class AnalyticsReport(BaseModel):
    """Every figure over the incidents detected in [from, to)."""

    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    generated_at: datetime
    filters: Filters
    incidents: IncidentCounts
    mtta: Mtta
    mttr: Mttr
    sla: SlaReport
    oncall: list[OncallLoad]
    noisy_alerts: list[NoisyAlert]
