"""The public status page: HTML, Statuspage v2 JSON, feeds and subscriptions (no sign-in)."""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from warroom.errors import NotFound, ValidationFailed, WarroomError
from warroom.statuspage import feeds, shapes, subscribers
from warroom.statuspage.cache import PageCache, page_version
from warroom.statuspage.models import StatusComponent
from warroom.statuspage.page import PageInfo, PageState, load_page
from warroom.statuspage.render import local_time, render
from warroom.statuspage.service import (
    INCIDENT,
    MAINTENANCE,
    get_public_incident,
    list_public_incidents,
)
from warroom.statuspage.uptime import percent, uptime
from warroom.web.deps import SessionDep
from warroom.web.problems import problem

router = APIRouter(prefix="/status", tags=["status page"], include_in_schema=True)
PUBLIC_CACHE = {"Cache-Control": "public, max-age=30"}
PRIVATE = {"Cache-Control": "no-store"}
SUBSCRIBE_LIMIT_PER_MINUTE = 10
_MAX_FORM_BYTES = 16 * 1024


class SubscribeLimiter:
    """At most a few subscribe requests a minute from one client address."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until this client may subscribe again; 0 admits (and counts) the request."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - 60:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return int(seen[0] + 60 - now) + 1
            seen.append(now)
            return 0


def _info(request: Request) -> PageInfo:
    return PageInfo.from_settings(request.app.state.settings)


def _now(request: Request) -> datetime:
    moment: datetime = request.app.state.clock.now()
    return moment


def _state(request: Request, session: Session) -> PageState:
    return load_page(session, _info(request), _now(request))


def _when(info: PageInfo) -> Callable[[datetime | None], str]:
    zone = info.zone
    return lambda moment: local_time(moment, zone)


def _html(
    name: str, info: PageInfo, status: int = 200, private: bool = False, **context: Any
) -> HTMLResponse:
    body = render(name, info=info, when=_when(info), **context)
    return HTMLResponse(body, status_code=status, headers=PRIVATE if private else PUBLIC_CACHE)


def _json(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(document, headers=PUBLIC_CACHE)


def _message(
    request: Request, heading: str, *paragraphs: str, status: int = 200, **context: Any
) -> HTMLResponse:
    context = {"error": None, "action": None, "button": "", "show_subscribe": False, **context}
    return _html(
        "message.html.j2",
        _info(request),
        status,
        True,
        heading=heading,
        paragraphs=paragraphs,
        **context,
    )


def _frozen(response: Response) -> tuple[bytes, int, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    return bytes(response.body), response.status_code, headers


def cached_page(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Serve the handler's last rendering while the page's data and the second are unchanged."""

    @functools.wraps(handler)
    def serve(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        session: Session = kwargs["session"]
        cache: PageCache | None = getattr(request.app.state, "status_page_cache", None)
        if cache is None:
            cache = request.app.state.status_page_cache = PageCache()
        body, status_code, headers = cache.get_or_render(
            (request.url.path, request.url.query),
            page_version(session, _now(request)),
            lambda: _frozen(handler(*args, **kwargs)),
        )
        return Response(body, status_code=status_code, headers=headers)

    return serve


@router.get("", response_class=HTMLResponse)
@cached_page
def status_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The status page: overall status, incidents, maintenance, components and uptime."""
    state = _state(request, session)
    measured = uptime(session, state.components, now=state.now, zone=state.info.zone)

    def shown(component: StatusComponent) -> bool:
        return not component.only_show_if_degraded or state.status_of(component) != "operational"

    def children(group: StatusComponent) -> list[StatusComponent]:
        return [c for c in state.children.get(group.id, []) if shown(c)]

    visible = [c for c in state.top_level if shown(c)]
    return _html(
        "index.html.j2",
        state.info,
        state_=state,
        visible=visible,
        children=children,
        uptimes=measured,
        percent=percent,
    )


@router.get("/history", response_class=HTMLResponse)
@cached_page
def history_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Past incidents and maintenance, newest first."""
    incidents = list_public_incidents(session, kind=INCIDENT, limit=100)
    return _html("history.html.j2", _info(request), incidents=incidents)


@router.get("/incidents/{public_id}", response_class=HTMLResponse)
@cached_page
def incident_page(public_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    """One incident or maintenance with all its updates."""
    state = _state(request, session)
    try:
        incident = get_public_incident(session, public_id)
    except NotFound:
        return _message(request, "Not found", "There is no incident with this address.", status=404)
    status = state.maintenance_status(incident) if incident.kind == MAINTENANCE else incident.status
    return _html("incident.html.j2", state.info, incident=incident, incident_status=status)


@router.get("/api/v2/summary.json")
@cached_page
def summary_json(request: Request, session: SessionDep) -> JSONResponse:
    """Statuspage-compatible summary."""
    return _json(shapes.summary_document(_state(request, session)))


@router.get("/api/v2/status.json")
@cached_page
def status_json(request: Request, session: SessionDep) -> JSONResponse:
    """Statuspage-compatible overall status."""
    return _json(shapes.status_document(_state(request, session)))


@router.get("/api/v2/components.json")
@cached_page
def components_json(request: Request, session: SessionDep) -> JSONResponse:
    """Statuspage-compatible components."""
    return _json(shapes.components_document(_state(request, session)))


@router.get("/api/v2/incidents.json")
@cached_page
def incidents_json(request: Request, session: SessionDep) -> JSONResponse:
    """The 50 most recent incidents, whatever their status."""
    state = _state(request, session)
    return _json(shapes.incidents_document(state, list_public_incidents(session)))


@router.get("/api/v2/incidents/unresolved.json")
@cached_page
def unresolved_json(request: Request, session: SessionDep) -> JSONResponse:
    """Incidents not yet resolved."""
    state = _state(request, session)
    return _json(shapes.incidents_document(state, state.unresolved))


@router.get("/api/v2/scheduled-maintenances.json")
@cached_page
def maintenances_json(request: Request, session: SessionDep) -> JSONResponse:
    """The 50 most recent scheduled maintenances."""
    state = _state(request, session)
    recent = list_public_incidents(session, kind=MAINTENANCE)
    return _json(shapes.maintenances_document(state, recent))


@router.get("/api/v2/scheduled-maintenances/upcoming.json")
@cached_page
def upcoming_json(request: Request, session: SessionDep) -> JSONResponse:
    """Maintenances that have not started."""
    state = _state(request, session)
    upcoming = [m for m in state.maintenances if state.maintenance_status(m) == "scheduled"]
    return _json(shapes.maintenances_document(state, upcoming))


@router.get("/api/v2/scheduled-maintenances/active.json")
@cached_page
def active_json(request: Request, session: SessionDep) -> JSONResponse:
    """Maintenances in progress."""
    state = _state(request, session)
    return _json(shapes.maintenances_document(state, state.active_maintenances))


@router.get("/history.atom")
@cached_page
def atom_feed(request: Request, session: SessionDep) -> Response:
    """Atom feed of public incidents."""
    body = feeds.atom(_info(request), list_public_incidents(session), _now(request))
    return Response(body, media_type="application/atom+xml", headers=PUBLIC_CACHE)


@router.get("/history.rss")
@cached_page
def rss_feed(request: Request, session: SessionDep) -> Response:
    """RSS feed of public incidents."""
    body = feeds.rss(_info(request), list_public_incidents(session), _now(request))
    return Response(body, media_type="application/rss+xml", headers=PUBLIC_CACHE)


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request) -> HTMLResponse:
    """How to subscribe, and what webhook subscribers receive."""
    return _message(
        request,
        "Subscribe to updates",
        "Email subscribers confirm by a link we send, and can unsubscribe from any email.",
        "Webhook subscribers receive a JSON POST for each incident update "
        "({meta, page, incident}) and each component change ({meta, page, component_update, "
        "component}) in the shapes of the Statuspage API; retries keep the same webhook-id header.",
        show_subscribe=True,
    )


async def _subscribe_input(request: Request) -> tuple[dict[str, Any], bool]:
    """The fields sent, and whether the client sent (and so wants) JSON."""
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise WarroomError(f"the request is larger than {_MAX_FORM_BYTES} bytes")
    if "json" in request.headers.get("content-type", ""):
        try:
            document = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            raise WarroomError("the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise WarroomError("send a JSON object with email or endpoint")
        return document, True
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ValidationFailed.for_field("body", "the form is not valid UTF-8") from None
    return {
        "email": (fields.get("email") or [""])[0],
        "endpoint": (fields.get("endpoint") or [""])[0],
        "components": fields.get("components", []),
    }, False


@router.post("/subscribe", response_model=None)
async def subscribe(request: Request, session: SessionDep) -> Response:
    """Subscribe by email (confirmed by a link) or webhook; same answer for known addresses."""
    wants_json = "json" in request.headers.get("content-type", "")
    limiter: SubscribeLimiter = getattr(request.app.state, "status_subscribe_limiter", None) or (
        SubscribeLimiter(SUBSCRIBE_LIMIT_PER_MINUTE)
    )
    request.app.state.status_subscribe_limiter = limiter
    wait = limiter.retry_after(request.client.host if request.client else "unknown")
    if wait:
        detail = "too many subscribe requests; try again in a minute"
        if wants_json:
            return problem(429, detail, headers={"Retry-After": str(wait)})
        return _message(request, "Too many requests", detail, status=429)
    try:
        fields, wants_json = await _subscribe_input(request)
        components = fields.get("components") or []
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise ValidationFailed.for_field("components", "give a list of component ids")
        for name in ("email", "endpoint"):
            if fields.get(name) is not None and not isinstance(fields[name], str):
                raise ValidationFailed.for_field(name, "must be a string")
        subscribers.subscribe(
            session,
            info=_info(request),
            now=_now(request),
            email=fields.get("email") or None,
            endpoint=fields.get("endpoint") or None,
            components=components,
        )
        session.commit()
    except WarroomError as exc:
        session.rollback()
        if wants_json:
            return problem(exc.status, exc.detail, title=exc.title, **exc.extra())
        return _message(
            request,
            "Subscribe to updates",
            error=exc.detail,
            show_subscribe=True,
            status=exc.status,
        )
    kind = "email" if fields.get("email") else "webhook"
    if wants_json:
        return JSONResponse(
            {"status": "pending_confirmation" if kind == "email" else "subscribed"},
            status_code=202,
            headers=PRIVATE,
        )
    if kind == "email":
        return _message(
            request,
            "Check your email",
            "If this address is not subscribed yet, we have sent it a link to confirm.",
        )
    return _message(request, "Webhook subscribed", "Updates will be POSTed to the URL you gave.")


def _token_form(
    request: Request,
    session: Session,
    token: str,
    verb: str,
    words: tuple[str, str],
    button: str,
) -> HTMLResponse:
    """A page with one button that POSTs ``verb`` for a subscription token, if it is known."""
    try:
        subscribers.by_token(session, token)
    except NotFound as exc:
        return _message(request, "Link not valid", exc.detail, status=404)
    action = f"{_info(request).url}/subscriptions/{token}/{verb}"
    return _message(request, *words, action=action, button=button)


@router.get("/subscriptions/{token}/confirm", response_class=HTMLResponse)
def confirm_form(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """A button that confirms (a GET changes nothing, so link scanners confirm nothing)."""
    return _token_form(
        request,
        session,
        token,
        "confirm",
        (
            "Confirm your subscription",
            "Press the button to start receiving status updates by email.",
        ),
        "Confirm subscription",
    )


@router.post("/subscriptions/{token}/confirm", response_class=HTMLResponse)
def confirm(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Confirm an email subscription."""
    try:
        subscribers.confirm(session, token=token, now=_now(request))
    except NotFound as exc:
        return _message(request, "Link not valid", exc.detail, status=404)
    session.commit()
    return _message(request, "Subscribed", "You will receive status updates by email.")


@router.get("/subscriptions/{token}/unsubscribe", response_class=HTMLResponse)
def unsubscribe_form(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """A button that unsubscribes."""
    return _token_form(
        request,
        session,
        token,
        "unsubscribe",
        ("Unsubscribe", "Press the button to stop receiving status updates."),
        "Unsubscribe",
    )


@router.post("/subscriptions/{token}/unsubscribe", response_class=HTMLResponse)
def unsubscribe(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Remove a subscription."""
    try:
        subscribers.unsubscribe(session, token=token)
    except NotFound:
        return _message(request, "Unsubscribed", "This address receives no more updates.")
    session.commit()
    return _message(request, "Unsubscribed", "This address receives no more updates.")
