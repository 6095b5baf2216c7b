"""API shapes of postmortems and action items."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.incidents.models import Incident
from warroom.postmortems.models import ActionItem, Postmortem


class PostmortemCreate(BaseModel):
    """Generate and store a draft postmortem for an incident."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(
        default=None, max_length=64, description="user handle; default: the incident commander"
    )


class PostmortemUpdate(BaseModel):
    """Replace the body, move the status (draft, in_review, published) or change the owner."""

    model_config = ConfigDict(extra="forbid")

    body: str | None = Field(default=None, description="the whole Markdown document")
    status: str | None = Field(default=None, max_length=32)
    owner: str | None = Field(default=None, max_length=64)


class PostmortemOut(BaseModel):
    """A postmortem and where it stands."""

    incident: str
    status: str
    owner: str | None
    body: str
    due_at: datetime | None
    overdue: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class ActionItemCreate(BaseModel):
    """A follow-up task for an incident."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    owner: str = Field(max_length=64, description="the owner's user handle")
    due: str = Field(
        max_length=64,
        description="YYYY-MM-DD (the end of that day in the display time zone) or an ISO time",
    )
    priority: str = Field(default="medium", max_length=16, description="high, medium or low")
    description: str = Field(default="", max_length=20000)


class ActionItemPatch(BaseModel):
    """Change some fields of an action item; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    owner: str | None = Field(default=None, max_length=64)
    due: str | None = Field(default=None, max_length=64)
    priority: str | None = Field(default=None, max_length=16)
    status: str | None = Field(
        default=None, max_length=16, description="open, in_progress, done or wont_do"
    )
    description: str | None = Field(default=None, max_length=20000)


class ActionItemOut(BaseModel):
    """An action item with links to its incident and postmortem."""

    id: int
    incident: str
    postmortem_url: str | None
    title: str
    description: str
    owner: str
    priority: str
    status: str
    due_at: datetime
    overdue: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class ActionItemPage(BaseModel):
    """A page of action items."""

    items: list[ActionItemOut]
    next_cursor: str | None


def postmortem_view(postmortem: Postmortem, incident: Incident, now: datetime) -> PostmortemOut:
    """The API view of a postmortem."""
    due_at = postmortem.due_at
    return PostmortemOut(
        incident=incident.ref,
        status=postmortem.status,
        owner=postmortem.owner.handle if postmortem.owner else None,
        body=postmortem.body,
        due_at=due_at,
        overdue=due_at is not None and postmortem.published_at is None and due_at <= now,
        created_by=postmortem.created_by,
        created_at=postmortem.created_at,
        updated_at=postmortem.updated_at,
        published_at=postmortem.published_at,
    )


def action_item_view(item: ActionItem, incident_ref: str, now: datetime) -> ActionItemOut:
    """The API view of an action item."""
    return ActionItemOut(
        id=item.id,
        incident=incident_ref,
        postmortem_url=(
            f"/api/v1/incidents/{incident_ref}/postmortem" if item.postmortem_id else None
        ),
        title=item.title,
        description=item.description,
        owner=item.owner.handle,
        priority=item.priority,
        status=item.status,
        due_at=item.due_at,
        overdue=item.completed_at is None and item.due_at <= now,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        completed_at=item.completed_at,
    )
