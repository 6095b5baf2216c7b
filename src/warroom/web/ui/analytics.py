"""The analytics page: weekly MTTA/MTTR and incident counts, SLA compliance and on-call load."""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.analytics import service as analytics
from warroom.analytics.schemas import (
    AckTimes,
    IncidentCounts,
    OncallLoad,
    ResolveTimes,
    SlaCompliance,
)
from warroom.durations import format_duration
from warroom.errors import ValidationFailed
from warroom.incidents.models import Incident
from warroom.notifications.models import Notification
from warroom.services.models import Service
from warroom.severity import SeverityScheme
from warroom.web.deps import SchemeDep, SessionDep
from warroom.web.ui import charts
from warroom.web.ui.auth import SignedInDep
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)
DEFAULT_WEEKS = 12
MAX_WEEKS = 104
CHART_ROWS = 20
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class Week:
    """One ISO week: its incidents per severity and its time to acknowledge and resolve."""

    week: str
    starts_at: datetime
    by_severity: dict[str, int]
    mtta: AckTimes
    mttr: ResolveTimes

    @property
    def total(self) -> int:
        """Incidents detected in the week."""
        return sum(self.by_severity.values())


@dataclass(frozen=True)
class Figures:
    """Everything the page shows for incidents detected in [start, end)."""

    start: datetime
    end: datetime
    counts: IncidentCounts
    severities: list[str]
    weeks: list[Week]
    mtta: AckTimes
    mttr: ResolveTimes
    sla_ack: list[SlaCompliance]
    sla_resolve: list[SlaCompliance]
    oncall: list[OncallLoad]

    @property
    def last_day(self) -> datetime:
        """The Sunday the period ends with."""
        return self.end - timedelta(days=1)


def parse_weeks(raw: str) -> int:
    """How many weeks to show: a whole number from 1 to MAX_WEEKS."""
    if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_WEEKS:
        raise ValidationFailed.for_field(
            "weeks", f"{raw[:40]!r} is not a whole number of weeks from 1 to {MAX_WEEKS}"
        )
    return int(raw)


def parse_service(session: Session, raw: str) -> str | None:
    """The service to narrow to: registered, or named by some incident; empty means all."""
    if not raw:
        return None
    known = session.scalar(select(Service.id).where(Service.name == raw)) or session.scalar(
        select(Incident.id).where(Incident.service == raw).limit(1)
    )
    if known is None:
        raise ValidationFailed.for_field("service", f"no service is named {raw[:200]!r}")
    return raw


def period(now: datetime, weeks: int) -> tuple[datetime, datetime]:
    """Monday 00:00 UTC ``weeks - 1`` weeks before this week's, to next Monday 00:00 UTC."""
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday - timedelta(weeks=weeks - 1), monday + timedelta(weeks=1)


