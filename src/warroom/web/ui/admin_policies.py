"""Admin: escalation policies, their steps edited as text lines like ``15m: user:alice``."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from warroom.durations import parse_duration
from warroom.errors import ValidationFailed, WarroomError
from warroom.escalation import policies
from warroom.escalation.models import EscalationPolicy
from warroom.escalation.policies import TARGET_KINDS, StepSpec, steps_text
from warroom.services.models import Service
from warroom.web.deps import SessionDep
from warroom.web.ui.auth import AdminDep, FormDep, SignedIn, change_by
from warroom.web.ui.form_values import text, whole_number
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)
POLICIES_PATH = "/admin/policies"
_STEP_FIELD = re.compile(r"^steps\.(\d+)\.")


@dataclass(frozen=True)
class StepLines:
    """Steps read from text, and the line each one was written on."""

    specs: list[StepSpec]
    line_numbers: list[int]


def _line_error(number: int, message: str) -> ValidationFailed:
    return ValidationFailed.for_field("steps", f"line {number}: {message}")


def _target(item: str, number: int) -> dict[str, str | None]:
    kind, colon, value = item.partition(":")
    kind = kind.strip().lower()
    if not colon or kind not in TARGET_KINDS or not value.strip():
        raise _line_error(
            number, f"{item!r} is not a target; write user:HANDLE, schedule:NAME or role:ROLE"
        )
    return {kind: value.strip()}


def _is_delay(text: str) -> bool:
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


def parse_steps(source: str) -> StepLines:
    """One step a line, ``AFTER: KIND:NAME, KIND:NAME``; blank lines and ``#`` comments skipped."""
    specs: list[StepSpec] = []
    numbers: list[int] = []
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        after, colon, rest = line.partition(":")
        if not colon or not _is_delay(after):
            raise _line_error(
                number,
                f"{after.strip()!r} is not a delay; write the delay, a colon, then the targets, "
                "like 15m: user:alice",
            )
        targets = [_target(item.strip(), number) for item in rest.split(",") if item.strip()]
        specs.append(StepSpec(after=after.strip(), targets=targets))
        numbers.append(number)
    return StepLines(specs, numbers)


def steps_source(steps: Sequence[dict[str, Any]]) -> str:
    """Stored steps written back as the lines ``parse_steps`` reads."""
    return "\n".join(
        f"{step['after']}: "
        + ", ".join(
            f"{kind}:{value}" for target in step["targets"] for kind, value in target.items()
        )
        for step in steps_text(steps)
    )


def _explained(error: WarroomError, lines: StepLines | None) -> str:
    """The error's words, naming the line a step's problem is on."""
    if isinstance(error, ValidationFailed) and error.errors and lines is not None:
        first = error.errors[0]
        step = _STEP_FIELD.match(first.field)
        if step is not None and int(step[1]) < len(lines.line_numbers):
            return f"steps: line {lines.line_numbers[int(step[1])]}: {first.message}"
    return error.detail


def _services_by_policy(session: Session) -> dict[int, list[str]]:
    rows = session.execute(
        select(EscalationPolicy.id, Service.name)
        .join(EscalationPolicy, Service.escalation_policy_id == EscalationPolicy.id)
        .order_by(Service.name)
    )
    using: dict[int, list[str]] = defaultdict(list)
    for policy_id, name in rows:
        using[policy_id].append(name)
    return using


@router.get(POLICIES_PATH, response_class=HTMLResponse)
def policies_page(request: Request, session: SessionDep, who: AdminDep) -> HTMLResponse:
    """Every policy with its steps, repeat and the services that page by it."""
    return page(
        request,
        "admin/policies.html.j2",
        policies=[(p, steps_text(p.steps)) for p in policies.list_policies(session)],
        services_using=_services_by_policy(session),
    )


def _form_page(
    request: Request,
    *,
    policy: EscalationPolicy | None,
    values: dict[str, str],
    status_code: int = 200,
    error: str = "",
) -> HTMLResponse:
    action = f"{POLICIES_PATH}/{policy.name}" if policy else POLICIES_PATH
    return page(
        request,
        "admin/policy_form.html.j2",
        status_code=status_code,
        policy=policy,
        action=action,
        values=values,
        error=error,
    )


@router.get(POLICIES_PATH + "/new", response_class=HTMLResponse)
def new_policy(request: Request, who: AdminDep) -> HTMLResponse:
    """The form for a new policy."""
    values = {"name": "", "description": "", "repeat": "0", "steps": ""}
    return _form_page(request, policy=None, values=values)


@router.get(POLICIES_PATH + "/{name}/edit", response_class=HTMLResponse)
def edit_policy(name: str, request: Request, session: SessionDep, who: AdminDep) -> HTMLResponse:
    """The form for changing a policy, its steps written as text."""
    policy = policies.get_policy(session, name)
    values = {
        "name": policy.name,
        "description": policy.description,
        "repeat": str(policy.repeat),
        "steps": steps_source(policy.steps),
    }
    return _form_page(request, policy=policy, values=values)


def _posted(form: FormData) -> dict[str, str]:
    return {field: text(form, field) for field in ("name", "description", "repeat", "steps")}


def _save(
    request: Request,
    session: Session,
    who: SignedIn,
    form: FormData,
    policy: EscalationPolicy | None,
) -> HTMLResponse | RedirectResponse:
    values = _posted(form)
    lines: StepLines | None = None
    try:
        lines = parse_steps(values["steps"])
        repeat = whole_number(form, "repeat")
        change = change_by(request, who)
        if policy is None:
            policy = policies.create_policy(
                session,
                change=change,
                name=values["name"],
                description=values["description"],
                repeat=repeat,
                steps=lines.specs,
            )
        else:
            policies.replace_policy(
                session,
                change=change,
                policy=policy,
                description=values["description"],
                repeat=repeat,
                steps=lines.specs,
            )
    except WarroomError as exc:
        session.rollback()
        shown = None if policy is None else policies.get_policy(session, policy.name)
        return _form_page(
            request,
            policy=shown,
            values=values,
            status_code=exc.status,
            error=_explained(exc, lines),
        )
    session.commit()
    return RedirectResponse(f"{POLICIES_PATH}#policy-{policy.name}", status_code=303)


@router.post(POLICIES_PATH, response_model=None)
def create_policy(
    request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> HTMLResponse | RedirectResponse:
    """Add a policy from the form (as ``POST /api/v1/escalation-policies``)."""
    return _save(request, session, who, form, None)


@router.post(POLICIES_PATH + "/{name}", response_model=None)
def replace_policy(
    name: str, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> HTMLResponse | RedirectResponse:
    """Replace a policy from the form (as ``PUT /api/v1/escalation-policies/{name}``)."""
    return _save(request, session, who, form, policies.get_policy(session, name))
