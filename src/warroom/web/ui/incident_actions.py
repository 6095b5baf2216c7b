"""The incident page's forms: acknowledge, escalate, resolve, status, severity, roles, notes,
status updates, runbooks and checklist items; each answers 303 back to the page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from warroom.comms import service as comms
from warroom.comms.templates import AUDIENCES
from warroom.errors import ValidationFailed
from warroom.escalation import runner
from warroom.incidents import service
from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident
from warroom.pipeline import followups
from warroom.runbooks import suggest
from warroom.severity import SeverityScheme
from warroom.web.deps import SchemeDep, SessionDep
from warroom.web.ui import form_values
from warroom.web.ui.auth import FormDep, ResponderDep, SignedIn, change_by

router = APIRouter(include_in_schema=False)
MAX_NOTE = 20_000
MAX_SHORT = 200
VAR_PREFIX = "var_"


def text_field(form: FormData, name: str, *, required: bool = True, limit: int = MAX_SHORT) -> str:
    """A posted text field, trimmed; by default required and short."""
    return form_values.text(form, name, required=required, limit=limit)


def _back(incident: Incident, section: str = "") -> RedirectResponse:
    anchor = f"#{section}" if section else ""
    return RedirectResponse(f"/incidents/{incident.ref}{anchor}", status_code=303)


def _move(
    request: Request,
    session: Session,
    scheme: SeverityScheme,
    who: SignedIn,
    incident: Incident,
    status: str,
    note: str | None = None,
) -> RedirectResponse:
    """Move the incident as the API does, resolving its alerts with it; then back to the page."""
    change = change_by(request, who)
    service.change_status(
        session, change=change, scheme=scheme, incident=incident, status=status, note=note
    )
    followups.resolve_with_incident(session, change=change, incident=incident)
    session.commit()
    return _back(incident)


@router.post("/incidents/{ref}/acknowledge")
def acknowledge(
    ref: str,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    who: ResponderDep,
    form: FormDep,
) -> RedirectResponse:
    """Acknowledge: escalation stops and those paged hear who has it; a second click is a no-op."""
    incident = service.get(session, ref)
    if incident.acknowledged_at is not None and incident.status != Status.triggered:
        return _back(incident)
    return _move(request, session, scheme, who, incident, Status.acknowledged.value)


@router.post("/incidents/{ref}/resolve")
def resolve(
    ref: str,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    who: ResponderDep,
    form: FormDep,
) -> RedirectResponse:
    """Resolve the incident and its open alerts, in one click; a second click is a no-op."""
    incident = service.get(session, ref)
    if incident.status == Status.resolved:
        return _back(incident)
    return _move(request, session, scheme, who, incident, Status.resolved.value)


@router.post("/incidents/{ref}/status")
def change_status(
    ref: str,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    who: ResponderDep,
    form: FormDep,
) -> RedirectResponse:
    """Move the incident to one of the statuses its current one allows."""
    target = service.parse_status(text_field(form, "status", limit=32))
    note = text_field(form, "note", required=False, limit=2000) or None
    incident = service.get(session, ref)
    return _move(request, session, scheme, who, incident, target.value, note)


@router.post("/incidents/{ref}/severity")
def change_severity(
    ref: str,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    who: ResponderDep,
    form: FormDep,
) -> RedirectResponse:
    """Change the severity; the runbooks' checklists for the new one are added."""
    level = scheme.resolve(text_field(form, "severity", limit=32))
    incident = service.get(session, ref)
    change = change_by(request, who)
    before = incident.severity
    service.update(
        session, change=change, scheme=scheme, incident=incident, fields={"severity": level.id}
    )
    if incident.severity != before:
        suggest.attach_severity_checklists(session, change=change, scheme=scheme, incident=incident)
    session.commit()
    return _back(incident)


