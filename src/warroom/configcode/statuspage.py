"""The status page's components and groups as code: read, apply by name within a group, export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session
from yaml.nodes import Node

from warroom.change import Change
from warroom.configcode.yamlreader import Reader
from warroom.errors import NotFound, ValidationFailed
from warroom.services.service import get_service
from warroom.statuspage import components
from warroom.statuspage.models import StatusComponent

COMPONENT_KIND = "status page component"
GROUP_KIND = "status page group"
_SECTION = {"components": False}
_FIELDS = {
    "name": True,
    "description": False,
    "services": False,
    "position": False,
    "showcase": False,
    "only_show_if_degraded": False,
    "start_date": False,
    "follow_incidents": False,
    "components": False,
}
_COMPONENT_ONLY = ("services", "start_date", "follow_incidents")
_POSITIONS = range(-(2**31), 2**31)  # the position column's range


@dataclass(frozen=True)
class ComponentEntry:
    """A component, or (with ``components``) a group, as written; position defaults to its place."""

    path: str
    name: str
    description: str
    position: int
    showcase: bool
    only_show_if_degraded: bool
    start_date: date | None
    services: list[str]
    follow_incidents: bool
    components: list[ComponentEntry] | None = None


def _clean(name: str) -> str:
    return " ".join(name.split())


def _start_date(reader: Reader, node: Node | None, path: str) -> date | None:
    written = reader.optional_text(node, path)
    if node is None or written is None:
        return None
    try:
        return date.fromisoformat(written)
    except ValueError:
        reader.fail(node, path, f"{written!r} is not a date; use YYYY-MM-DD")
        return None


def _position(reader: Reader, node: Node | None, path: str, place: int) -> int:
    position = reader.integer(node, path, place)
    if node is not None and position not in _POSITIONS:
        reader.fail(node, path, f"use a whole number from {_POSITIONS[0]} to {_POSITIONS[-1]}")
        return place
    return position


def _entry(
    reader: Reader, node: Node, path: str, place: int, first: dict[str, str], in_group: bool
) -> ComponentEntry | None:
    fields = reader.mapping(node, path, _FIELDS)
    if fields is None:
        return None
    name = _clean(reader.text(fields.get("name"), f"{path}.name"))
    if name in first and "name" in fields:
        already = f"the same {COMPONENT_KIND} is already given at {first[name]}"
        reader.fail(fields["name"], f"{path}.name", already)
    first.setdefault(name, path)
    members = None
    if "components" in fields and in_group:
        inside = "a group cannot be inside another group"
        reader.fail(fields["components"], f"{path}.components", inside)
    elif "components" in fields:
        for key in (k for k in _COMPONENT_ONLY if k in fields):
            reader.fail(fields[key], f"{path}.{key}", f"a group has no {key}; give it to members")
        members = _entries(reader, fields["components"], f"{path}.components", in_group=True)
    return ComponentEntry(
        path=path,
        name=name,
        description=reader.text(fields.get("description"), f"{path}.description"),
        position=_position(reader, fields.get("position"), f"{path}.position", place),
        showcase=reader.boolean(fields.get("showcase"), f"{path}.showcase", True),
        only_show_if_degraded=reader.boolean(
            fields.get("only_show_if_degraded"), f"{path}.only_show_if_degraded", False
        ),
        start_date=_start_date(reader, fields.get("start_date"), f"{path}.start_date"),
        services=reader.texts(fields.get("services"), f"{path}.services"),
        follow_incidents=reader.boolean(
            fields.get("follow_incidents"), f"{path}.follow_incidents", True
        ),
        components=members,
    )


def _entries(
    reader: Reader, node: Node | None, path: str, *, in_group: bool
) -> list[ComponentEntry]:
    first: dict[str, str] = {}
    listed = [
        _entry(reader, item, item_path, place, first, in_group)
        for place, (item_path, item) in enumerate(reader.items(node, path), start=1)
    ]
    return [entry for entry in listed if entry is not None]


def read_status_page(reader: Reader, node: Node, path: str) -> list[ComponentEntry]:
    """The ``status_page`` section's components and groups; names unique where they are listed."""
    fields = reader.mapping(node, path, _SECTION) or {}
    return _entries(reader, fields.get("components"), f"{path}.components", in_group=False)


class Applier(Protocol):
    """What applying the status page needs of the document's applier."""

    session: Session
    change: Change

    def entry(
        self,
        kind: str,
        path: str,
        find: Callable[[], StatusComponent],
        create: Callable[[], StatusComponent],
        replace: Callable[[StatusComponent], object],
        facts: Callable[[StatusComponent], dict[str, Any]],
    ) -> None: ...


def component_facts(component: StatusComponent, place: int | None = None) -> dict[str, Any]:
    """A component or group as the document writes it; ``position`` only when not ``place``."""
    facts: dict[str, Any] = {"name": component.name}
    if component.description:
        facts["description"] = component.description
    if component.services and not component.is_group:
        facts["services"] = list(component.services)
    if component.position != place:
        facts["position"] = component.position
    if not component.showcase:
        facts["showcase"] = False
    if component.only_show_if_degraded:
        facts["only_show_if_degraded"] = True
    if component.start_date is not None and not component.is_group:
        facts["start_date"] = component.start_date.isoformat()
    if not component.follow_incidents and not component.is_group:
        facts["follow_incidents"] = False
    return facts


