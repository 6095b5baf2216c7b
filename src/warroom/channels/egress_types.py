"""The egress guard's contract: a callable that refuses a URL by raising ``EgressRefused``."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Guard = Callable[[str], None]
# Makes a fresh transport per request that connects only to the checked (pinned) address.
Transports = Callable[[], httpx.BaseTransport]


class EgressRefused(Exception):
    """Raised by an egress guard when a URL may not be reached; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_egress(guard: Guard | None, url: str) -> str | None:
    """Run the guard on ``url``; the refusal reason, or None when allowed."""
    if guard is None:
        return None
    try:
        guard(url)
    except EgressRefused as exc:
        return exc.reason
    return None
