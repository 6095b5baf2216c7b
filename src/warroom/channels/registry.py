"""The channel registry: one instance of each channel, looked up by destination type."""

from __future__ import annotations

from collections.abc import Callable

from warroom.channels.apprise import AppriseChannel
from warroom.channels.base import Channel
from warroom.channels.egress_types import Guard
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
) -> dict[str, Channel]:
    """One channel of each type keyed by its ``type``, sharing the egress guard and clock."""
    built: dict[str, Channel] = {}
    for cls in CHANNEL_CLASSES:
        built[cls.type] = cls(settings, guard=guard, clock=clock)
    return built
