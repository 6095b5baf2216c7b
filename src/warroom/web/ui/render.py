"""Rendering UI pages: the Jinja2 environment, its filters and the page response."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
# Severity is shown as a shape and a label as well as a colour, so it reads without colour.
SEVERITY_SHAPES = {"P1": "◆", "P2": "▲", "P3": "●", "P4": "○"}
STATUS_WORDS = {
    "triggered": "Triggered",
    "acknowledged": "Acknowledged",
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "closed": "Closed",
}


def duration_words(span: timedelta | None) -> str:
    """A short human duration such as ``3d 4h``, ``2h 05m`` or ``45s``."""
    if span is None:
        return ""
    seconds = int(abs(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def clock_time(moment: datetime | None) -> str:
    """A time for people: ``25 Nov 14:05 UTC``."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %H:%M} UTC"


def machine_time(moment: datetime | None) -> str:
    """ISO-8601 for ``<time datetime>``."""
    return moment.isoformat() if moment is not None else ""


@cache
def safe_markdown() -> MarkdownIt:
    """Markdown with raw HTML shown as text; markdown-it's link check drops javascript: links."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str, *, shift: int, anchors: dict[int, str] | None = None) -> Markup:
    """Markdown as safe HTML, headings ``shift`` levels down, with ids by 1-based source line."""
    markdown = safe_markdown()
    tokens = markdown.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + shift)}"
        if anchors and token.type == "heading_open" and token.level == 0 and token.map:
            anchor = anchors.get(token.map[0] + 1)
            if anchor:
                token.attrSet("id", anchor)
    return Markup(markdown.renderer.render(tokens, markdown.options, {}))


@cache
def environment() -> jinja2.Environment:
    """The UI's Jinja2 environment; autoescaping is on for every template."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(duration=duration_words, clock=clock_time, iso=machine_time)
    env.globals.update(SEVERITY_SHAPES=SEVERITY_SHAPES, STATUS_WORDS=STATUS_WORDS)
    return env


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the signed-in user, CSRF token and clock in its context."""
    state = request.state
    context.setdefault("signed_in", getattr(state, "signed_in", None))
    context.setdefault("now", request.app.state.clock.now())
    context.setdefault("product_name", request.app.state.settings.status_page_name)
    context.setdefault("path", request.url.path)
    context.setdefault("query", dict(request.query_params))
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def html_error(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    """A domain error met by a signed-in page: the same words as the API's, as a page."""
    back = request.headers.get("referer", "")
    own = str(request.base_url)
    back_path = "/" + back[len(own) :] if back.startswith(own) else ""
    return page(request, "error.html.j2", status_code, title=title, detail=detail, back=back_path)
