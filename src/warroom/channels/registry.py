"""The channel registry: one instance of each channel, looked up by destination type."""

from __future__ import annotations

from collections.abc import Callable

from warroom.channels.apprise import AppriseChannel
from warroom.channels.base import Channel
from warroom.channels.egress_types import Guard, Transports
from warroom.channels.email import EmailChannel
from warroom.channels.slack import SlackChannel
from warroom.channels.webhook import WebhookChannel
from warroom.config import Settings

CHANNEL_CLASSES = (EmailChannel, SlackChannel, WebhookChannel, AppriseChannel)


def channels(
    settings: Settings,
    *,
    guard: Guard | None = None,
    clock: Callable[[], float] | None = None,
    transport: Transports | None = None,
) -> dict[str, Channel]:
    """One channel of each type keyed by its ``type``; HTTP ones connect through ``transport``."""
    return {
        EmailChannel.type: EmailChannel(settings, guard=guard, clock=clock),
        SlackChannel.type: SlackChannel(settings, guard=guard, clock=clock, transport=transport),
        WebhookChannel.type: WebhookChannel(
            settings, guard=guard, clock=clock, transport=transport
        ),
        AppriseChannel.type: AppriseChannel(settings, guard=guard, clock=clock),
    }
