"""The audit log (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from warroom.users import audit
from warroom.users.schemas import AuditPage, audit_view
from warroom.web.deps import Admin, SessionDep, decode_cursor, paginate
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["audit"])


@router.get("/audit")
def list_audit(
    session: SessionDep,
    actor: Admin,
    by: Annotated[str | None, Query(description="actor, e.g. user:alice")] = None,
    action: str | None = None,
    target: str | None = None,
    since: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Every mutation, newest first: actor, action, target, request id, time."""
    rows = audit.list_entries(
        session,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
        actor=by,
        action=action,
        target=target,
        since=since,
    )
    page, next_cursor = paginate(rows, limit)
    return AuditPage(items=[audit_view(e) for e in page], next_cursor=next_cursor)
