"""API shapes of schedules, layers, overrides and shifts."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from warroom.oncall.layers import LayerSpec, RestrictionSpec, length_text
from warroom.oncall.models import Layer, Override, Schedule
from warroom.oncall.service import OnCall, Shift


class RestrictionIn(BaseModel):
    """Local hours on some weekdays when the layer has someone on call."""

    model_config = ConfigDict(extra="forbid")

    days: list[str] = Field(max_length=7, description="mon, tue, wed, thu, fri, sat, sun")
    start: str = Field(max_length=5, description="local time, e.g. 09:00")
    end: str = Field(
        max_length=5, description="local time, e.g. 17:00; at or before start wraps past midnight"
    )


class LayerIn(BaseModel):
    """A rotation: users take turns from the hand-off, every day, week or ``length``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64)
    kind: str = Field(description="daily, weekly or custom")
    length: str | None = Field(default=None, description="custom rotations only: 12h, 3d, ...")
    handoff: str = Field(
        max_length=32, description="local date-time of the first hand-off, e.g. 2025-11-03T09:00"
    )
    users: list[str] = Field(max_length=100, description="handles in turn order")
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=20)

    def spec(self) -> LayerSpec:
        """The service's form of this layer."""
        return LayerSpec(
            name=self.name,
            kind=self.kind,
            handoff=self.handoff,
            users=self.users,
            length=self.length,
            restrictions=[RestrictionSpec(r.days, r.start, r.end) for r in self.restrictions],
        )


class ScheduleReplace(BaseModel):
    """A schedule's zone, description and layers (lowest first; a later layer wins)."""

    model_config = ConfigDict(extra="forbid")

    time_zone: str = Field(max_length=64, description="IANA name, e.g. Europe/Berlin")
    description: str = Field(default="", max_length=2000)
    layers: list[LayerIn] = Field(max_length=20)


class ScheduleCreate(ScheduleReplace):
    """Add a schedule."""

    name: str = Field(max_length=64, description="slug: lowercase letters, digits and '-'")


class OverrideCreate(BaseModel):
    """Put someone on call instead of the layers for a while."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(max_length=64, description="the user's handle")
    start: AwareDatetime
    end: AwareDatetime


class RestrictionOut(BaseModel):
    """Restricted hours of a layer."""

    days: list[str]
    start: str
    end: str


class LayerOut(BaseModel):
    """A layer."""

    name: str
    kind: str
    length: str | None
    handoff: str
    users: list[str]
    restrictions: list[RestrictionOut]


class ShiftOut(BaseModel):
    """A user on call from start to end; source is ``override`` or the rotation's name."""

    user: str
    start: datetime
    end: datetime
    source: str


class ShiftList(BaseModel):
    """Shifts in time order."""

    items: list[ShiftOut]
    next_cursor: str | None = None


class OnCallOut(BaseModel):
    """Who is on call at a moment, until when, and the next shift."""

    schedule: str
    at: datetime
    users: list[str]
    until: datetime | None
    next: ShiftOut | None


class ScheduleOut(BaseModel):
    """A schedule; reading one schedule adds who is on call now and the next shift."""

    name: str
    time_zone: str
    description: str
    layers: list[LayerOut]
    created_at: datetime
    updated_at: datetime
    on_call: OnCallOut | None = None


class ScheduleList(BaseModel):
    """All schedules."""

    items: list[ScheduleOut]
    next_cursor: str | None = None


class OverrideOut(BaseModel):
    """An override."""

    id: int
    schedule: str
    user: str
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime


class OverrideList(BaseModel):
    """A schedule's overrides by start."""

    items: list[OverrideOut]
    next_cursor: str | None = None


def layer_view(layer: Layer) -> LayerOut:
    """The API view of a layer."""
    return LayerOut(
        name=layer.name,
        kind=layer.kind,
        length=length_text(layer),
        handoff=layer.handoff,
        users=[m.user.handle for m in layer.members],
        restrictions=[RestrictionOut(**r) for r in layer.restrictions],
    )


def shift_view(shift: Shift) -> ShiftOut:
    """The API view of a shift."""
    return ShiftOut(user=shift.user.handle, start=shift.start, end=shift.end, source=shift.source)


def on_call_view(schedule: Schedule, at: datetime, on_call: OnCall) -> OnCallOut:
    """The API view of who is on call."""
    return OnCallOut(
        schedule=schedule.name,
        at=at,
        users=[u.handle for u in on_call.users],
        until=on_call.until,
        next=shift_view(on_call.next) if on_call.next else None,
    )


def schedule_view(schedule: Schedule, on_call: OnCallOut | None = None) -> ScheduleOut:
    """The API view of a schedule."""
    return ScheduleOut(
        name=schedule.name,
        time_zone=schedule.time_zone,
        description=schedule.description,
        layers=[layer_view(layer) for layer in schedule.layers],
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
        on_call=on_call,
    )


def override_view(schedule: Schedule, override: Override) -> OverrideOut:
    """The API view of an override."""
    return OverrideOut(
        id=override.id,
        schedule=schedule.name,
        user=override.user.handle,
        start=override.start_at,
        end=override.end_at,
        created_by=override.created_by,
        created_at=override.created_at,
    )
