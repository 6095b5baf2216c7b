"""HTML for the public pages: the Jinja2 environment and the words and icons for statuses."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
# Every status is shown as an icon and words, never by colour alone.
COMPONENT_LABELS = {
    "operational": ("✓", "Operational"),
    "under_maintenance": ("⚙", "Under maintenance"),
    "degraded_performance": ("▲", "Degraded performance"),
    "partial_outage": ("◆", "Partial outage"),
    "major_outage": ("✕", "Major outage"),
    "nodata": ("·", "No data"),
}
INDICATOR_CLASSES = {
    "none": "operational",
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}
STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "postmortem": "Postmortem",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}
IMPACT_WORDS = {
    "none": "No impact",
    "minor": "Minor impact",
    "major": "Major impact",
    "critical": "Critical impact",
    "maintenance": "Maintenance",
}


def local_time(moment: datetime | None, zone: tzinfo) -> str:
    """A time for people, in the page's time zone, e.g. ``1 Nov 2025, 09:00 UTC``."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname() or ''}".strip()


def machine_time(moment: datetime | None) -> str:
    """A time for ``<time datetime>``: ISO-8601 with offset."""
    return moment.isoformat() if moment is not None else ""


@cache
def environment() -> jinja2.Environment:
    """The template environment (autoescaped), made on first use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        component_labels=COMPONENT_LABELS,
        indicator_classes=INDICATOR_CLASSES,
        status_words=STATUS_WORDS,
        impact_words=IMPACT_WORDS,
    )
    env.filters["machine_time"] = machine_time
    return env


def render(name: str, **context: object) -> str:
    """Render one page template."""
    return environment().get_template(name).render(**context)
