"""Slack channel: incoming webhooks, or ``chat.postMessage`` with a bot token, as Block Kit."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from warroom.channels.base import Destination, Message, SendResult
from warroom.channels.egress_types import Guard, Transports, check_egress
from warroom.channels.webhook import USER_AGENT, ClientPool, parse_retry_after, post_json
from warroom.config import Settings

ACKNOWLEDGE_ACTION = "incident.acknowledge"
RESOLVE_ACTION = "incident.resolve"
_CONVERSATION = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[UWCGD][A-Z0-9]{6,20})$")
_RETRYABLE_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_blocks(message: Message) -> list[dict[str, Any]]:
    """Block Kit for a message: header, severity and incident fields, text, and two buttons."""
    ref = _mrkdwn_escape(message.incident_ref)
    link = f"<{message.url}|{ref}>" if message.url else ref
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150] or ref}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Severity*\n{_mrkdwn_escape(message.severity)}"},
                {"type": "mrkdwn", "text": f"*Incident*\n{link}"},
            ],
        },
    ]
    if message.text.strip():
        text = _mrkdwn_escape(message.text)[:3000]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    blocks.append(
        {
            "type": "actions",
            "block_id": "warroom_incident_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACKNOWLEDGE_ACTION,
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                    "value": message.incident_ref,
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": RESOLVE_ACTION,
                    "text": {"type": "plain_text", "text": "Resolve"},
                    "value": message.incident_ref,
                    "style": "danger",
                },
            ],
        }
    )
    return blocks


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


class SlackChannel:
    """Posts to an incoming-webhook URL, or to a member or channel through the Web API."""

    type = "slack"

    def __init__(
        self,
        settings: Settings,
        *,
        guard: Guard | None = None,
        clock: Callable[[], float] | None = None,
        transport: Transports | None = None,
    ) -> None:
        self._timeout = settings.delivery_timeout
        self._clients = ClientPool(self._timeout, transport)
        self._token = settings.slack_bot_token
        self._api_url = settings.slack_api_url
        self._guard = guard
        self._clock = clock or time.time

    def send(self, message: Message, destination: Destination) -> SendResult:
        """Post the message once to the destination's webhook, member or channel."""
        blocks = message.blocks or build_blocks(message)
        address = destination.address.strip()
        if address.lower().startswith(("https://", "http://")):
            return self._send_webhook(address, message, blocks)
        if _CONVERSATION.match(address):
            return self._send_api(address, message, blocks)
        return SendResult(ok=False, detail="not a Slack webhook URL, member id (U…/W…) or #channel")

    def _send_webhook(self, url: str, message: Message, blocks: list[dict[str, Any]]) -> SendResult:
        # httpx rather than slack_sdk's WebhookClient: its urlopen follows redirects past the guard.
        refused = check_egress(self._guard, url)
        if refused is not None:
            return SendResult(ok=False, detail=f"refused: {refused}")
        body = json.dumps({"text": message.text or message.subject, "blocks": blocks})
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        return post_json(
            url,
            body.encode(),
            headers,
            timeout=self._timeout,
            now=self._clock(),
            client=self._clients.client_for(url),
        )

    def _send_api(self, channel: str, message: Message, blocks: list[dict[str, Any]]) -> SendResult:
        if not self._token:
            return SendResult(ok=False, detail="Slack is not configured (WARROOM_SLACK_BOT_TOKEN)")
        client = WebClient(
            token=self._token,
            base_url=self._api_url,
            # urlopen takes a float although the SDK's hint says int
            timeout=cast(int, self._timeout),
            retry_handlers=[],
            user_agent_prefix=USER_AGENT,
        )
        metadata = {
            "event_type": "warroom_message",
            "event_payload": {
                "idempotency_key": message.idempotency_key,
                "incident": message.incident_ref,
            },
        }
        try:
            client.chat_postMessage(
                channel=channel,
                text=message.text or message.subject,
                blocks=blocks,
                metadata=metadata,
            )
        except SlackApiError as exc:
            return self._api_error(exc)
        except SlackRequestError:
            return SendResult(ok=False, detail="the Slack API URL is not valid")
        except OSError as exc:
            return SendResult(
                ok=False, retryable=True, detail=f"connection failed: {type(exc).__name__}"
            )
        return SendResult(ok=True, detail="posted")

    def _api_error(self, exc: SlackApiError) -> SendResult:
        response = exc.response
        status = int(response.status_code)
        data = response.data if isinstance(response.data, dict) else {}
        error = str(data.get("error") or f"HTTP {status}")[:80]
        detail = f"Slack API error: {error}"
        if status == 429 or error == "ratelimited":
            wait = parse_retry_after(_header(response.headers, "retry-after"), self._clock())
            return SendResult(ok=False, retryable=True, detail=detail, retry_after=wait)
        retryable = status >= 500 or error in _RETRYABLE_API_ERRORS
        return SendResult(ok=False, retryable=retryable, detail=detail)
