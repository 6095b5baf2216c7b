"""A config-as-code YAML document read into typed entries, each field remembering its position."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import Node

from warroom.configcode.statuspage import ComponentEntry, read_status_page
from warroom.configcode.yamlreader import DocumentInvalid, PlacedError, Position, Reader, compose
from warroom.escalation.policies import StepSpec
from warroom.escalation.stakeholders import RuleSpec
from warroom.oncall.layers import RestrictionSpec
from warroom.users.contacts import ContactSpec

SECTIONS = (
    "users",
    "schedules",
    "escalation_policies",
    "stakeholders",
    "services",
    "integrations",
    "status_page",
)
_USER = dict.fromkeys(("handle", "name", "email"), True) | dict.fromkeys(
    ("time_zone", "role", "contact_methods"), False
)
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
class UserEntry:
    """A user as written in the document."""

    path: str
    handle: str
    name: str
    email: str
    time_zone: str
    contact_methods: list[ContactSpec] | None = None
    # The web role; an existing user keeps theirs when the entry gives none.
    role: str | None = None


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
    status_page: list[ComponentEntry] = field(default_factory=list)
    positions: dict[str, Position] = field(default_factory=dict)

    def error(self, path: str, message: str) -> DocumentInvalid:
        """An error at ``path``, placed at the nearest written enclosing field."""
        probe = path
        while probe and probe not in self.positions:
            probe = probe[: max(probe.rfind("."), probe.rfind("["), 0)]
        line, column = self.positions.get(probe, (1, 1))
        return DocumentInvalid([PlacedError(path, message, line, column)])


def _user(reader: Reader, node: Node, path: str) -> UserEntry | None:
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
        role=reader.optional_text(fields.get("role"), f"{path}.role"),
    )


def _contact(reader: Reader, node: Node, path: str) -> ContactSpec | None:
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


def _restriction(reader: Reader, node: Node, path: str) -> RestrictionSpec | None:
    fields = reader.mapping(node, path, _RESTRICTION)
    if fields is None:
        return None
    return RestrictionSpec(
        days=reader.texts(fields.get("days"), f"{path}.days"),
        start=reader.text(fields.get("start"), f"{path}.start"),
        end=reader.text(fields.get("end"), f"{path}.end"),
    )


def _rotation(reader: Reader, node: Node, path: str) -> RotationEntry | None:
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


def _schedule(reader: Reader, node: Node, path: str) -> ScheduleEntry | None:
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


def _target(reader: Reader, node: Node, path: str, kinds: dict[str, bool]) -> dict[str, str | None]:
    fields = reader.mapping(node, path, kinds) or {}
    return {key: reader.text(value, f"{path}.{key}") for key, value in fields.items()}


def _step(reader: Reader, node: Node, path: str) -> StepSpec | None:
    fields = reader.mapping(node, path, _STEP)
    if fields is None:
        return None
    targets = [
        _target(reader, item, item_path, _TARGET)
        for item_path, item in reader.items(fields.get("targets"), f"{path}.targets")
    ]
    return StepSpec(after=reader.text(fields.get("after"), f"{path}.after"), targets=targets)


def _policy(reader: Reader, node: Node, path: str) -> PolicyEntry | None:
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


def _rule(reader: Reader, node: Node, path: str) -> RuleSpec | None:
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


def _service(reader: Reader, node: Node, path: str) -> ServiceEntry | None:
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


def _integration(reader: Reader, node: Node, path: str) -> IntegrationEntry | None:
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


def read_document(text: str) -> Document:
    """The entries of a YAML document, or DocumentInvalid listing every shape error."""
    document = Document()
    root = compose(text)
    if root is None:
        return document
    reader = Reader(document.positions)
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
    if "status_page" in sections:
        document.status_page = read_status_page(reader, sections["status_page"], "status_page")
    if reader.errors:
        raise DocumentInvalid(reader.errors)
    return document
