"""A config-as-code YAML document read into typed entries, each field remembering its position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from warroom.errors import FieldError, ValidationFailed
from warroom.escalation.policies import StepSpec
from warroom.escalation.stakeholders import RuleSpec
from warroom.oncall.layers import RestrictionSpec
from warroom.users.contacts import ContactSpec

MAX_NODES = 100_000
Position = tuple[int, int]
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
SECTIONS = ("users", "schedules", "escalation_policies", "stakeholders", "services", "integrations")
_USER = {"handle": True, "name": True, "email": True, "time_zone": False, "contact_methods": False}
_CONTACT = dict.fromkeys(("type", "address"), True) | dict.fromkeys(
    ("label", "secret", "delay_minutes"), False
)
_SCHEDULE = {"name": True, "time_zone": True, "description": False, "rotations": True}
_ROTATION = {
    "name": True,
    "kind": False,
    "length": False,
    "handoff": True,
    "users": True,
    "restrictions": False,
}
_RESTRICTION = {"days": True, "start": True, "end": True}
_POLICY = {"name": True, "description": False, "repeat": False, "steps": True}
_STEP = {"after": True, "targets": True}
_TARGET = {"user": False, "schedule": False, "role": False}
_RULE = {"severity": True, "after": True, "notify": True}
_NOTIFY = {"user": False, "role": False}
_SERVICE = {"name": True, "description": False, "escalation_policy": False, "grouping": False}
_INTEGRATION = dict.fromkeys(("name", "source", "service"), True) | dict.fromkeys(
    ("key", "secret", "options", "enabled"), False
)


@dataclass(frozen=True)
class PlacedError(FieldError):
    """A field that failed validation, with its 1-based line and column in the document."""

    line: int = 1
    column: int = 1

    def render(self) -> str:
        """``line:column: field: message``."""
        where = f"{self.line}:{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DocumentInvalid(ValidationFailed):
    """A config document that cannot be applied; every error names its position and field."""

    def __init__(self, errors: Sequence[PlacedError]) -> None:
        super().__init__("; ".join(e.render() for e in errors), list(errors))
        self.placed = list(errors)

    def extra(self) -> dict[str, Any]:
        return {
            "errors": [
                {
                    "field": e.field,
                    "message": e.message,
                    "position": f"{e.line}:{e.column}",
                    "line": e.line,
                    "column": e.column,
                }
                for e in self.placed
            ]
        }


@dataclass(frozen=True)
class UserEntry:
    """A user as written in the document."""

    path: str
    handle: str
    name: str
    email: str
    time_zone: str
    contact_methods: list[ContactSpec] | None = None


@dataclass(frozen=True)
class RotationEntry:
    """A schedule's rotation (layer) as written: ``length: 1w`` stands for a weekly rotation."""

    name: str
    kind: str | None
    length: str | None
    handoff: str
    users: list[str]
    restrictions: list[RestrictionSpec]


@dataclass(frozen=True)
class ScheduleEntry:
    """A schedule as written in the document."""

    path: str
    name: str
    time_zone: str
    description: str
    rotations: list[RotationEntry]


@dataclass(frozen=True)
class PolicyEntry:
    """An escalation policy as written in the document."""

    path: str
    name: str
    description: str
    repeat: int
    steps: list[StepSpec]


@dataclass(frozen=True)
class ServiceEntry:
    """A service as written in the document."""

    path: str
    name: str
    description: str
    escalation_policy: str | None
    grouping: dict[str, Any] | None = None


@dataclass(frozen=True)
class IntegrationEntry:
    """An integration as written; a missing key or secret keeps the current one."""

    path: str
    name: str
    source: str
    service: str
    key: str | None
    secret: str | None
    options: dict[str, Any]
    enabled: bool


@dataclass
class Document:
    """The entries of a document by section, and where each field path is written."""

    users: list[UserEntry] = field(default_factory=list)
    schedules: list[ScheduleEntry] = field(default_factory=list)
    policies: list[PolicyEntry] = field(default_factory=list)
    stakeholders: list[RuleSpec] | None = None
    services: list[ServiceEntry] = field(default_factory=list)
    integrations: list[IntegrationEntry] = field(default_factory=list)
    positions: dict[str, Position] = field(default_factory=dict)

    def error(self, path: str, message: str) -> DocumentInvalid:
        """An error at ``path``, placed at the nearest written enclosing field."""
        probe = path
        while probe and probe not in self.positions:
            probe = probe[: max(probe.rfind("."), probe.rfind("["), 0)]
        line, column = self.positions.get(probe, (1, 1))
        return DocumentInvalid([PlacedError(path, message, line, column)])


