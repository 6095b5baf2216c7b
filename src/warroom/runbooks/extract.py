"""What a parsed runbook says: incident entries with their fields, severity and escalation tables,
communication templates and checklists."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from warroom.runbooks.parser import (
    Block,
    CodeBlock,
    ListBlock,
    ListItem,
    Paragraph,
    ParsedRunbook,
    Section,
    Table,
)

FIELDS: dict[str, tuple[str, ...]] = {
    "symptoms": ("symptom", "signs", "alarm", "alert", "indicator", "what you see", "when to"),
    "investigation": ("investigat", "diagnos", "triage", "check", "troubleshoot", "identify"),
    "resolution": (
        "resolution",
        "remediat",
        "mitigat",
        "fix",
        "recover",
        "immediate",
        "workaround",
        "quick win",
        "option",
        "action",
    ),
    "verification": ("verif", "validat", "confirm"),
    "prevention": ("prevent", "post", "long term", "follow up", "lessons"),
}
CHECKLIST_FIELDS = ("investigation", "steps", "resolution", "verification")
_CONTAINER = re.compile(
    r"common|incidents\b|incident types|issues\b|problems\b|troubleshoot|failure modes|"
    r"security incident",
    re.IGNORECASE,
)
_PROCEDURE = re.compile(r"recover|restore|roll ?back|failover|procedure|disaster", re.IGNORECASE)
_ESCALATION = re.compile(r"escalat|contact|communicat", re.IGNORECASE)
_SEVERITY_TAG = re.compile(r"\((P[1-5]|SEV-?[1-5])\)", re.IGNORECASE)
_LEVEL = r"(P[1-5]|SEV-? ?[1-5]|critical|high|medium|low)"
_SEVERITY_CHECKLIST = re.compile(
    rf"^{_LEVEL}\b.*\bchecklist\b|\bchecklist\b.*\b{_LEVEL}\)?$", re.IGNORECASE
)
_PLACEHOLDER = re.compile(r"\[([A-Za-z][^\[\]\n]{0,60})\]|<([A-Za-z][A-Za-z _-]{1,40})>")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class Step:
    """One actionable step: text plus the commands shown with it (never run)."""

    text: str
    commands: list[str] = field(default_factory=list)


@dataclass
class Entry:
    """A section as stored: identity, position, kind and extracted fields."""

    key: str
    heading: str
    level: int
    line: int
    parent_key: str | None
    kind: str
    path: list[str]
    body: str
    severity_tag: str | None = None
    fields: dict[str, list[Step]] = field(default_factory=dict)
    commands: list[dict[str, str]] = field(default_factory=list)
    checklist: list[Step] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


@dataclass
class Extraction:
    """Everything extracted from one runbook."""

    entries: list[Entry]
    severity_levels: list[dict[str, str]]
    escalation: list[dict[str, str]]
    contacts: list[dict[str, str]]
    templates: list[dict[str, Any]]
    checklists: list[dict[str, Any]]


def field_of(label: str) -> str | None:
    """The field a heading or bold label names ("Investigation Steps" → investigation), or None."""
    words = re.sub(r"[*_:()\d.\-]+", " ", label.lower()).split()
    if not words or len(words) > 5:
        return None
    text = " ".join(words)
    for name, stems in FIELDS.items():
        if any(text.startswith(stem) for stem in stems):
            return name
    return None


def _steps_from_items(items: list[ListItem]) -> list[Step]:
    steps = []
    for item in items:
        commands = [c.code for c in item.code]
        text = item.text
        if item.children and not commands:
            text = " ".join([text, *(c.text for c in item.children)]).strip()
        steps.append(Step(text=text, commands=commands))
    return steps


def _collect(blocks: list[Block], fields: dict[str, list[Step]], default: str) -> None:
    """Assign blocks to fields; a bold label paragraph (``**Symptoms:**``) switches the field."""
    current = default
    for block in blocks:
        if isinstance(block, Paragraph):
            name = field_of(block.text) if block.text.rstrip().endswith(":") else None
            if name:
                current = name
            elif block.text and not block.text.endswith(":"):
                fields.setdefault(current, []).append(Step(text=block.text))
            elif block.text:
                fields.setdefault(current, []).append(Step(text=block.text.rstrip(":")))
        elif isinstance(block, ListBlock):
            fields.setdefault(current, []).extend(_steps_from_items(block.items))
        elif isinstance(block, CodeBlock):
            bucket = fields.setdefault(current, [])
            if bucket and not bucket[-1].commands:
                bucket[-1].commands.append(block.code)
            else:
                bucket.append(Step(text="Run:", commands=[block.code]))


def _labelled_fields(section: Section) -> dict[str, list[Step]]:
    fields: dict[str, list[Step]] = {}
    _collect(section.blocks, fields, "steps")
    for child in section.children:
        name = field_of(child.heading) or "steps"
        for sub in child.walk():
            if sub is not child:
                fields.setdefault(name, []).append(Step(text=sub.heading))
            _collect(sub.blocks, fields, name)
    return fields


def _ancestors(section: Section) -> list[Section]:
    found = []
    parent = section.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def _has_ordered_steps(section: Section) -> bool:
    return any(
        (isinstance(b, ListBlock) and b.ordered) or isinstance(b, CodeBlock)
        for s in section.walk()
        for b in s.blocks
    )


def _entry_kind(section: Section, inside_entry: bool) -> str | None:
    """Return "incident" for "Incident: X", a section with symptoms, or a step list under a
    "Common incidents"-style heading; "procedure" for recovery, restore and rollback steps.
    Field sections ("Symptoms") and anything inside an entry are neither."""
    if inside_entry or field_of(section.heading) or _ESCALATION.search(section.heading):
        return None
    if _SEVERITY_CHECKLIST.search(section.heading) and any(
        isinstance(b, ListBlock) for b in section.blocks
    ):
        return "checklist"
    if section.heading.lower().startswith("incident:"):
        return "incident"
    if _is_procedure_with_parts(section):
        return "procedure"
    if any(field_of(child.heading) == "symptoms" for child in section.children):
        return "incident"
    if any(
        isinstance(b, Paragraph) and b.text.endswith(":") and field_of(b.text) == "symptoms"
        for b in section.blocks
    ):
        return "incident"
    ancestors = [a for a in _ancestors(section) if a.level > 1]
    has_steps = any(isinstance(b, ListBlock) for b in section.blocks)
    if any(_CONTAINER.search(a.heading) for a in ancestors) and not section.children and has_steps:
        return "incident"
    if section.level == 1 or section.children:
        return None
    in_procedures = any(_PROCEDURE.search(a.heading) for a in ancestors)
    return "procedure" if _is_procedure_step_list(section, in_procedures) else None


def _is_procedure_with_parts(section: Section) -> bool:
    """A procedure heading whose parts hold numbered steps or commands (Rollback Procedure)."""
    named = _PROCEDURE.search(section.heading) is not None
    steps_below = any(_is_procedure_step_list(c, True) for c in section.children)
    parts = section.level > 1 and bool(section.children) and not steps_below
    return named and parts and _has_ordered_steps(section)


def _is_procedure_step_list(section: Section, in_procedures: bool) -> bool:
    """A leaf with numbered steps, named like a procedure or under one, and not a field."""
    named = _PROCEDURE.search(section.heading) is not None
    ordered = any(isinstance(b, ListBlock) and b.ordered for b in section.blocks)
    plain = field_of(section.heading) is None
    return (named or in_procedures) and not section.children and ordered and plain


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "section"


def _commands(section: Section) -> list[dict[str, str]]:
    found = []
    for sub in section.walk():
        for block in sub.blocks:
            if isinstance(block, CodeBlock):
                found.append({"language": block.language, "code": block.code})
            elif isinstance(block, ListBlock):
                for item in block.items:
                    found += [{"language": c.language, "code": c.code} for c in item.code]
    return found


def _row_dicts(table: Table) -> list[dict[str, str]]:
    header = [h.strip().lower() for h in table.header]
    return [dict(zip(header, row, strict=False)) for row in table.rows]


_LEVEL_CELL = re.compile(
    r"^\**\s*((?:P|SEV-?)\s?[0-5])\b\s*[-(\u2013:]*\s*([A-Za-z ]*)", re.IGNORECASE
)


def _severity_levels(table: Table) -> list[dict[str, str]]:
    header = [h.lower() for h in table.header]
    if not header or not any(w in header[0] for w in ("severity", "level", "priority")):
        return []
    levels = []
    for row in _row_dicts(table):
        first = row.get(header[0], "").strip("* ")
        match = _LEVEL_CELL.match(first)
        if not match:
            return []
        level = {"id": match.group(1).upper().replace(" ", ""), "name": match.group(2).strip(" )")}
        for column, value in row.items():
            if "descr" in column:
                level["description"] = value
            elif "response" in column:
                level["response_time"] = value
            elif "resolution" in column:
                level["resolution_time"] = value
            elif "example" in column:
                level["examples"] = value
        levels.append(level)
    return levels


def extract(parsed: ParsedRunbook) -> Extraction:
    """Find incident entries, tables, templates and checklists in a parsed runbook."""
    entries: list[Entry] = []
    keys: dict[int, str] = {}
    used: set[str] = set()
    entry_sections: set[int] = set()
    keys_inside: set[int] = set()
    severity_levels: list[dict[str, str]] = []
    escalation: list[dict[str, str]] = []
    contacts: list[dict[str, str]] = []
    templates: list[dict[str, Any]] = []
    checklists: list[dict[str, Any]] = []
    for section in parsed.all_sections():
        parent_key = keys.get(id(section.parent)) if section.parent else None
        base = f"{parent_key}/{_slug(section.heading)}" if parent_key else _slug(section.heading)
        key, n = base, 2
        while key in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key)
        keys[id(section)] = key
        entry = Entry(
            key=key,
            heading=section.heading,
            level=section.level,
            line=section.line,
            parent_key=parent_key,
            kind="section",
            path=section.path(),
            body=section.body,
        )
        tag = _SEVERITY_TAG.search(section.heading) or _SEVERITY_CHECKLIST.search(section.heading)
        label = next((g for g in tag.groups() if g), None) if tag else None
        entry.severity_tag = label.upper().replace(" ", "") if label else None
        parent_is_entry = section.parent is not None and id(section.parent) in entry_sections
        inside_entry = parent_is_entry or (
            section.parent is not None and id(section.parent) in keys_inside
        )
        if inside_entry:
            keys_inside.add(id(section))
        kind = _entry_kind(section, inside_entry)
        if kind:
            entry_sections.add(id(section))
            entry.kind = kind
            entry.fields = _labelled_fields(section)
            entry.commands = _commands(section)
            entry.checklist = [s for name in CHECKLIST_FIELDS for s in entry.fields.get(name, [])]
        entries.append(entry)
        for block in section.blocks:
            if isinstance(block, Table):
                header = " ".join(block.header).lower()
                levels = _severity_levels(block)
                if levels:
                    severity_levels = severity_levels or levels
                elif "time" in header and ("action" in header or "notif" in header):
                    escalation += [{**row, "section": key} for row in _row_dicts(block)]
                elif "role" in header:
                    contacts += [{**row, "section": key} for row in _row_dicts(block)]
            elif isinstance(block, CodeBlock) and _looks_like_template(section, block):
                placeholders = sorted({a or b for a, b in _PLACEHOLDER.findall(block.code)})
                templates.append(
                    {
                        "section": key,
                        "heading": section.heading,
                        "text": block.code,
                        "placeholders": placeholders,
                    }
                )
            elif isinstance(block, ListBlock) and any(i.checked is not None for i in block.items):
                checklists.append(
                    {
                        "section": key,
                        "heading": section.heading,
                        "items": [i.text for i in block.items],
                    }
                )
    return Extraction(entries, severity_levels, escalation, contacts, templates, checklists)


def _looks_like_template(section: Section, block: CodeBlock) -> bool:
    context = " ".join(section.path()).lower()
    is_text = block.language in ("", "text", "markdown", "md")
    return is_text and "template" in context and bool(_PLACEHOLDER.search(block.code))
