"""Analytics: incident counts, MTTA/MTTR, SLA compliance, on-call load and noisy alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from warroom.analytics import service
from warroom.analytics.schemas import AnalyticsReport
from warroom.web.deps import ClockDep, SchemeDep, SessionDep, Viewer
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["analytics"])


@router.get("/analytics")
def analytics(
    session: SessionDep,
    scheme: SchemeDep,
    clock: ClockDep,
    actor: Viewer,
    start: Annotated[
        str | None,
        Query(alias="from", description="ISO-8601 date or date-time; default: to minus 30 days"),
    ] = None,
    end: Annotated[
        str | None,
        Query(alias="to", description="ISO-8601 date or date-time, exclusive; default: now"),
    ] = None,
    service_name: Annotated[str | None, Query(alias="service")] = None,
    severity: Annotated[str | None, Query(description="a level id or alias")] = None,
) -> AnalyticsReport:
    """Figures over the incidents detected in [from, to); at most 366 days."""
    now = clock.now()
    query = service.parse_query(
        scheme=scheme, now=now, start=start, end=end, service=service_name, severity=severity
    )
    return service.build_report(session, scheme=scheme, query=query, now=now)
