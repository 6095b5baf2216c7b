"""Services and their integrations, test alerts, maintenance windows and silences."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from warroom.alerts import integrations
from warroom.alerts import service as alerts
from warroom.alerts.models import Integration, Suppression
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.escalation.policies import list_policies
from warroom.incidents.lifecycle import OPEN_STATUSES
from warroom.incidents.models import Incident
from warroom.pipeline.apply import Submission
from warroom.pipeline.ingest import IngestWriter
from warroom.pipeline.route import KnownIntegration, known
from warroom.services import service as services
from warroom.services.models import Service
from warroom.sources import generic
from warroom.web.deps import SessionDep
from warroom.web.ui.auth import AdminDep, FormDep, ResponderDep, SignedIn, SignedInDep, change_by
from warroom.web.ui.form_values import local_input, local_moment, text
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)
SUPPRESSIONS_SHOWN = 20
_OPEN = [s.value for s in OPEN_STATUSES]
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
TEST_ALERTNAME = "warroom-test-alert"


@dataclass(frozen=True)
class Revealed:
    """An integration's key in clear, shown once right after it was made."""

    integration: str
    source: str
    key: str
    url: str | None


@dataclass(frozen=True)
class TestResult:
    """What the last test alert of an integration became."""

    integration: str
    incident_ref: str | None


def public_base(request: Request) -> str:
    """The URL senders reach warroom at: the configured public URL, else this request's."""
    configured: str = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _service_path(service_name: str) -> str:
    return f"/services/{quote(service_name, safe='')}"


@router.get("/services", response_class=HTMLResponse)
def services_page(request: Request, session: SessionDep, who: SignedInDep) -> HTMLResponse:
    """Every service with its policy, open incidents and integrations."""
    open_counts = session.execute(
        select(Incident.service, func.count())
        .where(Incident.status.in_(_OPEN), Incident.service.is_not(None))
        .group_by(Incident.service)
    )
    integration_counts = session.execute(
        select(Integration.service_id, func.count()).group_by(Integration.service_id)
    )
    return page(
        request,
        "services.html.j2",
        services=services.list_services(session),
        open_counts=dict(open_counts.all()),
        integration_counts=dict(integration_counts.all()),
        policies=[p.name for p in list_policies(session)] if who.is_admin else [],
    )


def _test_result(request: Request, session: Session, names: set[str]) -> TestResult | None:
    tested = request.query_params.get("tested", "")
    if tested not in names:
        return None
    ref = request.query_params.get("incident", "")
    found = session.scalar(select(Incident.ref).where(Incident.ref == ref)) if ref else None
    return TestResult(integration=tested, incident_ref=found)


def _suppressions(session: Session, service: Service, kind: str) -> list[Suppression]:
    scope = Suppression.service == service.name
    if kind == "silence":
        scope = or_(scope, Suppression.service.is_(None))
    query = (
        select(Suppression)
        .where(Suppression.kind == kind, scope)
        .order_by(Suppression.ends_at.desc(), Suppression.id.desc())
        .limit(SUPPRESSIONS_SHOWN)
    )
    return list(session.scalars(query))


def render_service(
    request: Request,
    session: Session,
    who: SignedIn,
    service: Service,
    *,
    status_code: int = 200,
    revealed: Revealed | None = None,
) -> HTMLResponse:
    """The service page, with a key just made shown once when ``revealed``."""
    rows = list(
        session.scalars(
            select(Integration)
            .where(Integration.service_id == service.id)
            .order_by(Integration.name)
        )
    )
    base = public_base(request)
    now = request.app.state.clock.now()
    open_count = session.scalar(
        select(func.count())
        .select_from(Incident)
        .where(Incident.service == service.name, Incident.status.in_(_OPEN))
    )
    zone_name = who.user.time_zone
    return page(
        request,
        "service.html.j2",
        status_code=status_code,
        service=service,
        service_path=_service_path(service.name),
        integrations=[(row, integrations.ingest_url(row, base, None)) for row in rows],
        sources=integrations.SOURCES,
        open_count=open_count or 0,
        windows=_suppressions(session, service, "maintenance"),
        silences=_suppressions(session, service, "silence"),
        revealed=revealed,
        tested=_test_result(request, session, {row.name for row in rows}),
        time_zone=zone_name,
        default_start=local_input(now, zone_name),
        default_end=local_input(now + timedelta(hours=1), zone_name),
    )


@router.get("/services/{name}", response_class=HTMLResponse)
def service_page(
    name: str, request: Request, session: SessionDep, who: SignedInDep
) -> HTMLResponse:
    """One service: its integrations, maintenance windows and silences."""
    return render_service(request, session, who, services.get_service(session, name))


