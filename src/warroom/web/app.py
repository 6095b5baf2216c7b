"""create_app(): the ASGI application, built from settings and handed its clock and database."""

from __future__ import annotations

import logging
import re
import threading
import uuid

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom import __version__
from warroom.clock import Clock, SystemClock
from warroom.config import Settings
from warroom.db import make_engine, make_session_factory
from warroom.engine import wake as wake_engine
from warroom.pipeline.apply import PipelineSettings
from warroom.pipeline.ingest import IngestWriter
from warroom.pipeline.route import IntegrationDirectory, RateLimiter
from warroom.sources.sns import certificates_from
from warroom.web import problems, slack, status
from warroom.web.api import (
    alerts,
    analytics,
    audit,
    comms,
    config,
    escalation,
    health,
    incidents,
    ingest,
    meta,
    oncall,
    postmortems,
    runbooks,
    services,
    stakeholders,
    statuspage,
    users,
)
from warroom.web.ui import admin as ui_admin
from warroom.web.ui import analytics as ui_analytics
from warroom.web.ui import auth as ui_auth
from warroom.web.ui import declare as ui_declare
from warroom.web.ui import incident_actions as ui_incident_actions
from warroom.web.ui import incident_page as ui_incident_page
from warroom.web.ui import incidents as ui_incidents
from warroom.web.ui import oncall as ui_oncall
from warroom.web.ui import runbooks as ui_runbooks
from warroom.web.ui import services as ui_services
from warroom.web.ui.render import STATIC, html_error

log = logging.getLogger(__name__)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class RequestIdMiddleware:
    """Takes X-Request-ID from the client (or makes one) and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with a 413 problem (Starlette's answers in text)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        detail = f"the request body is larger than the limit of {limit} bytes"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await problems.problem(413, detail)(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, detail)
            return message

        await self.app(scope, receive_within_limit, send)


class IngestFastPath:
    """Sends ingest POSTs straight to their handlers; everything else goes through FastAPI."""

    def __init__(self, app: ASGIApp, ingest: ASGIApp) -> None:
        self.app = app
        self.ingest = ingest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and scope["method"] == "POST" and path.startswith(_INGEST):
            try:
                await self.ingest(scope, receive, send)
            except HTTPException as exc:
                await problems.problem(exc.status_code, str(exc.detail))(scope, receive, send)
            except Exception:
                log.exception("unexpected error on %s", path)
                detail = "an unexpected error occurred; it was logged"
                await problems.problem(500, detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)


_INGEST = ("/ingest/", "/v2/")


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    wake: threading.Event | None = None,
) -> FastAPI:
    """The warroom application for ``settings``; ``wake`` is the in-process engine's, if any."""
    app = FastAPI(
        title="warroom",
        version=__version__,
        summary="Incident response: declare, page, escalate, communicate, resolve, learn.",
    )
    database = engine or make_engine(settings)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = database
    app.state.sessions = make_session_factory(database)
    wake_engine.install(app.state.sessions, wake or threading.Event())
    app.state.scheme = settings.severity_scheme
    pipeline = PipelineSettings(
        scheme=settings.severity_scheme, quiet_period=settings.resolve_quiet_period
    )
    app.state.ingest_writer = IngestWriter(app.state.sessions, app.state.clock, pipeline)
    app.state.integrations = IntegrationDirectory(app.state.sessions)
    app.state.rate_limiter = RateLimiter()
    app.state.ingest_rate_limit = settings.ingest_rate_limit_per_minute
    app.state.sns_certificates = certificates_from(settings.sns_cert_dir)
    problems.install(app, html_error=html_error)
    ui_auth.install(app.add_exception_handler)
    app.add_middleware(IngestFastPath, ingest=ingest.FAST_ROUTES)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    for module in (
        health,
        meta,
        incidents,
        comms,
        postmortems,
        runbooks,
        oncall,
        escalation,
        services,
        stakeholders,
        users,
        audit,
        config,
        alerts,
        analytics,
        slack,
        statuspage,
        status,
        ingest,
        ui_auth,
        ui_declare,
        ui_incidents,
        ui_incident_page,
        ui_incident_actions,
        ui_oncall,
        ui_services,
        ui_admin,
        ui_runbooks,
        ui_analytics,
    ):
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    return app
