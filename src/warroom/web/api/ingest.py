"""Alert ingestion: webhook sources, PagerDuty Events v2 and Opsgenie-compatible endpoints."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from warroom.alerts.subscriptions import record_subscription
from warroom.db import transaction
from warroom.pipeline import followups
from warroom.pipeline.apply import Outcome, Submission
from warroom.pipeline.event import Event, SourceError, VerificationFailed
from warroom.pipeline.ingest import IngestWriter
from warroom.pipeline.route import IntegrationDirectory, KnownIntegration, RateLimiter
from warroom.sources import cloudwatch, grafana, opsgenie, pagerduty, sns
from warroom.sources.common import load_json
from warroom.sources.registry import WEBHOOK_SOURCES
from warroom.web import problems

log = logging.getLogger(__name__)
router = APIRouter(tags=["ingest"])
Headers = Mapping[str, str]


class Rejected(Exception):
    """An ingest request answered with a problem (or a sender-specific error body)."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def _headers(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def _given_key(headers: Headers, path_key: str | None, scheme: str = "bearer") -> str | None:
    if path_key:
        return path_key
    kind, _, secret = headers.get("authorization", "").partition(" ")
    if kind.lower() == scheme and secret.strip():
        return secret.strip()
    return headers.get("x-api-key") or None


async def _integration(
    request: Request, key: str | None, sources: Sequence[str]
) -> KnownIntegration:
    if not key:
        raise Rejected(
            401,
            "no integration key: send `Authorization: Bearer <key>`, `x-api-key: <key>`, or "
            "post to /ingest/<source>/<key>",
            {"WWW-Authenticate": "Bearer"},
        )
    directory: IntegrationDirectory = request.app.state.integrations
    found = await directory.find(key)
    if found is None:
        raise Rejected(401, "the integration key is not valid", {"WWW-Authenticate": "Bearer"})
    if found.source not in sources:
        raise Rejected(
            403,
            f"this key belongs to the {found.source} integration {found.name!r}; "
            f"post to its own endpoint",
        )
    if not found.enabled:
        raise Rejected(403, f"the integration {found.name!r} is disabled")
    return found


def _check_rate(request: Request, integration: KnownIntegration, events: int) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter
    own = integration.options.get("rate_limit_per_minute")
    limit = int(request.app.state.ingest_rate_limit if own is None else own)
    wait = limiter.retry_after(integration.id, limit, max(1, events))
    if wait > 0:
        raise Rejected(
            429,
            f"the integration {integration.name!r} is over its limit of {limit} events a minute",
            {"Retry-After": str(max(1, round(wait)))},
        )


async def _store(request: Request, integration: KnownIntegration, events: list[Event]) -> Outcome:
    _check_rate(request, integration, len(events))
    if not events:
        return Outcome()
    writer: IngestWriter = request.app.state.ingest_writer
    try:
        return await writer.submit(Submission(route=integration.route, events=events))
    except DBAPIError as exc:
        log.error("ingest for %s could not be stored: %s", integration.name, exc)
        raise Rejected(503, "storage is unavailable; retry shortly", {"Retry-After": "5"}) from exc


def _summary(events: Sequence[Event], outcome: Outcome) -> dict[str, Any]:
    refs = list(dict.fromkeys(ref for ref in outcome.incident_refs if ref))
    return {
        "status": "ok",
        "events": len(events),
        "alerts_opened": outcome.created,
        "alerts_updated": outcome.updated,
        "ignored": outcome.ignored,
        "incidents": refs,
    }


async def _guarded(handle: Callable[[], Any], on_error: Callable[[int, str], Response]) -> Any:
    try:
        return await handle()
    except Rejected as exc:
        response = on_error(exc.status, exc.detail)
        response.headers.update(exc.headers or {})
        return response
    except SourceError as exc:
        return on_error(400, exc.detail)
    except VerificationFailed as exc:
        return on_error(exc.status, exc.detail)
    except sns.CertificateUnavailable as exc:
        response = on_error(503, exc.detail)
        response.headers["Retry-After"] = "30"
        return response
    except DBAPIError as exc:
        # Senders retry a 503; nothing was stored, so the retry loses nothing either.
        log.error("ingest could not reach storage: %s", exc)
        response = on_error(503, "storage is unavailable; retry shortly")
        response.headers["Retry-After"] = "5"
        return response


@router.post("/ingest/{source}", include_in_schema=True)
@router.post("/ingest/{source}/{key}", include_in_schema=True)
async def ingest_webhook(request: Request, source: str, key: str | None = None) -> Response:
    """Take a webhook from Alertmanager, Grafana, Datadog, CloudWatch (SNS/EventBridge) or JSON."""

    async def handle() -> Response:
        parse = WEBHOOK_SOURCES.get(source)
        if parse is None:
            known = ", ".join(sorted(WEBHOOK_SOURCES))
            raise Rejected(404, f"no ingest source {source!r}; use one of {known}")
        headers = _headers(request)
        integration = await _integration(request, _given_key(headers, key), [source])
        body = await request.body()
        if source == "grafana" and integration.secret:
            options = integration.options
            grafana.verify(
                headers,
                body,
                secret=integration.secret,
                now=request.app.state.clock.now(),
                signature_header=options.get("signature_header") or "x-grafana-alerting-signature",
                timestamp_header=options.get("timestamp_header"),
            )
        if source == "cloudwatch":
            events = await _cloudwatch_events(request, integration, headers, body)
        else:
            events = parse(headers, body)
        outcome = await _store(request, integration, events)
        return JSONResponse(_summary(events, outcome))

    result: Response = await _guarded(handle, problems.problem)
    return result


