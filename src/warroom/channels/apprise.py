"""Apprise channel: everything else (Teams, Discord, Telegram, ntfy, Pushover…) by Apprise URL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import apprise

from warroom.channels.base import Destination, Message, SendResult
from warroom.channels.egress_types import Guard, check_egress
from warroom.config import Settings


def egress_targets(plugin: Any, url: str) -> list[str]:
    """The URLs to put past the egress guard before ``plugin`` (built from ``url``) notifies."""
    targets: list[str] = []
    fixed = getattr(type(plugin), "notify_url", None)
    if getattr(plugin, "mode", None) == "cloud":
        fixed = getattr(type(plugin), "cloud_notify_url", None) or fixed
    has_fixed = isinstance(fixed, str) and fixed.startswith(("http://", "https://"))
    if has_fixed:
        targets.append(str(fixed))
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    # With a fixed service URL the "host" is often an id or token (discord://ID/TOKEN), but a
    # few plugins also take a self-hosted server: guard anything that looks like a host name.
    if host and (not has_fixed or "." in host or ":" in host or host == "localhost"):
        targets.append(url)
    return targets


def plugin_for(url: str) -> Any | None:
    """Apprise's plugin for ``url``, or None when Apprise does not understand it."""
    try:
        return apprise.Apprise.instantiate(url.strip())
    except Exception:  # apprise plugins may raise anything on a malformed URL
        return None


def reachable_targets(url: str) -> list[str] | None:
    """The URLs a notification to ``url`` reaches (for the egress guard); None if not Apprise."""
    plugin = plugin_for(url)
    return None if plugin is None else egress_targets(plugin, url.strip())


class AppriseChannel:
    """Notifies one Apprise URL per destination, within the delivery timeout."""

    type = "apprise"

    def __init__(
        self,
        settings: Settings,
        *,
        guard: Guard | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._timeout = settings.delivery_timeout
        self._guard = guard

    def send(self, message: Message, destination: Destination) -> SendResult:
        """Notify the destination's Apprise URL once."""
        url = destination.address.strip()
        plugin = plugin_for(url)
        if plugin is None:
            return SendResult(ok=False, detail="not an Apprise URL apprise understands")
        for target in egress_targets(plugin, url):
            refused = check_egress(self._guard, target)
            if refused is not None:
                return SendResult(ok=False, detail=f"refused: {refused}")
        plugin.socket_connect_timeout = self._timeout
        plugin.socket_read_timeout = self._timeout
        plugin.redirects = False
        notifier = apprise.Apprise()
        notifier.add(plugin)
        outcome: list[bool] = []

        def run() -> None:
            try:
                outcome.append(
                    bool(
                        notifier.notify(
                            body=message.text or message.subject,
                            title=message.subject,
                            body_format=apprise.NotifyFormat.TEXT,
                        )
                    )
                )
            except Exception:  # a plugin bug is a failed attempt, not a crash of delivery
                outcome.append(False)

        worker = threading.Thread(target=run, name="warroom-apprise", daemon=True)
        worker.start()
        # Apprise has no overall deadline; a plugin stuck past it is left to finish alone.
        worker.join(self._timeout)
        if worker.is_alive():
            return SendResult(ok=False, retryable=True, detail="timed out")
        if outcome and outcome[0]:
            return SendResult(ok=True, detail="apprise reported success")
        return SendResult(ok=False, retryable=True, detail="apprise reported failure")