def status_page_facts(session: Session) -> list[dict[str, Any]]:
    """Top-level components and groups (with their members), each list in page order."""
    rows = components.list_components(session)
    members: dict[int, list[StatusComponent]] = {}
    for row in rows:
        if row.group_id is not None:
            members.setdefault(row.group_id, []).append(row)
    written = []
    for place, row in enumerate((r for r in rows if r.group_id is None), start=1):
        facts = component_facts(row, place)
        if row.is_group:
            listed = members.get(row.id, [])
            facts["components"] = [component_facts(m, i) for i, m in enumerate(listed, start=1)]
        written.append(facts)
    return written


class _StatusPage:
    """Applies the entries: matched by name within their group, else moved from elsewhere."""

    def __init__(self, applier: Applier, entries: list[ComponentEntry]) -> None:
        self.applier = applier
        self.session = applier.session
        self.matched: set[int] = set()
        self.listed = {(None, e.name) for e in entries} | {
            (e.name, m.name) for e in entries for m in e.components or []
        }

    def run(self, entries: list[ComponentEntry]) -> None:
        """Apply each group before its members."""
        for entry in entries:
            group = self.apply(entry, None)
            for member in entry.components or []:
                self.apply(member, group)

    def apply(self, entry: ComponentEntry, group: StatusComponent | None) -> StatusComponent:
        """Create or update one component or group; the row it ends as."""
        label = f"{group.name}/{entry.name}" if group else entry.name
        is_group = entry.components is not None
        rows: list[StatusComponent] = []

        def kept(row: StatusComponent) -> StatusComponent:
            self.matched.add(row.id)
            rows.append(row)
            return row

        def create() -> StatusComponent:
            self.check_services(entry)
            return kept(
                components.create_component(
                    self.session,
                    change=self.applier.change,
                    name=entry.name,
                    group=group.public_id if group else None,
                    is_group=is_group,
                    **self.fields(entry),
                )
            )

        def replace(row: StatusComponent) -> None:
            self.check_services(entry)
            changes = self.fields(entry)
            if not is_group:
                changes["group"] = group.public_id if group else None
            components.update_component(
                self.session, change=self.applier.change, component=row, fields=changes
            )

        def facts(row: StatusComponent) -> dict[str, Any]:
            parent = self.session.get(StatusComponent, row.group_id) if row.group_id else None
            written = component_facts(row)
            del written["name"]
            return {"name": label, "group": parent.name if parent else None, **written}

        self.applier.entry(
            GROUP_KIND if is_group else COMPONENT_KIND,
            entry.path,
            lambda: kept(self.find(entry, label, group)),
            create,
            replace,
            facts,
        )
        return rows[0]

    def fields(self, entry: ComponentEntry) -> dict[str, Any]:
        """The fields the entry sets; a group's are only those a group has."""
        common = {
            "description": entry.description,
            "position": entry.position,
            "showcase": entry.showcase,
            "only_show_if_degraded": entry.only_show_if_degraded,
        }
        if entry.components is not None:
            return common
        return common | {
            "start_date": entry.start_date,
            "services": entry.services,
            "follow_incidents": entry.follow_incidents,
        }

    def check_services(self, entry: ComponentEntry) -> None:
        """Refuse a service that neither exists nor is created earlier in the document."""
        for index, name in enumerate(entry.services):
            try:
                get_service(self.session, name)
            except NotFound as exc:
                raise ValidationFailed.for_field(f"services[{index}]", exc.detail) from None

    def find(
        self, entry: ComponentEntry, label: str, group: StatusComponent | None
    ) -> StatusComponent:
        """The row listed in the same place, else one the document lists nowhere (a move)."""
        rows = components.list_components(self.session)
        names = {r.id: _clean(r.name) for r in rows}
        here = [
            r
            for r in rows
            if r.group_id == (group.id if group else None) and names[r.id] == entry.name
        ]
        if len(here) > 1:
            raise ValidationFailed.for_field(
                "name", f"several components are called {label!r}; rename or delete one first"
            )
        is_group = entry.components is not None
        if here and here[0].is_group != is_group:
            was, becomes = ("group", "component") if here[0].is_group else ("component", "group")
            raise ValidationFailed.for_field(
                "name", f"{label!r} is a {was} and cannot become a {becomes}"
            )
        if here or is_group:
            return here[0] if here else self.missing()
        movable = [
            r
            for r in rows
            if not r.is_group
            and names[r.id] == entry.name
            and r.id not in self.matched
            and (names.get(r.group_id) if r.group_id else None, names[r.id]) not in self.listed
        ]
        if len(movable) > 1:
            raise ValidationFailed.for_field(
                "name",
                f"several components called {entry.name!r} could move here; "
                "list each under its current group or delete one first",
            )
        return movable[0] if movable else self.missing()

    def missing(self) -> StatusComponent:
        """Tell the applier to create the entry."""
        raise NotFound("not on the status page yet")


def apply_status_page(applier: Applier, entries: list[ComponentEntry]) -> None:
    """Create or update the document's components and groups; status is never touched."""
    _StatusPage(applier, entries).run(entries)
