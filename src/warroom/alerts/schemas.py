"""API shapes of integrations, alerts, silences and maintenance windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from warroom.alerts.integrations import SOURCES, ingest_url
from warroom.alerts.models import Alert, Integration, Suppression
from warroom.durations import parse_duration
from warroom.errors import ValidationFailed


class IntegrationPatch(BaseModel):
    """Change an integration; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None
    options: dict[str, Any] | None = Field(
        default=None, description="replaces every option; see the create request"
    )
    secret: str | None = Field(default=None, max_length=256, description="grafana only")
    clear_secret: bool = False


class IntegrationCreate(BaseModel):
    """Add an integration: a sender, its wire format and the service its alerts belong to."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, description="slug: lowercase letters, digits and '-'")
    source: str = Field(max_length=32, description=", ".join(SOURCES))
    service: str = Field(max_length=200)
    key: str | None = Field(
        default=None,
        max_length=256,
        description="keep an existing key (e.g. a PagerDuty routing key); generated when omitted",
    )
    secret: str | None = Field(default=None, max_length=256, description="grafana HMAC secret")
    options: dict[str, Any] | None = Field(
        default=None,
        description="rate_limit_per_minute; grafana: signature_header, timestamp_header; "
        "cloudwatch: topic_arns; statuspage: url, poll_interval_seconds",
    )


class KeyRotation(BaseModel):
    """A new key for an integration; generated when omitted."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, max_length=256)


class IntegrationOut(BaseModel):
    """An integration; its key is never shown again after create or rotate."""

    name: str
    source: str
    service: str
    enabled: bool
    ingest_url: str | None
    key_hint: str = Field(description="the key's last 4 characters")
    has_secret: bool
    options: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class IntegrationCreated(IntegrationOut):
    """An integration with its key, shown this once."""

    key: str


class IntegrationList(BaseModel):
    """All integrations."""

    items: list[IntegrationOut]
    next_cursor: str | None = None


def _integration_fields(integration: Integration, base_url: str, key: str | None) -> dict[str, Any]:
    return {
        "name": integration.name,
        "source": integration.source,
        "service": integration.service.name,
        "enabled": integration.enabled,
        "ingest_url": ingest_url(integration, base_url, key),
        "key_hint": integration.key_hint,
        "has_secret": integration.secret is not None,
        "options": integration.options,
        "created_at": integration.created_at,
        "updated_at": integration.updated_at,
    }


def integration_view(integration: Integration, base_url: str) -> IntegrationOut:
    """The API view of an integration, without its key."""
    return IntegrationOut(**_integration_fields(integration, base_url, None))


def created_view(integration: Integration, base_url: str, key: str) -> IntegrationCreated:
    """The API view right after create or rotate: with the key, once."""
    return IntegrationCreated(**_integration_fields(integration, base_url, key), key=key)


class AlertOut(BaseModel):
    """An alert as the sender reported it, and the incident it opened or joined."""

    id: int
    integration: str
    source_format: str
    dedup_key: str
    status: str
    severity: str
    title: str
    description: str
    service: str | None
    resource: str | None
    labels: dict[str, str]
    links: list[dict[str, str]]
    started_at: datetime
    ended_at: datetime | None
    last_event_at: datetime
    event_count: int
    incident_ref: str | None
    suppressed_by: int | None = Field(description="the silence or maintenance window's id")


class AlertDetail(AlertOut):
    """An alert with the sender's last body."""

    raw: Any


class AlertPage(BaseModel):
    """A page of alerts, newest first."""

    items: list[AlertOut]
    next_cursor: str | None = None


def _alert_fields(alert: Alert, incident_ref: str | None) -> dict[str, Any]:
    return {
        "id": alert.id,
        "integration": alert.integration.name,
        "source_format": alert.source_format,
        "dedup_key": alert.dedup_key,
        "status": alert.status,
        "severity": alert.severity,
        "title": alert.title,
        "description": alert.description,
        "service": alert.service,
        "resource": alert.resource,
        "labels": alert.labels,
        "links": alert.links,
        "started_at": alert.started_at,
        "ended_at": alert.ended_at,
        "last_event_at": alert.last_event_at,
        "event_count": alert.event_count,
        "incident_ref": incident_ref,
        "suppressed_by": alert.suppressed_by,
    }


def alert_view(alert: Alert, incident_ref: str | None) -> AlertOut:
    """The API view of an alert."""
    return AlertOut(**_alert_fields(alert, incident_ref))


def alert_detail(alert: Alert, incident_ref: str | None) -> AlertDetail:
    """The API view of an alert with the sender's last body."""
    return AlertDetail(**_alert_fields(alert, incident_ref), raw=alert.raw)


class MatcherIn(BaseModel):
    """A label matcher: ``=`` equal, ``!=`` not equal, ``=~`` / ``!~`` anchored regex."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    value: str = Field(max_length=1000)
    op: str = Field(default="=", examples=["=", "!=", "=~", "!~"])


class SilenceCreate(BaseModel):
    """Silence alerts whose labels match every matcher; give ends_at or a duration."""

    model_config = ConfigDict(extra="forbid")

    matchers: list[MatcherIn] = Field(max_length=50)
    service: str | None = Field(default=None, max_length=200)
    starts_at: AwareDatetime | None = Field(default=None, description="now when omitted")
    ends_at: AwareDatetime | None = None
    duration: str | None = Field(default=None, max_length=32, examples=["2h"])
    comment: str = Field(max_length=2000)

    def end(self, start: datetime) -> datetime:
        """When the silence ends: ``ends_at``, or ``duration`` after ``start``."""
        if (self.ends_at is None) == (self.duration is None):
            raise ValidationFailed.for_field("ends_at", "give exactly one of ends_at or duration")
        if self.ends_at is not None:
            return self.ends_at
        try:
            length: timedelta = parse_duration(self.duration or "")
        except ValueError as exc:
            raise ValidationFailed.for_field("duration", str(exc)) from None
        return start + length


class MaintenanceCreate(BaseModel):
    """A maintenance window: the service's alerts open no incident while it lasts."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    description: str = Field(default="", max_length=2000)


class SuppressionOut(BaseModel):
    """A silence or a maintenance window."""

    id: int
    kind: str
    service: str | None
    matchers: list[dict[str, str]]
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    created_at: datetime


class SuppressionList(BaseModel):
    """Silences or maintenance windows, newest first."""

    items: list[SuppressionOut]
    next_cursor: str | None = None


def suppression_view(suppression: Suppression) -> SuppressionOut:
    """The API view of a silence or maintenance window."""
    return SuppressionOut(
        id=suppression.id,
        kind=suppression.kind,
        service=suppression.service,
        matchers=suppression.matchers,
        starts_at=suppression.starts_at,
        ends_at=suppression.ends_at,
        comment=suppression.comment,
        created_by=suppression.created_by,
        created_at=suppression.created_at,
    )
