"""Write a postmortem draft in Markdown from an incident, and export it to HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert
from warroom.errors import ConfigError
from warroom.incidents import timeline as incident_timeline
from warroom.incidents.models import Incident
from warroom.postmortems import timeline
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.severity import SeverityScheme

TEMPLATE = "postmortem.md.j2"
HTML_TEMPLATE = "postmortem.html.j2"
COMMANDER = "incident_commander"
_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&])")
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def inline(text: object) -> str:
    """Untrusted text as inert Markdown on one line: whitespace collapsed, syntax escaped."""
    return _INLINE_SPECIALS.sub(r"\\\1", " ".join(str(text or "").split()))


def block(text: object) -> str:
    """Untrusted multi-line text as inert Markdown paragraphs, its line breaks kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", str(text or "").strip()) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        lines = [_INLINE_SPECIALS.sub(r"\\\1", line.strip()) for line in paragraph.splitlines()]
        lines = [_BLOCK_START.sub(r"\1\\\2", line) for line in lines if line]
        rendered.append("  \n".join(lines))
    return "\n\n".join(rendered)


@dataclass(frozen=True)
class Metric:
    """A detection or response measure: its name, the span it measures and its value."""

    name: str
    span: str
    value: str


def _span(start: datetime | None, end: datetime | None, missing: str) -> str:
    if start is None or end is None:
        return missing
    return timeline.human_duration(end - start)


def template_loader(template_dir: str | None) -> jinja2.BaseLoader:
    """The packaged templates, behind ``template_dir/postmortems`` when that folder exists."""
    packaged = jinja2.PackageLoader("warroom", "postmortems/templates")
    if template_dir is None:
        return packaged
    overrides = Path(template_dir, "postmortems")
    if not overrides.is_dir():
        return packaged
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(overrides), packaged])


class Generator:
    """Renders postmortems from the incident, its timeline, alerts and action items."""

    def __init__(
        self,
        *,
        scheme: SeverityScheme,
        time_zone: str = "UTC",
        template_dir: str | None = None,
        base_url: str = "",
    ) -> None:
        self.scheme = scheme
        self.zone = ZoneInfo(time_zone)
        self.base_url = base_url.rstrip("/")
        loader = template_loader(template_dir)
        self.env = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(["html.j2"], default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(inline=inline, block=block, local=self.local)
        try:
            self.env.get_template(TEMPLATE)
            self.env.get_template(HTML_TEMPLATE)
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"{exc.filename}:{exc.lineno}: {exc.message}") from exc
        self._markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

    def local(self, moment: datetime | None) -> str:
        """A time in the display time zone with its offset, or an em dash."""
        return "—" if moment is None else timeline.local_time(moment, self.zone)

    def metrics(self, session: Session, incident: Incident) -> list[Metric]:
        """Time to detect, acknowledge, mitigate and resolve, as human durations."""
        first_alert = session.scalar(
            select(func.min(Alert.started_at)).where(Alert.incident_id == incident.id)
        )
        detected = incident.detected_at
        return [
            Metric(
                "Time to detect",
                "first alert started → detected",
                _span(
                    min(first_alert, detected) if first_alert else None,
                    detected,
                    "n/a (no alerts)",
                ),
            ),
            Metric(
                "Time to acknowledge",
                "detected → acknowledged",
                _span(detected, incident.acknowledged_at, "not acknowledged"),
            ),
            Metric(
                "Time to mitigate",
                "detected → mitigated",
                _span(detected, incident.mitigated_at, "n/a (no mitigation recorded)"),
            ),
            Metric(
                "Time to resolve",
                "detected → resolved",
                _span(detected, incident.resolved_at, "not resolved"),
            ),
        ]

    def context(
        self, session: Session, incident: Incident, postmortem: Postmortem | None
    ) -> dict[str, Any]:
        """Everything the Markdown template can use."""
        level = self.scheme.find(incident.severity)
        services = sorted(
            {
                *(s for s in [incident.service] if s),
                *session.scalars(
                    select(Alert.service)
                    .where(Alert.incident_id == incident.id, Alert.service.is_not(None))
                    .distinct()
                ),
            }
        )
        commander = next((r.user for r in incident.roles if r.role == COMMANDER), None)
        owner = postmortem.owner if postmortem is not None else commander
        items = session.scalars(
            select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(ActionItem.id)
        )
        entries = incident_timeline.entries(session, incident=incident, limit=100_000)
        return {
            "incident": incident,
            "severity_label": f"{incident.severity} ({level.name})" if level else incident.severity,
            "services": services,
            "url": f"{self.base_url}/incidents/{incident.ref}" if self.base_url else "",
            "duration": _span(incident.detected_at, incident.resolved_at, "ongoing"),
            "roles": [(r.role, r.user.handle) for r in incident.roles],
            "owner": owner.handle if owner is not None else None,
            "postmortem": postmortem,
            "due_at": postmortem.due_at if postmortem is not None else None,
            "time_zone": self.zone.key,
            "rows": timeline.rows(entries),
            "metrics": self.metrics(session, incident),
            "action_items": list(items),
        }

    def markdown(
        self, session: Session, incident: Incident, postmortem: Postmortem | None = None
    ) -> str:
        """The postmortem draft for ``incident`` in Markdown."""
        rendered = self.env.get_template(TEMPLATE).render(
            self.context(session, incident, postmortem)
        )
        return rendered.strip() + "\n"

    def html(self, markdown_text: str, *, title: str) -> str:
        """A standalone HTML page of a postmortem; raw HTML in the Markdown stays text."""
        body = Markup(self._markdown.render(markdown_text))
        return self.env.get_template(HTML_TEMPLATE).render(title=title, body=body)
