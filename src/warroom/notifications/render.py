"""Rendering messages from Jinja2 templates, overridable per channel and message kind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.channels.base import Message
from warroom.incidents.models import Incident, TimelineEntry
from warroom.severity import DEFAULT_SCHEME, SeverityScheme

# fmt: off
KINDS = ("page", "inform", "escalated", "acknowledged", "resolved", "status_update", "reminder",
         "sla_breach", "bundle", "test", "update_due", "postmortem_due", "action_overdue")
# fmt: on
# The kinds that ask the recipient to act: they get Acknowledge/Resolve buttons.
CALLS_TO_ACTION = frozenset({"page", "escalated", "reminder"})
PARTS = ("subject", "txt", "html")
HTML_FALLBACK = "email/message.html.j2"
PAYLOAD_VERSION = "1"
_NAME = re.compile(r"^(?:[\w-]+/)?(?:_[\w.-]+|(?P<kind>\w+)\.(?P<part>subject|txt|html))\.j2$")
_URL = re.compile(r"https?://[^\s<>\"']+")


class TemplateProblem(ValueError):
    """A message template that cannot be used; the message names its file."""


@dataclass(frozen=True)
class RunbookRef:
    """The runbook section matched to an incident, as messages show it."""

    heading: str
    file: str = ""
    section_id: str | None = None
    url: str | None = None


def runbook_from_timeline(kind: str, data: Mapping[str, Any]) -> RunbookRef | None:
    """The section named by a ``runbook_accepted`` entry or the best ``runbook_suggested`` one."""
    if kind == "runbook_accepted" and data.get("heading"):
        return RunbookRef(heading=str(data["heading"]), section_id=data.get("section"))
    suggestions = data.get("suggestions") or [] if kind == "runbook_suggested" else []
    if not suggestions:
        return None
    # The matcher ranks suggestions best first.
    top = suggestions[0]
    return RunbookRef(
        heading=str(top["heading"]), file=str(top.get("file", "")), section_id=top.get("section_id")
    )


def runbook_for(session: Session, incident: Incident) -> RunbookRef | None:
    """The section the incident follows, else the latest best suggestion, else None."""
    for kind in ("runbook_accepted", "runbook_suggested"):
        entry = session.scalar(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident.id, TimelineEntry.kind == kind)
            .order_by(TimelineEntry.id.desc())
            .limit(1)
        )
        found = runbook_from_timeline(kind, entry.data) if entry is not None else None
        if found is not None:
            return found
    return None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _linkify(line: str) -> Markup:
    parts: list[Markup] = []
    position = 0
    for match in _URL.finditer(line):
        parts += [escape(line[position : match.start()])]
        parts += [Markup('<a href="{0}">{0}</a>').format(match.group())]
        position = match.end()
    parts.append(escape(line[position:]))
    return Markup("").join(parts)


def paragraphs(text: str) -> Markup:
    """Plain text as escaped HTML paragraphs with its links made clickable."""
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_linkify(line) for line in b.splitlines()))
        for b in blocks
    )


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Renderer:
    """Renders messages; templates in ``template_dir`` win over the packaged ones."""

    def __init__(
        self,
        base_url: str,
        template_dir: str | None = None,
        scheme: SeverityScheme = DEFAULT_SCHEME,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.scheme = scheme
        self.template_dir = Path(template_dir) if template_dir else None
        if self.template_dir is not None and not self.template_dir.is_dir():
            raise TemplateProblem(f"{self.template_dir}: template directory does not exist")
        self._overrides = jinja2.FileSystemLoader(template_dir) if template_dir else None
        packaged = jinja2.PackageLoader("warroom", "notifications/templates")
        loaders: list[jinja2.BaseLoader] = [self._overrides] if self._overrides else []
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([*loaders, packaged]),
            autoescape=jinja2.select_autoescape(["html.j2"], default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["paragraphs"] = paragraphs
        self._packaged = frozenset(packaged.list_templates())
        self._overridden = frozenset(self._overrides.list_templates()) if self._overrides else set()
        self._check_overrides()

    def _check_overrides(self) -> None:
        """Compile every override now so a broken one fails at startup, naming its file."""
        for name in sorted(self._overridden):
            # comms/ holds status update templates, which warroom.comms loads and checks.
            if not name.endswith(".j2") or name.startswith("comms/"):
                continue
            path = Path(self.template_dir or "", name)
            shape = _NAME.match(name)
            known = name == HTML_FALLBACK or (shape is not None and shape["kind"] in (None, *KINDS))
            if not known:
                raise TemplateProblem(
                    f"{path}: not a message template name; use [CHANNEL/]KIND.PART.j2 with KIND "
                    f"one of {', '.join(KINDS)} and PART one of {', '.join(PARTS)}"
                )
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateProblem(f"{path}:{exc.lineno}: {exc.message}") from exc

    def _template(self, channel: str, kind: str, part: str) -> jinja2.Template | None:
        names = [f"{channel}/{kind}.{part}.j2", f"{kind}.{part}.j2"]
        for found in (self._overridden, self._packaged):
            for name in names:
                if name in found:
                    return self.env.get_template(name)
        return None

    def _render(self, channel: str, kind: str, part: str, context: Mapping[str, Any]) -> str:
        template = self._template(channel, kind, part)
        if template is None and part == "html":
            template = self.env.get_template(HTML_FALLBACK)
        if template is None:
            raise TemplateProblem(f"no {part} template for {kind!r} messages")
        try:
            return template.render(context)
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"{template.filename}: {exc}") from exc

    def incident_view(self, incident: Incident) -> dict[str, Any]:
        """What templates know of the incident."""
        level = self.scheme.find(incident.severity)
        name = level.name if level is not None else ""
        detected, resolved = _utc(incident.detected_at), _utc(incident.resolved_at)
        duration = None
        if detected is not None and resolved is not None:
            minutes = max(int((resolved - detected).total_seconds()), 0) // 60
            duration = f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"
        return {
            "ref": incident.ref,
            "title": incident.title,
            "severity": incident.severity,
            "severity_name": name,
            "severity_label": f"{incident.severity} ({name})" if name else incident.severity,
            "status": incident.status,
            "service": incident.service,
            "summary": incident.summary or "",
            "impact": incident.impact or "",
            "customer_facing": bool(incident.customer_facing),
            "detected": f"{detected:%Y-%m-%d %H:%M} UTC" if detected else None,
            "detected_at": detected.isoformat().replace("+00:00", "Z") if detected else None,
            "resolved": f"{resolved:%Y-%m-%d %H:%M} UTC" if resolved else None,
            "duration": duration,
            "url": f"{self.base_url}/incidents/{incident.ref}",
            "api_url": f"{self.base_url}/api/v1/incidents/{incident.ref}",
        }

    def render(
        self,
        *,
        kind: str,
        channel: str,
        incident: Incident,
        idempotency_key: str,
        recipient: str | None = None,
        step: int | None = None,
        round_number: int | None = None,
        runbook: RunbookRef | None = None,
        extra: Mapping[str, Any] = {},
    ) -> Message:
        """One message of ``kind`` about ``incident`` for ``channel`` (email, slack, webhook...)."""
        if kind not in KINDS:
            raise ValueError(f"unknown message kind {kind!r}; use one of {', '.join(KINDS)}")
        if kind == "bundle" and not {"count", "refs"} <= extra.keys():
            raise ValueError("a bundle message needs extra['count'] and extra['refs']")
        view = self.incident_view(incident)
        context: dict[str, Any] = {
            "kind": kind,
            "channel": channel,
            "incident": view,
            "url": view["url"],
            "api_url": view["api_url"],
            "base_url": self.base_url,
            "recipient": recipient,
            "step": step,
            "round": round_number,
            "runbook": asdict(runbook) if runbook is not None else None,
            "extra": dict(extra),
            "asks_action": kind in CALLS_TO_ACTION,
        }
        subject = " ".join(self._render(channel, kind, "subject", context).split())
        text = self._render(channel, kind, "txt", context).strip() + "\n"
        html = None
        if channel == "email":
            html = self._render(
                channel, kind, "html", {**context, "subject": subject, "text": text}
            )
        return Message(
            kind=kind,
            idempotency_key=idempotency_key,
            incident_ref=incident.ref,
            severity=incident.severity,
            subject=subject,
            text=text,
            url=view["url"],
            html=html,
            blocks=self._blocks(kind, subject, text, view) if channel == "slack" else [],
            payload=self._payload(context, subject, text, idempotency_key),
        )

    @staticmethod
    def _payload(
        context: Mapping[str, Any], subject: str, text: str, idempotency_key: str
    ) -> dict[str, Any]:
        view = context["incident"]
        payload: dict[str, Any] = {
            "version": PAYLOAD_VERSION,
            "type": context["kind"],
            "id": idempotency_key,
            "sent_for": {"step": context["step"], "round": context["round"]},
            "incident": {
                "ref": view["ref"],
                "title": view["title"],
                "severity": view["severity"],
                "severity_name": view["severity_name"],
                "status": view["status"],
                "service": view["service"],
                "url": view["url"],
                "api_url": view["api_url"],
                "detected_at": view["detected_at"],
            },
            "runbook": context["runbook"],
            "subject": subject,
            "text": text,
        }
        if context["kind"] == "bundle":
            extra = context["extra"]
            payload["bundle"] = {"count": extra["count"], "refs": list(extra["refs"])}
        return payload

    @staticmethod
    def _blocks(
        kind: str, subject: str, text: str, view: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(text)[:3000]}},
        ]
        buttons: list[dict[str, Any]] = []
        if kind in CALLS_TO_ACTION:
            for action, label, style in (
                ("acknowledge", "Acknowledge", "primary"),
                ("resolve", "Resolve", None),
            ):
                button = {
                    "type": "button",
                    "action_id": f"incident.{action}",
                    "text": {"type": "plain_text", "text": label},
                    "value": view["ref"],
                }
                buttons.append({**button, "style": style} if style else button)
        buttons.append(
            {
                "type": "button",
                "action_id": "incident.open",
                "text": {"type": "plain_text", "text": f"Open {view['ref']}"},
                "url": view["url"],
            }
        )
        blocks.append(
            {"type": "actions", "block_id": f"warroom:{view['ref']}", "elements": buttons}
        )
        return blocks
