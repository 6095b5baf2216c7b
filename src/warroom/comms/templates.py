"""Status update templates (Jinja2), overridable from ``template_dir/comms/``, and their facts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes

from warroom.errors import FieldError, ValidationFailed
from warroom.incidents.models import Incident
from warroom.severity import SeverityScheme

INTERNAL = "internal"
PUBLIC = "public"
AUDIENCES = (INTERNAL, PUBLIC)
OVERRIDE_FOLDER = "comms"
_FILE = re.compile(r"^(?P<audience>internal|public)/(?P<name>[a-z][a-z0-9_]{0,63})\.txt\.j2$")
# What every template is given; caller variables may not reuse these names.
PUBLIC_FIELDS = frozenset(
    {
        "ref",
        "title",
        "severity",
        "severity_name",
        "status",
        "impact",
        "service",
        "services",
        "detected",
        "resolved",
        "now",
        "duration",
        "next_update",
    }
)
INTERNAL_FIELDS = PUBLIC_FIELDS | {"summary", "url", "roles", "commander", "incident_status"}
_OPTIONAL_MARKS = {nodes.Test: ("defined", "undefined"), nodes.Filter: ("default", "d")}


@dataclass(frozen=True)
class TemplateInfo:
    """A template as the API lists it: the variables a caller must and may give."""

    name: str
    audience: str
    required: list[str]
    optional: list[str]


def when(moment: datetime | None) -> str | None:
    """A time as messages show it: ``2025-11-01 09:15 UTC``."""
    return None if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def elapsed(start: datetime, end: datetime) -> str:
    """A duration as ``1h 5m`` or ``25m``."""
    minutes = max(int((end - start).total_seconds()), 0) // 60
    return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"


def incident_facts(
    incident: Incident,
    *,
    audience: str,
    scheme: SeverityScheme,
    status: str,
    now: datetime,
    next_update: datetime | None,
    base_url: str,
) -> dict[str, Any]:
    """What a template of ``audience`` knows of the incident; public ones get public fields only."""
    level = scheme.find(incident.severity)
    end = incident.resolved_at or now
    facts: dict[str, Any] = {
        "ref": incident.ref,
        "title": incident.title,
        "severity": incident.severity,
        "severity_name": level.name if level is not None else "",
        "status": status,
        "impact": incident.impact or "",
        "service": incident.service or "",
        "services": [incident.service] if incident.service else [],
        "detected": when(incident.detected_at),
        "resolved": when(incident.resolved_at),
        "now": when(now),
        "duration": elapsed(incident.detected_at, end),
        "next_update": when(next_update),
    }
    if audience == PUBLIC:
        return facts
    roles = {r.role: r.user.name for r in incident.roles}
    return {
        **facts,
        "summary": incident.summary or "",
        "url": f"{base_url}/incidents/{incident.ref}",
        "roles": roles,
        "commander": roles.get("incident_commander", ""),
        "incident_status": incident.status,
    }


def _variables(source: jinja2.nodes.Template, audience: str) -> tuple[list[str], list[str]]:
    """The caller variables a template uses: required, and optional (tested or defaulted)."""
    given = INTERNAL_FIELDS if audience == INTERNAL else PUBLIC_FIELDS
    used = meta.find_undeclared_variables(source) - given
    optional = {
        node.node.name
        for kind, names in _OPTIONAL_MARKS.items()
        for node in source.find_all(kind)
        if node.name in names and isinstance(node.node, nodes.Name)
    }
    return sorted(used - optional), sorted(used & optional)


class UpdateTemplates:
    """The packaged update templates, with those in ``template_dir/comms/`` winning."""

    def __init__(self, template_dir: str | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if template_dir:
            folder = Path(template_dir, OVERRIDE_FOLDER)
            if folder.is_dir():
                loaders.append(jinja2.FileSystemLoader(folder))
        loaders.append(jinja2.PackageLoader("warroom", "comms/templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def names(self, audience: str) -> list[str]:
        """Template names for an audience, sorted."""
        found = (_FILE.match(name) for name in self.env.list_templates())
        return sorted({m["name"] for m in found if m is not None and m["audience"] == audience})

    def _parse(self, audience: str, name: str) -> jinja2.nodes.Template:
        file = f"{audience}/{name}.txt.j2"
        assert self.env.loader is not None
        source, filename, _ = self.env.loader.get_source(self.env, file)
        try:
            return self.env.parse(source, name=file, filename=filename)
        except jinja2.TemplateSyntaxError as exc:
            raise ValidationFailed.for_field(
                "template", f"{filename}:{exc.lineno}: {exc.message}"
            ) from None

    def describe(self) -> list[TemplateInfo]:
        """Every template with the variables it needs, by audience then name."""
        infos = []
        for audience in AUDIENCES:
            for name in self.names(audience):
                required, optional = _variables(self._parse(audience, name), audience)
                infos.append(TemplateInfo(name, audience, required, optional))
        return infos

    def render(
        self, *, audience: str, name: str, facts: Mapping[str, Any], variables: Mapping[str, str]
    ) -> str:
        """The template filled in; an unknown template or a missing variable is a 422."""
        known = self.names(audience)
        if name not in known:
            raise ValidationFailed.for_field(
                "template",
                f"unknown template {name!r} for {audience} updates; use one of {', '.join(known)}",
            )
        required, _ = _variables(self._parse(audience, name), audience)
        missing = [v for v in required if v not in variables]
        if missing:
            raise ValidationFailed(
                f"the {audience} {name} template needs vars {', '.join(missing)}",
                [FieldError(f"vars.{v}", f"the {name} template needs it") for v in missing],
            )
        template = self.env.get_template(f"{audience}/{name}.txt.j2")
        try:
            return template.render({**variables, **facts}).strip()
        except jinja2.UndefinedError as exc:
            raise ValidationFailed.for_field(
                "vars", f"the {audience} {name} template failed: {exc.message}"
            ) from None
        except jinja2.TemplateError as exc:
            raise ValidationFailed.for_field(
                "template", f"{template.filename}: {exc.message or type(exc).__name__}"
            ) from None
