"""Admin: on-call schedules with their rotations and overrides."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from warroom.configcode.apply import apply
from warroom.configcode.document import read_document
from warroom.configcode.export import schedule_facts
from warroom.durations import parse_duration
from warroom.errors import ValidationFailed
from warroom.oncall import service as oncall
from warroom.oncall.layers import LayerSpec, length_text
from warroom.oncall.models import Override
from warroom.web.deps import SchemeDep, SessionDep
from warroom.web.ui.auth import AdminDep, FormDep, change_by
from warroom.web.ui.form_values import local_input, text
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)
SCHEDULES_PATH = "/admin/schedules"
OVERRIDES_SHOWN = 500
ROTATION_NAME = "main"
# The API's field names of the one rotation, as the form calls them.
_FORM_FIELDS = {
    "layers.0.users": "participants",
    "layers.0.handoff": "start",
    "layers.0.length": "shift_length",
    "layers.0.kind": "shift_length",
}


def rotation_kind(shift_length: str) -> tuple[str, str | None]:
    """A shift length as the kind of rotation (a day: daily, a week: weekly) and its length."""
    try:
        span = parse_duration(shift_length)
    except ValueError:
        return "custom", shift_length  # the service says what is wrong with it
    if span == timedelta(days=1):
        return "daily", None
    if span == timedelta(weeks=1):
        return "weekly", None
    return "custom", shift_length


@router.get(SCHEDULES_PATH, response_class=HTMLResponse)
def schedules_page(request: Request, session: SessionDep, who: AdminDep) -> HTMLResponse:
    """Every schedule with its rotations and its current and coming overrides."""
    now = request.app.state.clock.now()
    upcoming = session.scalars(
        select(Override)
        .where(Override.end_at > now)
        .order_by(Override.start_at, Override.id)
        .limit(OVERRIDES_SHOWN)
    )
    overrides: dict[int, list[Override]] = defaultdict(list)
    for override in upcoming:
        overrides[override.schedule_id].append(override)
    return page(
        request,
        "admin/schedules.html.j2",
        schedules=oncall.list_schedules(session),
        overrides=overrides,
        length_text=length_text,
        default_zone=who.user.time_zone,
        default_start=local_input(now, who.user.time_zone),
    )


@router.post(SCHEDULES_PATH, response_model=None)
def create_schedule(
    request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """Add a schedule with one rotation (as ``POST /api/v1/schedules``)."""
    kind, length = rotation_kind(text(form, "shift_length"))
    participants = [h.strip() for h in text(form, "participants").split(",") if h.strip()]
    layer = LayerSpec(
        name=ROTATION_NAME,
        kind=kind,
        handoff=text(form, "start"),
        users=participants,
        length=length,
    )
    try:
        created = oncall.create_schedule(
            session,
            change=change_by(request, who),
            name=text(form, "name"),
            time_zone=text(form, "time_zone"),
            layers=[layer],
        )
    except ValidationFailed as exc:
        first = exc.errors[0] if exc.errors else None
        if first is None or first.field not in _FORM_FIELDS:
            raise
        raise ValidationFailed.for_field(_FORM_FIELDS[first.field], first.message) from None
    session.commit()
    return RedirectResponse(f"{SCHEDULES_PATH}#schedule-{created.name}", status_code=303)


@router.post(SCHEDULES_PATH + "/{name}/overrides/{override_id}/delete", response_model=None)
def delete_override(
    name: str,
    override_id: int,
    request: Request,
    session: SessionDep,
    who: AdminDep,
    form: FormDep,
) -> RedirectResponse:
    """Remove one of a schedule's overrides."""
    schedule = oncall.get_schedule(session, name)
    oncall.delete_override(
        session, change=change_by(request, who), schedule=schedule, override_id=override_id
    )
    session.commit()
    return RedirectResponse(f"{SCHEDULES_PATH}#schedule-{schedule.name}", status_code=303)


def _edit_page(
    request: Request, name: str, document: str, error: str = "", status_code: int = 200
) -> HTMLResponse:
    return page(
        request,
        "admin/schedule_edit.html.j2",
        status_code,
        name=name,
        document=document,
        error=error,
    )


@router.get(SCHEDULES_PATH + "/{name}/edit", response_class=HTMLResponse)
def edit_schedule_form(
    name: str, request: Request, session: SessionDep, who: AdminDep
) -> HTMLResponse:
    """The schedule as config-as-code YAML, to edit its rotations and restrictions."""
    schedule = oncall.get_schedule(session, name)
    document = yaml.safe_dump(
        {"schedules": [schedule_facts(schedule)]}, sort_keys=False, allow_unicode=True
    )
    return _edit_page(request, schedule.name, document)


def _check_one_schedule(document: str, name: str) -> None:
    """The edited document must hold this schedule and nothing else."""
    parsed = read_document(document)
    sections = (parsed.users, parsed.policies, parsed.services, parsed.integrations)
    other = any(sections) or parsed.stakeholders is not None or parsed.status_page
    if other or [entry.name for entry in parsed.schedules] != [name]:
        raise ValidationFailed.for_field(
            "document", f"keep exactly one entry under schedules:, the schedule {name!r}"
        )


@router.post(SCHEDULES_PATH + "/{name}", response_model=None)
def edit_schedule(
    name: str,
    request: Request,
    session: SessionDep,
    scheme: SchemeDep,
    who: AdminDep,
    form: FormDep,
) -> Response:
    """Replace the schedule with the edited YAML (as ``warroom apply`` would), or show why not."""
    schedule = oncall.get_schedule(session, name)
    document = text(form, "document", required=True, limit=100_000)
    try:
        _check_one_schedule(document, schedule.name)
        apply(
            session, change=change_by(request, who), scheme=scheme, document=document, dry_run=False
        )
    except ValidationFailed as invalid:
        session.rollback()
        return _edit_page(request, schedule.name, document, invalid.detail, 422)
    session.commit()
    return RedirectResponse(f"{SCHEDULES_PATH}#schedule-{schedule.name}", status_code=303)
