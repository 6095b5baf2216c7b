"""Request bodies of the status page admin API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusComponentCreate(_Body):
    """A new component or group."""

    name: str = Field(max_length=200)
    description: str = ""
    group: bool = Field(default=False, description="true makes a group other components join")
    group_id: str | None = Field(default=None, description="the group this component belongs to")
    position: int | None = None
    showcase: bool = True
    only_show_if_degraded: bool = False
    start_date: date | None = None
    status: str = "operational"
    services: list[str] = Field(
        default_factory=list, description="warroom services whose incidents affect it"
    )
    follow_incidents: bool = Field(
        default=True, description="move its status with the impact of its public incidents"
    )


class StatusComponentPatch(_Body):
    """Fields to change; status changes are announced to subscribers."""

    name: str | None = Field(default=None, max_length=200)
    description: str | None = None
    group_id: str | None = None
    position: int | None = None
    showcase: bool | None = None
    only_show_if_degraded: bool | None = None
    start_date: date | None = None
    status: str | None = None
    services: list[str] | None = None
    follow_incidents: bool | None = None


class StatusIncidentCreate(_Body):
    """A public incident: for an internal incident (by ref) or standing alone."""

    incident_ref: str | None = Field(
        default=None, description="publish for this internal incident (name and impact follow it)"
    )
    name: str | None = Field(default=None, max_length=500)
    status: str = "investigating"
    body: str
    impact: str | None = Field(default=None, description="none, minor, major or critical")
    components: list[str] = Field(default_factory=list, description="component ids")
    deliver_notifications: bool = True


class StatusUpdateCreate(_Body):
    """An update of a public incident or maintenance."""

    status: str
    body: str
    impact: str | None = None
    deliver_notifications: bool = True


class StatusMaintenanceCreate(_Body):
    """A scheduled maintenance window."""

    name: str = Field(max_length=500)
    body: str
    scheduled_for: datetime
    scheduled_until: datetime
    components: list[str] = Field(default_factory=list, description="component ids")
    deliver_notifications: bool = True
