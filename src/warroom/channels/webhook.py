"""Webhook channel: a JSON POST signed per the Standard Webhooks spec, plus shared HTTP helpers."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from warroom.channels.base import Destination, Message, SendResult
from warroom.channels.egress_types import EgressRefused, Guard, Transports, check_egress
from warroom.config import Settings

PAYLOAD_VERSION = "1"
USER_AGENT = "warroom"


def payload_schema() -> dict[str, Any]:
    """The JSON Schema of the payload warroom POSTs to webhooks (version 1)."""
    text = {"type": "string"}
    maybe_text = {"type": ["string", "null"]}
    maybe_int = {"type": ["integer", "null"]}
    incident = {
        "type": "object",
        "required": ["ref", "severity", "title", "url"],
        "properties": {
            "ref": text,
            "title": text,
            "severity": {**text, "description": "P1 (highest) to P4"},
            "severity_name": maybe_text,
            "status": maybe_text,
            "service": maybe_text,
            "url": text,
            "api_url": maybe_text,
            "detected_at": {**maybe_text, "format": "date-time"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "warroom webhook payload",
        "type": "object",
        "required": ["version", "type", "id", "incident", "text"],
        "properties": {
            "version": {"const": PAYLOAD_VERSION, "description": "payload schema version"},
            "type": {
                **text,
                "description": "page, inform, sla_breach, escalated, acknowledged, resolved, "
                "status_update, reminder, update_due, postmortem_due, action_overdue, bundle "
                "or test",
            },
            "id": {**text, "description": "idempotency key, the same on every retry"},
            "sent_for": {
                "type": "object",
                "properties": {"step": maybe_int, "round": maybe_int},
                "description": "the escalation step and round that paged, for pages",
            },
            "incident": incident,
            "runbook": {
                "type": ["object", "null"],
                "description": "the runbook section matched to the incident, if any",
            },
            "subject": text,
            "text": {**text, "description": "plain-text rendering of the message"},
            "bundle": {
                "type": "object",
                "properties": {"count": {"type": "integer"}, "refs": {"type": "array"}},
            },
        },
    }


def build_payload(message: Message) -> dict[str, Any]:
    """The documented payload for a message (see ``payload_schema``)."""
    return {
        "version": PAYLOAD_VERSION,
        "type": message.kind,
        "id": message.idempotency_key,
        "incident": {
            "ref": message.incident_ref,
            "severity": message.severity,
            "title": message.subject,
            "url": message.url,
        },
        "text": message.text,
    }


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or HTTP date), if usable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _snippet(text: str) -> str:
    printable = "".join(c if c.isprintable() else " " for c in text.strip())
    return printable[:80]


def result_for_status(status: int, headers: Mapping[str, str], body: str, now: float) -> SendResult:
    """Map an HTTP answer to a result: 2xx ok; 429/503 and 5xx retry; 3xx and other 4xx final."""
    hint = _snippet(body)
    detail = f"HTTP {status}" + (f": {hint}" if hint else "")
    if 200 <= status < 300:
        return SendResult(ok=True, detail=f"HTTP {status}")
    if status in (429, 503):
        wait = parse_retry_after(headers.get("retry-after"), now)
        return SendResult(ok=False, retryable=True, detail=detail, retry_after=wait)
    if 300 <= status < 400:
        return SendResult(ok=False, detail=f"HTTP {status}: redirects are not followed")
    return SendResult(ok=False, retryable=status >= 500, detail=detail)


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    now: float,
    client: httpx.Client | None = None,
) -> SendResult:
    """POST a body once without following redirects and report how it went."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        return SendResult(ok=False, detail="the address is not an http(s) URL")
    try:
        if client is None:
            with httpx.Client(timeout=timeout, follow_redirects=False) as own:
                response = own.post(url, content=body, headers=dict(headers))
        else:
            response = client.post(url, content=body, headers=dict(headers))
    except EgressRefused as exc:
        return SendResult(ok=False, detail=f"refused: {exc.reason}")
    except httpx.TimeoutException:
        return SendResult(ok=False, retryable=True, detail="timed out")
    except httpx.UnsupportedProtocol:
        return SendResult(ok=False, detail="the address is not an http(s) URL")
    except httpx.TransportError as exc:
        failure = f"connection failed: {type(exc).__name__}"
        return SendResult(ok=False, retryable=True, detail=failure)
    except httpx.InvalidURL:
        return SendResult(ok=False, detail="the address is not a valid URL")
    return result_for_status(response.status_code, response.headers, response.text, now)


class ClientPool:
    """One HTTP client per destination host, reused across sends (a client per send costs ~20 ms).

    Per host, because pinned connections are pooled by address: two names on one address must
    not share a TLS connection made for the other's name.
    """

    def __init__(self, timeout: float, transport: Transports | None, size: int = 64) -> None:
        self.timeout = timeout
        self.transport = transport
        self.size = size
        self._clients: OrderedDict[str, httpx.Client] = OrderedDict()
        self._lock = threading.Lock()

    def client_for(self, url: str) -> httpx.Client:
        """The client for the URL's host, made on first use."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"
        with self._lock:
            client = self._clients.get(host)
            if client is None:
                pinned = self.transport() if self.transport is not None else None
                client = httpx.Client(
                    timeout=self.timeout, follow_redirects=False, transport=pinned
                )
                self._clients[host] = client
                if len(self._clients) > self.size:
                    # Closing could cut a send in flight on another thread; let it be collected.
                    self._clients.popitem(last=False)
            self._clients.move_to_end(host)
            return client


def sign(secrets: str, msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,<sig>`` per space-separated secret."""
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return " ".join(Webhook(secret).sign(msg_id, when, body) for secret in secrets.split())


class WebhookChannel:
    """POSTs JSON to a URL with Standard Webhooks headers; secrets rotate by listing two."""

    type = "webhook"

    def __init__(
        self,
        settings: Settings,
        *,
        guard: Guard | None = None,
        clock: Callable[[], float] | None = None,
        transport: Transports | None = None,
    ) -> None:
        self._timeout = settings.delivery_timeout
        self._guard = guard
        self._clock = clock or time.time
        self._clients = ClientPool(self._timeout, transport)

    def send(self, message: Message, destination: Destination) -> SendResult:
        """POST the message's payload once to the destination URL."""
        payload = message.payload or build_payload(message)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        now = self._clock()
        timestamp = int(now)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message.idempotency_key,
            "webhook-timestamp": str(timestamp),
        }
        if destination.secret and destination.secret.strip():
            try:
                headers["webhook-signature"] = sign(
                    destination.secret, message.idempotency_key, timestamp, body
                )
            except (ValueError, EmptyWebhookSecretError, RuntimeError):
                return SendResult(ok=False, detail="the webhook secret is not valid whsec_ base64")
        refused = check_egress(self._guard, destination.address)
        if refused is not None:
            return SendResult(ok=False, detail=f"refused: {refused}")
        return post_json(
            destination.address,
            body.encode(),
            headers,
            timeout=self._timeout,
            now=now,
            client=self._clients.client_for(destination.address),
        )
