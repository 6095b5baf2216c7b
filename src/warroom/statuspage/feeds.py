"""Atom 1.0 and RSS 2.0 feeds of public incidents, one entry each with its latest update."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from warroom.statuspage.models import StatusIncident
from warroom.statuspage.page import PageInfo
from warroom.statuspage.render import STATUS_WORDS

ATOM_NS = "http://www.w3.org/2005/Atom"


def _latest_text(incident: StatusIncident) -> str:
    if not incident.updates:
        return ""
    latest = max(incident.updates, key=lambda u: (u.display_at, u.id))
    return f"{STATUS_WORDS.get(latest.status, latest.status)}: {latest.body}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def atom(info: PageInfo, incidents: Sequence[StatusIncident], now: datetime) -> bytes:
    """The Atom feed document."""
    ET.register_namespace("", ATOM_NS)

    def tag(name: str) -> str:
        return f"{{{ATOM_NS}}}{name}"

    feed = ET.Element(tag("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": "en"})
    _text(feed, tag("id"), f"{info.url}/history.atom")
    _text(feed, tag("title"), f"{info.name} status - incident history")
    updated = max((i.updated_at for i in incidents), default=now)
    _text(feed, tag("updated"), _utc(updated))
    ET.SubElement(feed, tag("link"), {"rel": "self", "href": f"{info.url}/history.atom"})
    ET.SubElement(feed, tag("link"), {"rel": "alternate", "href": info.url})
    author = ET.SubElement(feed, tag("author"))
    _text(author, tag("name"), info.name)
    for incident in incidents:
        entry = ET.SubElement(feed, tag("entry"))
        url = info.incident_url(incident.public_id)
        _text(entry, tag("id"), url)
        _text(entry, tag("title"), incident.name)
        _text(entry, tag("updated"), _utc(incident.updated_at))
        _text(entry, tag("published"), _utc(incident.created_at))
        ET.SubElement(entry, tag("link"), {"rel": "alternate", "href": url})
        _text(entry, tag("summary"), _latest_text(incident), type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def rss(info: PageInfo, incidents: Sequence[StatusIncident], now: datetime) -> bytes:
    """The RSS 2.0 feed document."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    _text(channel, "title", f"{info.name} status - incident history")
    _text(channel, "link", info.url)
    _text(
        channel, "description", f"Incidents and maintenance reported on the {info.name} status page"
    )
    _text(channel, "language", "en")
    updated = max((i.updated_at for i in incidents), default=now)
    _text(channel, "lastBuildDate", format_datetime(updated.astimezone(UTC), usegmt=True))
    for incident in incidents:
        item = ET.SubElement(channel, "item")
        url = info.incident_url(incident.public_id)
        _text(item, "title", incident.name)
        _text(item, "link", url)
        _text(item, "guid", url, isPermaLink="true")
        _text(item, "pubDate", format_datetime(incident.created_at.astimezone(UTC), usegmt=True))
        _text(item, "description", _latest_text(incident))
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
