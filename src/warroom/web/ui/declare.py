"""Declare an incident: the form, the severity assessment that suggests a level, and declaring."""

from __future__ import annotations

import math
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.escalation import runner
from warroom.incidents import service
from warroom.runbooks import suggest
from warroom.services.models import Service
from warroom.severity import Assessment, SeverityScheme
from warroom.web.deps import SchemeDep, SessionDep
from warroom.web.ui.auth import FormDep, ResponderDep, change_by
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)
TEXT_FIELDS = (
    "title",
    "service",
    "summary",
    "impact",
    "severity",
    "users_affected_pct",
    "error_rate_pct",
)
FLAGS = ("customer_facing", "data_loss", "security", "workaround")
MAX_TEXT = 20000
MAX_SERVICES = 1000


def _values(source: Mapping[str, object]) -> dict[str, str]:
    """The form's fields as stripped text (a checkbox is "1" when ticked)."""
    values = {}
    for name in TEXT_FIELDS:
        given = source.get(name)
        values[name] = given.strip() if isinstance(given, str) else ""
    for name in FLAGS:
        values[name] = "1" if source.get(name) else ""
    return values


def _percent(raw: str, field: str, errors: dict[str, str]) -> float | None:
    """``raw`` as a share from 0 to 100, None when blank; a message in ``errors`` when not one."""
    if not raw:
        return None
    try:
        number = float(raw.rstrip("%").strip())
    except ValueError:
        errors[field] = "enter a number from 0 to 100"
        return None
    if not math.isfinite(number) or not 0 <= number <= 100:
        errors[field] = "must be between 0 and 100"
        return None
    return number


def _assess(
    values: Mapping[str, str], scheme: SeverityScheme, errors: dict[str, str]
) -> Assessment | None:
    """The suggested level for the answers, or None while the share of users is unanswered."""
    users = _percent(values["users_affected_pct"], "users_affected_pct", errors)
    error_rate = _percent(values["error_rate_pct"], "error_rate_pct", errors)
    if users is None or errors:
        return None
    return scheme.assess(
        users_affected_pct=users,
        data_loss=bool(values["data_loss"]),
        security=bool(values["security"]),
        workaround=bool(values["workaround"]),
        error_rate_pct=error_rate,
    )


def _service_names(session: Session) -> list[str]:
    query = select(Service.name).order_by(Service.name).limit(MAX_SERVICES)
    return list(session.scalars(query))


def _form_page(
    request: Request,
    session: Session,
    scheme: SeverityScheme,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    assessment: Assessment | None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "declare.html.j2",
        status_code=status_code,
        form=values,
        errors=errors,
        assessment=assessment,
        assess_error="",
        levels=scheme.levels,
        services=_service_names(session),
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def declare_form(
    request: Request, session: SessionDep, scheme: SchemeDep, who: ResponderDep
) -> HTMLResponse:
    """The empty declare form."""
    return _form_page(request, session, scheme, _values({}), {}, None)


@router.get("/incidents/new/assess", response_class=HTMLResponse)
def assess_fragment(request: Request, scheme: SchemeDep, who: ResponderDep) -> HTMLResponse:
    """The suggestion box alone, for the form's script to swap in as answers change."""
    values = _values(request.query_params)
    errors: dict[str, str] = {}
    assessment = _assess(values, scheme, errors)
    return page(
        request,
        "declare_assessment.html.j2",
        status_code=422 if errors else 200,
        assessment=assessment,
        assess_error="; ".join(errors.values()),
    )


def _check_declare(
    session: Session, scheme: SeverityScheme, values: Mapping[str, str], errors: dict[str, str]
) -> None:
    """Put a message in ``errors`` for each field that cannot be declared as given."""
    if not values["title"]:
        errors["title"] = "enter a title"
    elif len(values["title"]) > 500:
        errors["title"] = "must be at most 500 characters"
    for name in ("summary", "impact"):
        if len(values[name]) > MAX_TEXT:
            errors[name] = f"must be at most {MAX_TEXT} characters"
    name = values["service"]
    if name and session.scalar(select(Service.id).where(Service.name == name)) is None:
        errors["service"] = f"no service called {name!r}"
    if not values["severity"]:
        errors["severity"] = "choose a severity"
    elif scheme.find(values["severity"]) is None:
        errors["severity"] = f"unknown severity {values['severity']!r}"


@router.post("/incidents/new", response_model=None)
def declare(
    request: Request, session: SessionDep, scheme: SchemeDep, who: ResponderDep, form: FormDep
) -> Response:
    """Suggest a severity (``action=assess``) or declare the incident and start its escalation."""
    values = _values(form)
    errors: dict[str, str] = {}
    if form.get("action") == "assess":
        assessment = _assess(values, scheme, errors)
        if assessment is None and not errors:
            errors["users_affected_pct"] = "answer this to get a suggestion"
        if assessment is not None:
            values = {**values, "severity": assessment.level.id}
        status_code = 422 if errors else 200
        return _form_page(request, session, scheme, values, errors, assessment, status_code)
    assessment = _assess(values, scheme, errors)
    _check_declare(session, scheme, values, errors)
    if errors:
        return _form_page(request, session, scheme, values, errors, assessment, 422)
    change = change_by(request, who)
    incident = service.declare(
        session,
        change=change,
        scheme=scheme,
        title=values["title"],
        severity=values["severity"],
        summary=values["summary"],
        service=values["service"] or None,
        impact=values["impact"],
        customer_facing=bool(values["customer_facing"]),
    )
    suggest.prepare(session, change=change, scheme=scheme, incident=incident)
    runner.start(session, change=change, incident=incident)
    session.commit()
    return RedirectResponse(f"/incidents/{incident.ref}", status_code=303)