def _kind_of(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "nothing" if node.tag == _NULL else f"{node.value!r}"


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Reader:
    """Walks the composed YAML tree, collecting every shape error instead of stopping."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.errors: list[PlacedError] = []
        self.budget = MAX_NODES

    def fail(self, node: Node, path: str, message: str) -> None:
        """Record an error at ``node``."""
        mark = node.start_mark
        self.errors.append(PlacedError(path, message, mark.line + 1, mark.column + 1))

    def visit(self, node: Node, path: str) -> None:
        """Count a node against the budget and remember where ``path`` is written."""
        self.budget -= 1
        if self.budget < 0:
            raise DocumentInvalid([PlacedError("", "the document has too many values", 1, 1)])
        mark = node.start_mark
        self.document.positions.setdefault(path, (mark.line + 1, mark.column + 1))

    def mapping(self, node: Node, path: str, fields: dict[str, bool]) -> dict[str, Node] | None:
        """A mapping's non-null values by key, refusing unknown, repeated and missing keys."""
        self.visit(node, path)
        if not isinstance(node, MappingNode):
            self.fail(node, path, f"expected a mapping, got {_kind_of(node)}")
            return None
        found: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else ""
            if name in found:
                self.fail(key, _child(path, name), f"{name!r} is given twice")
            elif name not in fields:
                known = ", ".join(fields)
                self.fail(key, _child(path, name), f"unknown field; use {known}")
            elif value.tag != _NULL:
                found[name] = value
                self.visit(value, _child(path, name))
        for name, required in fields.items():
            if required and name not in found:
                self.fail(node, _child(path, name), "is required")
        return found

    def items(self, node: Node | None, path: str) -> list[tuple[str, Node]]:
        """A list's items with their paths; nothing for an absent list."""
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.fail(node, path, f"expected a list, got {_kind_of(node)}")
            return []
        listed = [(f"{path}[{i}]", item) for i, item in enumerate(node.value)]
        for item_path, item in listed:
            self.visit(item, item_path)
        return listed

    def text(self, node: Node | None, path: str, default: str = "") -> str:
        """A scalar as written (``15m``, ``0``, ``2026-11-02T09:00``), or ``default``."""
        if node is None:
            return default
        if not isinstance(node, ScalarNode):
            self.fail(node, path, f"expected text, got {_kind_of(node)}")
            return default
        return str(node.value)

    def optional_text(self, node: Node | None, path: str) -> str | None:
        """A scalar as written, or None when absent."""
        return None if node is None else self.text(node, path)

    def texts(self, node: Node | None, path: str) -> list[str]:
        """A list of scalars as written."""
        return [self.text(item, item_path) for item_path, item in self.items(node, path)]

    def place(self, node: Node, path: str) -> None:
        """Remember where every field nested in ``node`` is written."""
        children: list[tuple[str, Node]] = []
        if isinstance(node, MappingNode):
            children = [(_child(path, getattr(k, "value", "")), v) for k, v in node.value]
        elif isinstance(node, SequenceNode):
            children = [(f"{path}[{i}]", item) for i, item in enumerate(node.value)]
        for child_path, child in children:
            self.visit(child, child_path)
            self.place(child, child_path)

    def data(self, node: Node, path: str) -> Any:
        """Any YAML value as Python data, remembering where each nested field is written."""
        self.place(node, path)
        try:
            return SafeConstructor().construct_document(node)
        except ConstructorError as exc:
            self.fail(node, path, f"cannot be read: {exc.problem}")
            return None

    def mapping_data(self, node: Node | None, path: str) -> dict[str, Any] | None:
        """A free-form mapping (options, grouping) as Python data; None when absent."""
        if node is None:
            return None
        if not isinstance(node, MappingNode):
            self.fail(node, path, f"expected a mapping, got {_kind_of(node)}")
            return None
        value = self.data(node, path)
        return value if isinstance(value, dict) else None

    def boolean(self, node: Node | None, path: str, default: bool) -> bool:
        """true or false, or ``default`` when absent."""
        if node is None:
            return default
        value = self.data(node, path)
        if not isinstance(value, bool):
            self.fail(node, path, f"expected true or false, got {_kind_of(node)}")
            return default
        return value

    def integer(self, node: Node | None, path: str, default: int) -> int:
        """A whole number, or ``default`` when absent."""
        if node is None:
            return default
        if not isinstance(node, ScalarNode) or node.tag != _INT:
            self.fail(node, path, f"expected a whole number, got {_kind_of(node)}")
            return default
        return int(node.value)


def _user(reader: _Reader, node: Node, path: str) -> UserEntry | None:
    fields = reader.mapping(node, path, _USER)
    if fields is None:
        return None
    methods = fields.get("contact_methods")
    contact_methods = None
    if methods is not None:
        listed = reader.items(methods, f"{path}.contact_methods")
        contact_methods = [
            c for c in (_contact(reader, item, item_path) for item_path, item in listed) if c
        ]
    return UserEntry(
        path=path,
        handle=reader.text(fields.get("handle"), f"{path}.handle"),
        name=reader.text(fields.get("name"), f"{path}.name"),
        email=reader.text(fields.get("email"), f"{path}.email"),
        time_zone=reader.text(fields.get("time_zone"), f"{path}.time_zone", "UTC"),
        contact_methods=contact_methods,
    )


def _contact(reader: _Reader, node: Node, path: str) -> ContactSpec | None:
    fields = reader.mapping(node, path, _CONTACT)
    if fields is None:
        return None
    return ContactSpec(
        type=reader.text(fields.get("type"), f"{path}.type"),
        address=reader.text(fields.get("address"), f"{path}.address"),
        label=reader.optional_text(fields.get("label"), f"{path}.label"),
        secret=reader.optional_text(fields.get("secret"), f"{path}.secret"),
        delay_minutes=reader.integer(fields.get("delay_minutes"), f"{path}.delay_minutes", 0),
    )


def _restriction(reader: _Reader, node: Node, path: str) -> RestrictionSpec | None:
    fields = reader.mapping(node, path, _RESTRICTION)
    if fields is None:
        return None
    return RestrictionSpec(
        days=reader.texts(fields.get("days"), f"{path}.days"),
        start=reader.text(fields.get("start"), f"{path}.start"),
        end=reader.text(fields.get("end"), f"{path}.end"),
    )


def _rotation(reader: _Reader, node: Node, path: str) -> RotationEntry | None:
    fields = reader.mapping(node, path, _ROTATION)
    if fields is None:
        return None
    if "kind" not in fields and "length" not in fields:
        reader.fail(node, f"{path}.length", "give a length (1d, 1w, or e.g. 12h) or a kind")
    restrictions = [
        _restriction(reader, item, item_path)
        for item_path, item in reader.items(fields.get("restrictions"), f"{path}.restrictions")
    ]
    return RotationEntry(
        name=reader.text(fields.get("name"), f"{path}.name"),
        kind=reader.optional_text(fields.get("kind"), f"{path}.kind"),
        length=reader.optional_text(fields.get("length"), f"{path}.length"),
        handoff=reader.text(fields.get("handoff"), f"{path}.handoff"),
        users=reader.texts(fields.get("users"), f"{path}.users"),
        restrictions=[r for r in restrictions if r is not None],
    )


def _schedule(reader: _Reader, node: Node, path: str) -> ScheduleEntry | None:
    fields = reader.mapping(node, path, _SCHEDULE)
    if fields is None:
        return None
    rotations = [
        _rotation(reader, item, item_path)
        for item_path, item in reader.items(fields.get("rotations"), f"{path}.rotations")
    ]
    return ScheduleEntry(
        path=path,
        name=reader.text(fields.get("name"), f"{path}.name"),
        time_zone=reader.text(fields.get("time_zone"), f"{path}.time_zone"),
        description=reader.text(fields.get("description"), f"{path}.description"),
        rotations=[r for r in rotations if r is not None],
    )


def _target(
    reader: _Reader, node: Node, path: str, kinds: dict[str, bool]
) -> dict[str, str | None]:
    fields = reader.mapping(node, path, kinds) or {}
    return {key: reader.text(value, f"{path}.{key}") for key, value in fields.items()}


def _step(reader: _Reader, node: Node, path: str) -> StepSpec | None:
    fields = reader.mapping(node, path, _STEP)
    if fields is None:
        return None
    targets = [
        _target(reader, item, item_path, _TARGET)
        for item_path, item in reader.items(fields.get("targets"), f"{path}.targets")
    ]
    return StepSpec(after=reader.text(fields.get("after"), f"{path}.after"), targets=targets)


def _policy(reader: _Reader, node: Node, path: str) -> PolicyEntry | None:
    fields = reader.mapping(node, path, _POLICY)
    if fields is None:
        return None
    steps = [
        _step(reader, item, item_path)
        for item_path, item in reader.items(fields.get("steps"), f"{path}.steps")
    ]
    return PolicyEntry(
        path=path,
        name=reader.text(fields.get("name"), f"{path}.name"),
        description=reader.text(fields.get("description"), f"{path}.description"),
        repeat=reader.integer(fields.get("repeat"), f"{path}.repeat", 0),
        steps=[s for s in steps if s is not None],
    )


def _rule(reader: _Reader, node: Node, path: str) -> RuleSpec | None:
    fields = reader.mapping(node, path, _RULE)
    if fields is None:
        return None
    notify = [
        _target(reader, item, item_path, _NOTIFY)
        for item_path, item in reader.items(fields.get("notify"), f"{path}.notify")
    ]
    return RuleSpec(
        severity=reader.text(fields.get("severity"), f"{path}.severity"),
        after=reader.text(fields.get("after"), f"{path}.after"),
        notify=notify,
    )


def _service(reader: _Reader, node: Node, path: str) -> ServiceEntry | None:
    fields = reader.mapping(node, path, _SERVICE)
    if fields is None:
        return None
    return ServiceEntry(
        path=path,
        name=reader.text(fields.get("name"), f"{path}.name"),
        description=reader.text(fields.get("description"), f"{path}.description"),
        escalation_policy=reader.optional_text(
            fields.get("escalation_policy"), f"{path}.escalation_policy"
        ),
        grouping=reader.mapping_data(fields.get("grouping"), f"{path}.grouping"),
    )


def _integration(reader: _Reader, node: Node, path: str) -> IntegrationEntry | None:
    fields = reader.mapping(node, path, _INTEGRATION)
    if fields is None:
        return None
    return IntegrationEntry(
        path=path,
        name=reader.text(fields.get("name"), f"{path}.name"),
        source=reader.text(fields.get("source"), f"{path}.source"),
        service=reader.text(fields.get("service"), f"{path}.service"),
        key=reader.optional_text(fields.get("key"), f"{path}.key"),
        secret=reader.optional_text(fields.get("secret"), f"{path}.secret"),
        options=reader.mapping_data(fields.get("options"), f"{path}.options") or {},
        enabled=reader.boolean(fields.get("enabled"), f"{path}.enabled", True),
    )


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "cannot be read"
        raise DocumentInvalid(
            [PlacedError("", f"not valid YAML: {problem}", line, column)]
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentInvalid([PlacedError("", f"not valid YAML: {exc}", 1, 1)]) from None


def read_document(text: str) -> Document:
    """The entries of a YAML document, or DocumentInvalid listing every shape error."""
    document = Document()
    root = _compose(text)
    if root is None:
        return document
    reader = _Reader(document)
    sections = reader.mapping(root, "", dict.fromkeys(SECTIONS, False)) or {}
    for item_path, item in reader.items(sections.get("users"), "users"):
        document.users.extend(e for e in [_user(reader, item, item_path)] if e)
    for item_path, item in reader.items(sections.get("schedules"), "schedules"):
        document.schedules.extend(e for e in [_schedule(reader, item, item_path)] if e)
    for item_path, item in reader.items(sections.get("escalation_policies"), "escalation_policies"):
        document.policies.extend(e for e in [_policy(reader, item, item_path)] if e)
    if "stakeholders" in sections:
        rules = reader.items(sections["stakeholders"], "stakeholders")
        document.stakeholders = [
            r for r in (_rule(reader, item, item_path) for item_path, item in rules) if r
        ]
    for item_path, item in reader.items(sections.get("services"), "services"):
        document.services.extend(e for e in [_service(reader, item, item_path)] if e)
    for item_path, item in reader.items(sections.get("integrations"), "integrations"):
        document.integrations.extend(e for e in [_integration(reader, item, item_path)] if e)
    if reader.errors:
        raise DocumentInvalid(reader.errors)
    return document
