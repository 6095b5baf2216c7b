"""Slack interactivity: the Acknowledge and Resolve buttons on warroom's Slack messages act."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request, Response
from slack_sdk.signature import Clock as SlackClock
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.channels.base import Destination, Message
from warroom.channels.slack import ACKNOWLEDGE_ACTION, RESOLVE_ACTION
from warroom.clock import Clock
from warroom.db import transaction
from warroom.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from warroom.incidents import service
from warroom.notifications.broadcast import enqueue_broadcast
from warroom.pipeline import followups
from warroom.severity import SeverityScheme
from warroom.users.models import ContactMethod, User

log = logging.getLogger(__name__)
router = APIRouter(tags=["slack"])
ACTIONS = {ACKNOWLEDGE_ACTION: "acknowledged", RESOLVE_ACTION: "resolved"}
# Slack gives response_url on its own hosts; anything else in a signed payload is still refused.
RESPONSE_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")


class _ClockAdapter(SlackClock):
    """Slack's verifier asks the time from warroom's clock, so tests can move it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


@dataclass(frozen=True)
class Click:
    """One button press: who pressed it, which action, on which incident, where to answer."""

    slack_user: str
    action: str
    ref: str
    response_url: str | None
    action_ts: str


def parse_click(body: bytes) -> Click | None:
    """The acknowledge/resolve press in an interaction payload, or None for anything else."""
    try:
        form = parse_qs(body.decode(), strict_parsing=True)
        payload = json.loads(form["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError) as exc:
        raise ValidationFailed("the body must be form-encoded with a JSON `payload`") from exc
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    user = payload.get("user") or {}
    for action in payload.get("actions") or []:
        if isinstance(action, dict) and action.get("action_id") in ACTIONS:
            url = payload.get("response_url")
            safe = isinstance(url, str) and urlsplit(url).hostname in RESPONSE_HOSTS
            return Click(
                slack_user=str(user.get("id", "")),
                action=str(action["action_id"]),
                ref=str(action.get("value", "")),
                response_url=url if safe else None,
                action_ts=str(action.get("action_ts", "")),
            )
    return None


def _linked_user(session: Session, slack_user: str) -> User | None:
    query = (
        select(User)
        .join(ContactMethod, ContactMethod.user_id == User.id)
        .where(ContactMethod.type == "slack", ContactMethod.address == slack_user)
    )
    return session.scalars(query.limit(1)).first()


def act(session: Session, *, click: Click, clock: Clock, scheme: SeverityScheme) -> str:
    """Do what the button says as the linked warroom user; the answer says what happened."""
    user = _linked_user(session, click.slack_user) if click.slack_user else None
    if user is None:
        return (
            f"Your Slack account ({click.slack_user or 'unknown'}) is not linked to a warroom "
            "user. Add it as a contact method: "
            f"`warroom user contact add HANDLE --type slack --address {click.slack_user}`"
        )
    actor = Actor(kind="user", name=user.handle, role=Role.responder, user_id=user.id)
    change = Change(actor=actor, clock=clock, request_id=f"slack:{click.action_ts}")
    target = ACTIONS[click.action]
    try:
        incident = service.get(session, click.ref)
        if incident.status == target or (target == "acknowledged" and incident.acknowledged_at):
            return f"{incident.ref} is already {target}."
        service.change_status(
            session, change=change, scheme=scheme, incident=incident, status=target
        )
        followups.resolve_with_incident(session, change=change, incident=incident)
    except NotFound:
        return f"There is no incident {click.ref}."
    except Conflict as exc:
        return f"Not done: {exc}"
    return f"{incident.ref} {target} by {user.name}."


def _answer(session: Session, click: Click, text: str, clock: Clock) -> None:
    """Queue the reply to the conversation the button was in (Slack's response_url)."""
    if click.response_url is None:
        return
    message = Message(
        kind="slack_reply",
        idempotency_key=f"slack:{click.action_ts}:{click.slack_user}:{click.action}",
        incident_ref=click.ref,
        severity="",
        subject=text,
        text=text,
        url="",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    )
    destination = Destination("slack", click.response_url)
    enqueue_broadcast(
        session, kind="slack_reply", destination=destination, message=message, now=clock.now()
    )


def _handle(sessions: sessionmaker[Session], click: Click, clock: Clock, scheme: Any) -> None:
    with transaction(sessions) as session:
        text = act(session, click=click, clock=clock, scheme=scheme)
        _answer(session, click, text, clock)
    log.info("slack %s on %s by %s: %s", click.action, click.ref, click.slack_user, text)


@router.post("/slack/interactions", status_code=200)
async def interactions(request: Request) -> Response:
    """Slack's interactivity request URL; answers 200 at once, replies through response_url."""
    settings = request.app.state.settings
    secret = settings.slack_signing_secret
    if not secret:
        raise Unauthorized("Slack interactivity is off: set WARROOM_SLACK_SIGNING_SECRET")
    body = await request.body()
    verifier = SignatureVerifier(secret, _ClockAdapter(request.app.state.clock))
    if not verifier.is_valid(
        body,
        request.headers.get("x-slack-request-timestamp"),
        request.headers.get("x-slack-signature"),
    ):
        raise Unauthorized("the Slack signature is missing, wrong or older than five minutes")
    click = parse_click(body)
    if click is not None:
        state = request.app.state
        await run_in_threadpool(_handle, state.sessions, click, state.clock, state.scheme)
    return Response(status_code=200)
