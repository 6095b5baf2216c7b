"""Runbook pages: the imported runbooks, a search over their headings, one runbook rendered."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from warroom.errors import NotFound
from warroom.incidents.models import Incident
from warroom.runbooks import library
from warroom.runbooks.models import ChecklistItem, Runbook, RunbookSection, RunbookVersion
from warroom.runbooks.parser import parse
from warroom.web.deps import SessionDep
from warroom.web.ui.auth import SignedInDep
from warroom.web.ui.render import markdown_html, page

router = APIRouter(include_in_schema=False)
RUNBOOK_LIMIT = 200
SEARCH_LIMIT = 50
USED_BY_SHOWN = 10
# Ids the page itself uses; a heading whose slug is one of them gets a suffix instead.
PAGE_IDS = frozenset({"main", "shortcuts", "shortcuts-title", "contents", "used-by", "runbook"})
_NOT_IN_SLUG = re.compile(r"[^\w\- ]")
_RUNBOOK_ID = re.compile(r"[0-9]{1,9}")


@dataclass
class Usage:
    """Incidents that took a checklist from one section: how many, and the latest few."""

    total: int = 0
    incidents: list[tuple[str, str, str]] = field(default_factory=list)  # ref, title, severity


def heading_anchors(headings: Iterable[tuple[int, str]]) -> dict[int, str]:
    """GitHub-style anchors by heading line: ``high-latency--slow-performance``, then ``-1``."""
    used = set(PAGE_IDS)
    anchors: dict[int, str] = {}
    for line, heading in headings:
        base = _NOT_IN_SLUG.sub("", heading.strip().lower()).replace(" ", "-") or "section"
        anchor, number = base, 0
        while anchor in used:
            number += 1
            anchor = f"{base}-{number}"
        used.add(anchor)
        anchors[line] = anchor
    return anchors


def render_markdown(text: str, anchors: dict[int, str]) -> Markup:
    """The runbook as HTML, its headings one level down (the page has the h1) with anchors."""
    return markdown_html(text, shift=1, anchors=anchors)


@lru_cache(maxsize=32)
def _rendered(content: str, anchors: tuple[tuple[int, str], ...]) -> Markup:
    """A stored runbook version rendered once, not on every view."""
    return render_markdown(parse(content).text, dict(anchors))


def section_usage(session: Session, runbook_id: int) -> dict[str, Usage]:
    """Per section id: the incidents with a checklist from it, in one windowed query."""
    pairs = (
        select(ChecklistItem.section_id, ChecklistItem.incident_id)
        .where(ChecklistItem.section_id.startswith(f"{runbook_id}:"))
        .distinct()
        .subquery()
    )
    ranked = (
        select(
            pairs.c.section_id,
            Incident.ref,
            Incident.title,
            Incident.severity,
            func.row_number()
            .over(partition_by=pairs.c.section_id, order_by=Incident.id.desc())
            .label("rank"),
            func.count().over(partition_by=pairs.c.section_id).label("total"),
        )
        .join(Incident, Incident.id == pairs.c.incident_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ranked.c.section_id,
            ranked.c.ref,
            ranked.c.title,
            ranked.c.severity,
            ranked.c.total,
        )
        .where(ranked.c.rank <= USED_BY_SHOWN)
        .order_by(ranked.c.section_id, ranked.c.rank)
    )
    usage: defaultdict[str, Usage] = defaultdict(Usage)
    for section_id, ref, title, severity, total in rows:
        usage[section_id].total = total
        usage[section_id].incidents.append((ref, title, severity))
    return dict(usage)


def _summaries(session: Session) -> list[dict[str, object]]:
    entries = func.count(case((RunbookSection.kind.in_(library.ENTRY_KINDS), RunbookSection.id)))
    query = (
        select(
            Runbook.id,
            Runbook.file_name,
            Runbook.source,
            Runbook.title,
            Runbook.version,
            Runbook.updated_at,
            func.count(RunbookSection.id).label("sections"),
            entries.label("entries"),
        )
        .outerjoin(RunbookSection, RunbookSection.runbook_id == Runbook.id)
        .group_by(Runbook.id)
        .order_by(Runbook.source)
        .limit(RUNBOOK_LIMIT + 1)
    )
    return [dict(row._mapping) for row in session.execute(query)]


@dataclass(frozen=True)
class HeadingMatch:
    """A section whose heading matched a search, with the anchor it has on its runbook's page."""

    runbook_id: int
    file_name: str
    heading: str
    kind: str
    path: list[str]
    anchor: str


