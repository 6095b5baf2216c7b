"""What every channel shares: the rendered message, where it goes, and how sending went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    """One rendered message; ``idempotency_key`` is the same on every retry of it."""

    kind: str
    idempotency_key: str
    incident_ref: str
    severity: str
    subject: str
    text: str
    url: str
    html: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Destination:
    """Where a message goes: a contact method's type and address, and its secret if any."""

    type: str
    address: str
    secret: str | None = None


@dataclass(frozen=True)
class SendResult:
    """How one attempt went; ``retryable`` failures are tried again, others fall over."""

    ok: bool
    retryable: bool = False
    detail: str = ""
    retry_after: float | None = None


class Channel(Protocol):
    """Sends messages of one destination type; never raises for a delivery problem."""

    type: str

    def send(self, message: Message, destination: Destination) -> SendResult:
        """Send once within the channel's timeout and report how it went."""
        ...
