"""What the public page shows at a moment: loaded in a few queries, statuses worked out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from warroom.config import Settings
from warroom.statuspage.components import OPERATIONAL, UNDER_MAINTENANCE, list_components, worst
from warroom.statuspage.models import StatusComponent, StatusIncident
from warroom.statuspage.service import (
    CLOSED_STATUSES,
    IMPACTS,
    INCIDENT,
    MAINTENANCE,
    maintenance_status,
)

ACTIVE_MAINTENANCE = ("in_progress", "verifying")
# The overall indicator each component status raises the page to.
COMPONENT_INDICATOR = {
    OPERATIONAL: "none",
    UNDER_MAINTENANCE: "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
INDICATOR_DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
MAINTENANCE_DESCRIPTION = "Service Under Maintenance"


@dataclass(frozen=True)
class PageInfo:
    """The page's identity from settings."""

    id: str
    name: str
    url: str
    time_zone: str

    @property
    def zone(self) -> tzinfo:
        """The page's time zone."""
        return ZoneInfo(self.time_zone)

    @classmethod
    def from_settings(cls, settings: Settings) -> PageInfo:
        """The page described by ``settings``."""
        return cls(
            id=settings.status_page_page_id,
            name=settings.status_page_name,
            url=settings.status_page_public_url,
            time_zone=settings.status_page_time_zone,
        )

    def incident_url(self, public_id: str) -> str:
        """The public page of one incident or maintenance (its shortlink)."""
        return f"{self.url}/incidents/{public_id}"


@dataclass
class PageState:
    """Everything one page view needs, with statuses as they are at ``now``."""

    info: PageInfo
    now: datetime
    components: list[StatusComponent]
    unresolved: list[StatusIncident]
    maintenances: list[StatusIncident]
    statuses: dict[int, str] = field(default_factory=dict)
    children: dict[int, list[StatusComponent]] = field(default_factory=dict)
    group_public_ids: dict[int, str] = field(default_factory=dict)

    def status_of(self, component: StatusComponent) -> str:
        """A component's public status (a group's is its worst member's)."""
        return self.statuses.get(component.id, component.status)

    def maintenance_status(self, maintenance: StatusIncident) -> str:
        """A maintenance's status now."""
        return maintenance_status(maintenance, self.now)

    @property
    def active_maintenances(self) -> list[StatusIncident]:
        """Maintenances in progress now."""
        return [m for m in self.maintenances if self.maintenance_status(m) in ACTIVE_MAINTENANCE]

    @property
    def top_level(self) -> list[StatusComponent]:
        """Ungrouped components and groups, in page order."""
        return [c for c in self.components if c.group_id is None]

    @property
    def indicator(self) -> str:
        """none, minor, major or critical: the worst of components and open incidents."""
        levels = [COMPONENT_INDICATOR[self.status_of(c)] for c in self.components]
        levels += [i.impact for i in self.unresolved if i.impact in IMPACTS]
        return max(levels, key=IMPACTS.index, default="none")

    @property
    def description(self) -> str:
        """The words for the indicator."""
        indicator = self.indicator
        if indicator == "none" and self.active_maintenances:
            return MAINTENANCE_DESCRIPTION
        return INDICATOR_DESCRIPTION[indicator]

    @property
    def updated_at(self) -> datetime:
        """When anything on the page last changed."""
        moments = [c.updated_at for c in self.components]
        moments += [i.updated_at for i in (*self.unresolved, *self.maintenances)]
        return max(moments, default=self.now)


def _work_out_statuses(state: PageState) -> None:
    under_maintenance = {c.id for m in state.active_maintenances for c in m.components}
    for component in state.components:
        status = component.status
        if component.id in under_maintenance and status == OPERATIONAL:
            status = UNDER_MAINTENANCE
        state.statuses[component.id] = status
        if component.group_id is not None:
            state.children.setdefault(component.group_id, []).append(component)
    for component in state.components:
        if component.is_group:
            state.group_public_ids[component.id] = component.public_id
            members = state.children.get(component.id, [])
            state.statuses[component.id] = worst([state.statuses[c.id] for c in members])


def load_page(session: Session, info: PageInfo, now: datetime) -> PageState:
    """Components, unresolved incidents and current or upcoming maintenances at ``now``."""
    unresolved = list(
        session.scalars(
            select(StatusIncident)
            .where(StatusIncident.kind == INCIDENT, StatusIncident.status.not_in(CLOSED_STATUSES))
            .order_by(StatusIncident.created_at.desc(), StatusIncident.id.desc())
        )
    )
    maintenances = list(
        session.scalars(
            select(StatusIncident)
            .where(
                StatusIncident.kind == MAINTENANCE,
                StatusIncident.status != "completed",
                or_(StatusIncident.scheduled_until.is_(None), StatusIncident.scheduled_until > now),
            )
            .order_by(StatusIncident.scheduled_for, StatusIncident.id)
        )
    )
    state = PageState(
        info=info,
        now=now,
        components=list_components(session),
        unresolved=unresolved,
        maintenances=maintenances,
    )
    _work_out_statuses(state)
    return state