@router.post("/services", response_model=None)
def create_service(
    request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """Register a service (admin)."""
    created = services.create_service(
        session,
        change=change_by(request, who),
        name=text(form, "name"),
        description=text(form, "description"),
        escalation_policy=text(form, "escalation_policy") or None,
    )
    session.commit()
    return RedirectResponse(_service_path(created.name), status_code=303)


def _reveal(request: Request, integration: Integration, key: str) -> Revealed:
    url = integrations.ingest_url(integration, public_base(request), key)
    return Revealed(integration.name, integration.source, key, url)


@router.post("/services/{name}/integrations", response_class=HTMLResponse)
def create_integration(
    name: str, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> HTMLResponse:
    """Add an integration (admin); its key is on the answer this once."""
    found = services.get_service(session, name)
    page_url = text(form, "url")
    created, key = integrations.create_integration(
        session,
        change=change_by(request, who),
        name=text(form, "name"),
        source=text(form, "source"),
        service=found.name,
        key=text(form, "key") or None,
        options={"url": page_url} if page_url else None,
    )
    session.commit()
    revealed = _reveal(request, created, key)
    return render_service(request, session, who, found, status_code=201, revealed=revealed)


def _integration_of(session: Session, service_name: str, integration_name: str) -> Integration:
    found = integrations.get_integration(session, integration_name)
    if found.service.name != service_name.strip():
        raise NotFound(f"service {service_name!r} has no integration called {integration_name!r}")
    return found


@router.post("/services/{name}/integrations/{integration}/rotate-key", response_class=HTMLResponse)
def rotate_key(
    name: str, integration: str, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> HTMLResponse:
    """Give an integration a new key (admin); the old one stops working."""
    found = _integration_of(session, name, integration)
    key = integrations.rotate_key(session, change=change_by(request, who), integration=found)
    session.commit()
    revealed = _reveal(request, found, key)
    return render_service(request, session, who, found.service, revealed=revealed)


def _test_report(integration: KnownIntegration, who: SignedIn) -> dict[str, Any]:
    return {
        "title": f"Test alert from {integration.name}, sent by {who.user.handle} in warroom",
        "description": (
            "This is a test: it went through the same ingest path as the sender's alerts, "
            "to check that they open incidents and page. Resolve the incident when done."
        ),
        "severity": "P4",
        "dedup_key": f"{TEST_ALERTNAME}-{uuid.uuid4().hex}",
        "labels": {"alertname": TEST_ALERTNAME, "integration": integration.name, "test": "true"},
    }


@router.post("/services/{name}/integrations/{integration}/test", response_model=None)
async def send_test_alert(
    name: str,
    integration: str,
    request: Request,
    session: SessionDep,
    who: ResponderDep,
    form: FormDep,
) -> RedirectResponse:
    """Send a test alert through the integration's ingest path; it opens a real incident."""

    def load() -> KnownIntegration:
        found = _integration_of(session, name, integration)
        if not found.enabled:
            raise Conflict(f"the integration {found.name!r} is disabled; enable it first")
        target = known(found)
        session.rollback()  # end this read before the ingest writer's transaction
        return target

    target = await run_in_threadpool(load)
    writer: IngestWriter = request.app.state.ingest_writer
    event = generic.report_event(_test_report(target, who), "")
    outcome = await writer.submit(Submission(route=target.route, events=[event]))
    query = {"tested": target.name, "incident": outcome.incident_refs[0] or ""}
    location = f"{_service_path(target.route.service_name)}?{urlencode(query)}#integrations"
    return RedirectResponse(location, status_code=303)


@router.post("/services/{name}/maintenance", response_model=None)
def create_maintenance(
    name: str, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """Schedule a maintenance window, its times in the user's zone (admin, as in the API)."""
    found = services.get_service(session, name)
    zone_name = who.user.time_zone
    alerts.create_maintenance(
        session,
        change=change_by(request, who),
        service=found.name,
        starts_at=local_moment(form, "starts_at", zone_name),
        ends_at=local_moment(form, "ends_at", zone_name),
        description=text(form, "description"),
    )
    session.commit()
    return RedirectResponse(f"{_service_path(found.name)}#maintenance", status_code=303)


def _end(
    request: Request, session: Session, who: SignedIn, service: Service, kind: str, row_id: int
) -> None:
    row = session.get(Suppression, row_id)
    # Silences for every service are listed (and ended) on each service's page.
    in_scope = row is not None and (
        row.service == service.name or (kind == "silence" and row.service is None)
    )
    if row is None or row.kind != kind or not in_scope:
        raise NotFound(f"service {service.name!r} has no {kind} with id {row_id}")
    alerts.expire_suppression(
        session, change=change_by(request, who), suppression_id=row_id, kind=kind
    )
    session.commit()


@router.post("/services/{name}/maintenance/{window_id}/end", response_model=None)
def end_maintenance(
    name: str, window_id: int, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """End a maintenance window now (admin)."""
    found = services.get_service(session, name)
    _end(request, session, who, found, "maintenance", window_id)
    return RedirectResponse(f"{_service_path(found.name)}#maintenance", status_code=303)


def parse_matchers(form: FormData) -> list[dict[str, str]]:
    """Label matchers written one a line, like ``env=~prod-.*``."""
    matchers = []
    for number, line in enumerate(text(form, "matchers").splitlines(), start=1):
        if not line.strip():
            continue
        found = _MATCHER.match(line)
        if found is None:
            raise ValidationFailed.for_field(
                "matchers",
                f"line {number}: {line.strip()!r} is not a matcher; write label=value, "
                "label!=value, label=~regex or label!~regex",
            )
        matchers.append({"name": found[1], "op": found[2], "value": found[3]})
    return matchers


@router.post("/services/{name}/silences", response_model=None)
def create_silence(
    name: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Silence this service's alerts that match the labels (responder, as in the API)."""
    found = services.get_service(session, name)
    zone_name = who.user.time_zone
    alerts.create_silence(
        session,
        change=change_by(request, who),
        matchers=parse_matchers(form),
        service=found.name,
        starts_at=local_moment(form, "starts_at", zone_name) if text(form, "starts_at") else None,
        ends_at=local_moment(form, "ends_at", zone_name),
        comment=text(form, "comment"),
        created_by=str(who.actor),
    )
    session.commit()
    return RedirectResponse(f"{_service_path(found.name)}#silences", status_code=303)


@router.post("/services/{name}/silences/{silence_id}/end", response_model=None)
def end_silence(
    name: str,
    silence_id: int,
    request: Request,
    session: SessionDep,
    who: ResponderDep,
    form: FormDep,
) -> RedirectResponse:
    """End a silence now (responder)."""
    found = services.get_service(session, name)
    _end(request, session, who, found, "silence", silence_id)
    return RedirectResponse(f"{_service_path(found.name)}#silences", status_code=303)