@router.post("/incidents/{ref}/escalate")
def escalate(
    ref: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Page the escalation's next step now."""
    incident = service.get(session, ref)
    runner.escalate_now(session, change=change_by(request, who), incident=incident)
    session.commit()
    return _back(incident, "incident-paging")


@router.post("/incidents/{ref}/roles")
def assign_role(
    ref: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Give a role to a person, replacing whoever held it."""
    role = text_field(form, "role", limit=64)
    user = text_field(form, "user", limit=64)
    incident = service.get(session, ref)
    service.assign_role(
        session, change=change_by(request, who), incident=incident, role=role, user_handle=user
    )
    session.commit()
    return _back(incident, "incident-roles")


@router.post("/incidents/{ref}/roles/{role}/unassign")
def unassign_role(
    ref: str, role: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Take a role away."""
    incident = service.get(session, ref)
    service.unassign_role(session, change=change_by(request, who), incident=incident, role=role)
    session.commit()
    return _back(incident, "incident-roles")


@router.post("/incidents/{ref}/notes")
def add_note(
    ref: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Add a note to the timeline."""
    text = text_field(form, "text", limit=MAX_NOTE)
    incident = service.get(session, ref)
    service.add_note(session, change=change_by(request, who), incident=incident, text=text)
    session.commit()
    return _back(incident, "timeline-title")


def _template_values(form: FormData) -> dict[str, str]:
    """The filled-in ``var_NAME`` fields; empty ones are left for the template's defaults."""
    return {
        key[len(VAR_PREFIX) :]: value.strip()
        for key, value in form.multi_items()
        if key.startswith(VAR_PREFIX) and isinstance(value, str) and value.strip()
    }


@router.post("/incidents/{ref}/updates")
def post_update(
    ref: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Post an internal or public update from text or a template."""
    audience = text_field(form, "audience", limit=16).lower()
    if audience not in AUDIENCES:
        raise ValidationFailed.for_field("audience", f"use one of {', '.join(AUDIENCES)}")
    status = text_field(form, "status", required=False, limit=32) or None
    template = text_field(form, "template", required=False, limit=64) or None
    body = text_field(form, "body", required=False, limit=comms.MAX_BODY) or None
    if body is None and template is None:
        raise ValidationFailed.for_field("body", "write the update or pick a template")
    incident = service.get(session, ref)
    comms.post_update(
        session,
        change=change_by(request, who),
        settings=request.app.state.settings,
        incident=incident,
        audience=audience,
        status=status,
        body=body,
        template=template,
        variables=_template_values(form),
    )
    session.commit()
    return _back(incident, "updates-title")


@router.post("/incidents/{ref}/runbook")
def accept_runbook(
    ref: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Follow a runbook section: its steps become the checklist."""
    section = text_field(form, "section", limit=1100)
    incident = service.get(session, ref)
    suggest.accept(session, change=change_by(request, who), incident=incident, section_id=section)
    session.commit()
    return _back(incident, "incident-runbook")


@router.post("/incidents/{ref}/runbook/suggest")
def resuggest(
    ref: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Match the runbooks against the incident again."""
    incident = service.get(session, ref)
    suggest.attach_suggestions(session, change=change_by(request, who), incident=incident)
    session.commit()
    return _back(incident, "incident-runbook")


def _position(item: str) -> int:
    if not item.isdigit() or len(item) > 9:
        raise ValidationFailed.for_field("item", f"{item!r} is not a checklist step number")
    return int(item)


def _mark(
    ref: str, item: str, request: Request, session: Session, who: SignedIn, done: bool
) -> RedirectResponse:
    position = _position(item)
    incident = service.get(session, ref)
    suggest.mark(
        session, change=change_by(request, who), incident=incident, position=position, done=done
    )
    session.commit()
    return _back(incident, "incident-runbook")


@router.post("/incidents/{ref}/checklist/{item}/done")
def tick(
    ref: str, item: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Tick a checklist step done."""
    return _mark(ref, item, request, session, who, done=True)


@router.post("/incidents/{ref}/checklist/{item}/undone")
def untick(
    ref: str, item: str, request: Request, session: SessionDep, who: ResponderDep, form: FormDep
) -> RedirectResponse:
    """Untick a checklist step."""
    return _mark(ref, item, request, session, who, done=False)