def _search(session: Session, words: str) -> list[HeadingMatch]:
    """Sections whose heading contains ``words``, in runbook and document order."""
    query = (
        select(
            RunbookSection.runbook_id,
            RunbookSection.line,
            RunbookSection.heading,
            RunbookSection.kind,
            RunbookSection.path,
            Runbook.file_name,
        )
        .join(Runbook, Runbook.id == RunbookSection.runbook_id)
        .where(func.lower(RunbookSection.heading).contains(words.lower(), autoescape=True))
        .order_by(Runbook.source, RunbookSection.line)
        .limit(SEARCH_LIMIT + 1)
    )
    found = session.execute(query).all()
    headings = session.execute(
        select(RunbookSection.runbook_id, RunbookSection.line, RunbookSection.heading)
        .where(
            RunbookSection.runbook_id.in_({row.runbook_id for row in found}),
            RunbookSection.heading != "",
        )
        .order_by(RunbookSection.runbook_id, RunbookSection.line)
    )
    by_runbook: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    for runbook_id, line, heading in headings:
        by_runbook[runbook_id].append((line, heading))
    anchors = {runbook_id: heading_anchors(lines) for runbook_id, lines in by_runbook.items()}
    return [
        HeadingMatch(
            runbook_id=row.runbook_id,
            file_name=row.file_name,
            heading=row.heading,
            kind=row.kind,
            path=row.path,
            anchor=anchors[row.runbook_id][row.line],
        )
        for row in found
    ]


@router.get("/runbooks", response_class=HTMLResponse)
def runbooks_page(request: Request, session: SessionDep, who: SignedInDep) -> HTMLResponse:
    """The imported runbooks, and the sections whose heading matches ``q``."""
    words = request.query_params.get("q", "").strip()[:200]
    runbooks = _summaries(session)
    matches = _search(session, words) if words else []
    return page(
        request,
        "runbooks.html.j2",
        runbooks=runbooks[:RUNBOOK_LIMIT],
        more_runbooks=len(runbooks) > RUNBOOK_LIMIT,
        words=words,
        matches=matches[:SEARCH_LIMIT],
        more_matches=len(matches) > SEARCH_LIMIT,
    )


@router.get("/runbooks/{runbook_id}", response_class=HTMLResponse)
def runbook_page(
    runbook_id: str, request: Request, session: SessionDep, who: SignedInDep
) -> HTMLResponse:
    """One runbook rendered, its contents, and which incidents followed its sections."""
    if not _RUNBOOK_ID.fullmatch(runbook_id):
        raise NotFound(f"no runbook with id {runbook_id[:40]!r}")
    runbook = library.get_runbook(session, int(runbook_id))
    content = session.scalar(
        select(RunbookVersion.content).where(
            RunbookVersion.runbook_id == runbook.id, RunbookVersion.version == runbook.version
        )
    )
    titled = [section for section in runbook.sections if section.heading]
    anchors = heading_anchors((section.line, section.heading) for section in titled)
    usage = section_usage(session, runbook.id)
    return page(
        request,
        "runbook.html.j2",
        runbook=runbook,
        contents=[(section, anchors[section.line]) for section in titled],
        usage=usage,
        used=[(s, anchors[s.line], usage[s.public_id]) for s in titled if s.public_id in usage],
        html=_rendered(content or "", tuple(anchors.items())),
    )
