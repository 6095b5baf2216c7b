"""Config as code over HTTP: apply a YAML document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from warroom.configcode.apply import apply
from warroom.configcode.schemas import PlanOut, plan_view
from warroom.web.deps import Admin, SchemeDep, SessionDep, change_for
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["config as code"])
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


async def yaml_body(request: Request) -> str:
    """The request body as YAML text; other content types are refused with 415."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in YAML_TYPES:
        raise HTTPException(415, "send the YAML document with Content-Type: application/yaml")
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the YAML document is not valid UTF-8") from None


YamlBody = Annotated[str, Depends(yaml_body)]


@router.post(
    "/config/apply",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
def apply_config(
    body: YamlBody,
    request: Request,
    session: SessionDep,
    actor: Admin,
    scheme: SchemeDep,
    dry_run: Annotated[bool, Query(description="report the plan; write nothing")] = False,
) -> PlanOut:
    """Create or update users, schedules, policies, services, integrations, status page (admin)."""
    plan = apply(
        session,
        change=change_for(request, actor),
        scheme=scheme,
        document=body,
        dry_run=dry_run,
        guard=request.app.state.settings.egress_guard,
    )
    session.commit()
    return plan_view(plan)
