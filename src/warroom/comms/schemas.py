"""API shapes of status updates, update templates and incident subscribers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from warroom.comms.models import IncidentSubscriber, StatusUpdate
from warroom.comms.service import MAX_BODY, Posted
from warroom.comms.templates import TemplateInfo
from warroom.incidents.models import Incident


class StatusUpdateCreate(BaseModel):
    """Post an update: give ``body``, or ``template`` and the ``vars`` it needs."""

    model_config = ConfigDict(extra="forbid")

    audience: Literal["internal", "public"]
    status: str | None = Field(
        default=None,
        max_length=32,
        description="investigating, identified, monitoring or resolved; public updates default "
        "to the incident's status",
    )
    body: str | None = Field(default=None, max_length=MAX_BODY)
    template: str | None = Field(
        default=None, max_length=64, description="initial, update, resolution or a custom one"
    )
    vars: dict[str, str] = Field(
        default_factory=dict, description="values for the template's variables (cause, eta...)"
    )


class StatusUpdateOut(BaseModel):
    """An update as posted; ``notified``, ``slack_channel`` and ``published`` only on POST."""

    id: int
    incident: str
    audience: str
    status: str | None
    body: str
    template: str | None
    vars: dict[str, str]
    author: str
    created_at: datetime
    notified: list[str] | None = None
    slack_channel: str | None = None
    published: bool | None = None


class StatusUpdatePage(BaseModel):
    """A page of updates, newest first."""

    items: list[StatusUpdateOut]
    next_cursor: str | None


class UpdateTemplateOut(BaseModel):
    """A template and the variables a caller must and may give it."""

    name: str
    audience: str
    required: list[str]
    optional: list[str]


class UpdateTemplateList(BaseModel):
    """Every update template."""

    items: list[UpdateTemplateOut]
    next_cursor: None = None


class IncidentSubscriberChange(BaseModel):
    """Follow or stop following an incident; without ``user``, the token's own user."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(default=None, max_length=64, description="the user's handle")


class IncidentSubscriberOut(BaseModel):
    """A user following an incident."""

    user: str
    name: str
    subscribed_at: datetime


class IncidentSubscriberPage(BaseModel):
    """An incident's subscribers, first subscribed first."""

    items: list[IncidentSubscriberOut]
    next_cursor: None = None


def update_view(update: StatusUpdate, incident: Incident) -> StatusUpdateOut:
    """The API view of an update."""
    return StatusUpdateOut(
        id=update.id,
        incident=incident.ref,
        audience=update.audience,
        status=update.status,
        body=update.body,
        template=update.template,
        vars=dict(update.vars or {}),
        author=update.author,
        created_at=update.created_at,
    )


def posted_view(posted: Posted, incident: Incident) -> StatusUpdateOut:
    """The API view of an update just posted, with where it went."""
    view = update_view(posted.update, incident)
    return view.model_copy(
        update={
            "notified": posted.notified,
            "slack_channel": posted.slack_channel,
            "published": posted.published,
        }
    )


def template_view(info: TemplateInfo) -> UpdateTemplateOut:
    """The API view of a template."""
    return UpdateTemplateOut(
        name=info.name, audience=info.audience, required=info.required, optional=info.optional
    )


def subscriber_view(subscription: IncidentSubscriber) -> IncidentSubscriberOut:
    """The API view of a subscription."""
    return IncidentSubscriberOut(
        user=subscription.user.handle,
        name=subscription.user.name,
        subscribed_at=subscription.created_at,
    )
