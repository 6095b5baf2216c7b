"""Liveness and readiness probes (no auth)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from warroom.migrate import current_revision, ensure_current
from warroom.web.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "database unreachable or not migrated"}})
def readyz(request: Request) -> dict[str, str | None]:
    """The database is reachable and migrated to this version's schema."""
    engine = request.app.state.engine
    ensure_current(engine)
    return {"status": "ready", "revision": current_revision(engine)}