def figures(
    session: Session, scheme: SeverityScheme, now: datetime, weeks: int, service: str | None
) -> Figures:
    """The analytics service's figures over the period, overall and per ISO week."""
    start, end = period(now, weeks)
    query = analytics.ReportQuery(start=start, end=end, service=service)
    incidents = analytics.incident_facts(session, query)
    levels = list(scheme.levels)
    counts = analytics.count_incidents(incidents, levels, query)
    severities = [entry.severity for entry in counts.by_severity]
    # Weeks are counted from the Monday the period starts on; the figures need no per-level split.
    by_week: list[list[analytics.IncidentFacts]] = [[] for _ in counts.by_week]
    week = timedelta(weeks=1)
    for incident in incidents:
        by_week[(incident.detected_at - start) // week].append(incident)
    weekly = []
    for counted, group in zip(counts.by_week, by_week, strict=True):
        per_severity = Counter(incident.severity for incident in group)
        weekly.append(
            Week(
                week=counted.week,
                starts_at=counted.starts_at,
                by_severity={severity: per_severity[severity] for severity in severities},
                mtta=analytics.time_to_acknowledge(group, []).overall,
                mttr=analytics.time_to_resolve(group, []).overall,
            )
        )
    return Figures(
        start=start,
        end=end,
        counts=counts,
        severities=severities,
        weeks=weekly,
        mtta=analytics.time_to_acknowledge(incidents, []).overall,
        mttr=analytics.time_to_resolve(incidents, []).overall,
        sla_ack=analytics.sla_compliance(incidents, levels, now, kind="ack"),
        sla_resolve=analytics.sla_compliance(incidents, levels, now, kind="resolve"),
        oncall=analytics.oncall_load(session, query),
    )


def took(seconds: float | None) -> str:
    """A duration in seconds as ``1h2m5s``; a dash when there is none."""
    return "—" if seconds is None else format_duration(timedelta(seconds=seconds))


def _percent(value: float | None) -> str:
    return "none decided" if value is None else f"{value:.2f}% met"


def _trend(chart_id: str, title: str, weeks: list[Week], means: list[float | None]) -> Markup:
    seconds, unit = charts.time_unit(max((m for m in means if m is not None), default=0.0))
    return charts.line(
        chart_id,
        title,
        [week.week[-3:] for week in weeks],
        [None if mean is None else mean / seconds for mean in means],
        x_label="ISO week",
        y_label=f"Mean, {unit}",
        words=lambda value: f"{value:.1f} {unit}",
    )


def draw(found: Figures) -> dict[str, Markup]:
    """Every chart of the page, as inline SVG."""
    weeks = found.weeks
    per_week = [
        charts.BarRow(
            week.week[-3:],
            tuple(float(week.by_severity[s]) for s in found.severities),
            f"{week.total} incidents ("
            + ", ".join(f"{s} {week.by_severity[s]}" for s in found.severities)
            + ")",
        )
        for week in weeks
    ]
    services = [
        charts.BarRow(entry.service or "(no service)", (float(entry.count),), str(entry.count))
        for entry in found.counts.by_service[:CHART_ROWS]
    ]
    sla = [
        charts.BarRow(
            f"{entry.severity} {label}",
            (entry.compliance_pct or 0.0,),
            _percent(entry.compliance_pct),
        )
        for ack, resolve in zip(found.sla_ack, found.sla_resolve, strict=True)
        for entry, label in ((ack, "acknowledge"), (resolve, "resolve"))
    ]
    load = [
        charts.BarRow(
            person.name,
            (float(person.pages - person.out_of_hours_pages), float(person.out_of_hours_pages)),
            f"{person.pages} pages, {person.out_of_hours_pages} out of hours",
        )
        for person in found.oncall[:CHART_ROWS]
    ]
    return {
        "mtta": _trend(
            "chart-mtta",
            "Mean time to acknowledge, per week",
            weeks,
            [week.mtta.mean_seconds for week in weeks],
        ),
        "mttr": _trend(
            "chart-mttr",
            "Mean time to resolve, per week",
            weeks,
            [week.mttr.mean_seconds for week in weeks],
        ),
        "per_week": charts.columns(
            "chart-weeks",
            "Incidents per week by severity",
            per_week,
            found.severities,
            x_label="ISO week",
            y_label="Incidents",
            palette="severity",
        ),
        "services": charts.bars(
            "chart-services", "Incidents per service", services, ["incidents"], x_label="Incidents"
        ),
        "sla": charts.bars(
            "chart-sla",
            "SLA met, per severity",
            sla,
            ["met"],
            x_label="SLA met (% of incidents past or done with their target)",
            maximum=100.0,
        ),
        "oncall": charts.bars(
            "chart-oncall",
            "Pages per person",
            load,
            ["business hours", "out of hours"],
            x_label="Pages",
        ),
    }


class FiguresCache:
    """Drawn figures per period and service, kept while no incident or page changes (≤ 1 min)."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[Any, ...], tuple[Figures, dict[str, Markup]]] = (
            OrderedDict()
        )
        self.lock = threading.Lock()

    def figures(
        self,
        session: Session,
        scheme: SeverityScheme,
        now: datetime,
        weeks: int,
        service: str | None,
    ) -> tuple[Figures, dict[str, Markup]]:
        """The figures and their charts, computed again only when the data or the minute moved."""
        incidents = session.execute(
            select(func.count(Incident.id), func.max(Incident.updated_at))
        ).one()
        pages = session.scalar(select(func.max(Notification.id)))
        key = (weeks, service, now.replace(second=0, microsecond=0), *incidents, pages)
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        found = figures(session, scheme, now, weeks, service)
        drawn = draw(found) if found.counts.total else {}
        with self.lock:
            self.entries[key] = (found, drawn)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return found, drawn


def _cache(request: Request) -> FiguresCache:
    state = request.app.state
    with _CACHE_LOCK:
        if not hasattr(state, "analytics_figures"):
            state.analytics_figures = FiguresCache()
    cache: FiguresCache = state.analytics_figures
    return cache


_CACHE_LOCK = threading.Lock()


@router.get("/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request, session: SessionDep, scheme: SchemeDep, who: SignedInDep
) -> HTMLResponse:
    """Trends over the last ``weeks`` ISO weeks, optionally for one ``service``."""
    chosen = {
        "weeks": request.query_params.get("weeks", str(DEFAULT_WEEKS)).strip(),
        "service": request.query_params.get("service", "").strip(),
    }
    services = session.scalars(select(Service.name).order_by(Service.name)).all()
    context: dict[str, Any] = {
        "chosen": chosen,
        "services": services,
        "max_weeks": MAX_WEEKS,
        "took": took,
    }
    try:
        weeks = parse_weeks(chosen["weeks"])
        service = parse_service(session, chosen["service"])
    except ValidationFailed as failed:
        return page(
            request, "analytics.html.j2", 422, problem=failed.errors[0], found=None, **context
        )
    found, drawn = _cache(request).figures(
        session, scheme, request.app.state.clock.now(), weeks, service
    )
    return page(request, "analytics.html.j2", problem=None, found=found, drawn=drawn, **context)