async def _cloudwatch_events(
    request: Request, integration: KnownIntegration, headers: Headers, body: bytes
) -> list[Event]:
    sns.reject_raw_delivery(headers)
    document = load_json(body)
    if not sns.is_envelope(document):
        return cloudwatch.parse(headers, body)
    message = sns.envelope_from(headers, document)
    await asyncio.to_thread(
        sns.verify,
        message,
        certificates=request.app.state.sns_certificates,
        now=request.app.state.clock.now(),
        topic_arns=integration.options.get("topic_arns") or (),
    )
    if message.type == sns.SUBSCRIPTION_CONFIRMATION:
        await asyncio.to_thread(
            record_subscription, request.app.state.sessions, integration.id, message
        )
        return []
    return cloudwatch.parse_notification(message)


def _pagerduty_error(status: int, detail: str) -> Response:
    if status == 400:
        return JSONResponse(pagerduty.invalid_event_body([detail]), status_code=400)
    return problems.problem(status, detail)


@router.post("/v2/enqueue", status_code=202)
async def pagerduty_enqueue(request: Request) -> Response:
    """PagerDuty Events API v2: trigger, acknowledge or resolve by routing key."""

    async def handle() -> Response:
        body = await request.body()
        routing_key, events = pagerduty.parse_enqueue(body)
        integration = await _routing_integration(request, routing_key)
        await _store(request, integration, events)
        return JSONResponse(pagerduty.accepted_body(events[0].dedup_key), status_code=202)

    result: Response = await _guarded(handle, _pagerduty_error)
    return result


@router.post("/v2/change/enqueue", status_code=202)
async def pagerduty_change(request: Request) -> Response:
    """PagerDuty change events: context on the service's open incidents, never an alert."""

    async def handle() -> Response:
        routing_key, change = pagerduty.parse_change(await request.body())
        integration = await _routing_integration(request, routing_key)
        _check_rate(request, integration, 1)
        await asyncio.to_thread(_record_change, request, integration, change)
        return JSONResponse({"status": "success", "message": "Change event processed"}, 202)

    result: Response = await _guarded(handle, _pagerduty_error)
    return result


def _record_change(request: Request, integration: KnownIntegration, change: dict[str, Any]) -> None:
    with transaction(request.app.state.sessions) as session:
        followups.record_change_event(
            session, route=integration.route, change_event=change, now=request.app.state.clock.now()
        )


async def _routing_integration(request: Request, routing_key: str) -> KnownIntegration:
    try:
        return await _integration(request, routing_key, ["pagerduty"])
    except Rejected as exc:
        if exc.status == 401:
            raise SourceError("Invalid routing key") from None
        raise


def _opsgenie_key(request: Request) -> str | None:
    return _given_key(_headers(request), None, scheme="geniekey")


@router.post("/v2/alerts", status_code=202)
async def opsgenie_create(request: Request) -> Response:
    """Opsgenie Alert API: create an alert (``Authorization: GenieKey <key>``)."""
    started = time.monotonic()

    async def handle() -> Response:
        integration = await _integration(request, _opsgenie_key(request), ["opsgenie"])
        events = opsgenie.parse_create(_headers(request), await request.body())
        await _store(request, integration, events)
        took = round(time.monotonic() - started, 3)
        return JSONResponse(opsgenie.accepted_body(uuid.uuid4().hex, took), status_code=202)

    result: Response = await _guarded(handle, problems.problem)
    return result


@router.post("/v2/alerts/{identifier}/{action}", status_code=202)
async def opsgenie_action(request: Request, identifier: str, action: str) -> Response:
    """Opsgenie Alert API: close or acknowledge an alert by alias."""
    started = time.monotonic()

    async def handle() -> Response:
        if action not in ("close", "acknowledge"):
            raise Rejected(404, f"no alert action {action!r}; use close or acknowledge")
        integration = await _integration(request, _opsgenie_key(request), ["opsgenie"])
        identifier_type = request.query_params.get("identifierType")
        event = opsgenie.parse_action(action, identifier, identifier_type, await request.body())
        await _store(request, integration, [event])
        took = round(time.monotonic() - started, 3)
        return JSONResponse(opsgenie.accepted_body(uuid.uuid4().hex, took), status_code=202)

    result: Response = await _guarded(handle, problems.problem)
    return result


async def _webhook_endpoint(request: Request) -> Response:
    params = request.path_params
    return await ingest_webhook(request, params["source"], params.get("key"))


async def _opsgenie_action_endpoint(request: Request) -> Response:
    params = request.path_params
    return await opsgenie_action(request, params["identifier"], params["action"])


# The same handlers as plain Starlette routes: senders skip FastAPI's routing and dependency
# machinery, which they do not use and which costs more than the handlers themselves.
async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    detail = f"nothing at {scope['path']}; see /docs for the ingest endpoints"
    await problems.problem(404, detail)(scope, receive, send)


FAST_ROUTES = Router(
    default=_not_found,
    routes=[
        Route("/ingest/{source}", _webhook_endpoint, methods=["POST"]),
        Route("/ingest/{source}/{key}", _webhook_endpoint, methods=["POST"]),
        Route("/v2/enqueue", pagerduty_enqueue, methods=["POST"]),
        Route("/v2/change/enqueue", pagerduty_change, methods=["POST"]),
        Route("/v2/alerts", opsgenie_create, methods=["POST"]),
        Route("/v2/alerts/{identifier}/{action}", _opsgenie_action_endpoint, methods=["POST"]),
    ],
)
