"""Apply a config document: diff it against the database and create or update what differs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy.orm import Session

from warroom.alerts import integrations
from warroom.alerts.models import Integration
from warroom.change import Change
from warroom.configcode.document import (
    Document,
    IntegrationEntry,
    PolicyEntry,
    RotationEntry,
    ScheduleEntry,
    ServiceEntry,
    UserEntry,
    read_document,
)
from warroom.configcode.export import (
    integration_facts,
    matrix_facts,
    policy_facts,
    schedule_facts,
    service_facts,
    user_facts,
)
from warroom.configcode.statuspage import apply_status_page
from warroom.errors import NotFound, ValidationFailed, WarroomError
from warroom.escalation import policies
from warroom.escalation.stakeholders import RuleSpec, replace_matrix
from warroom.notifications.egress import EgressGuard
from warroom.oncall import service as schedules
from warroom.oncall.layers import LayerSpec
from warroom.services import service as services
from warroom.severity import SeverityScheme
from warroom.users import service as users
from warroom.users import sign_in
from warroom.users.contacts import replace_contact_methods
from warroom.users.models import User

Action = Literal["create", "update", "unchanged"]
Row = TypeVar("Row", bound=Any)
_SHORTHAND = {"1d": "daily", "1w": "weekly"}
_RENAMES = {"layers": "rotations", "rules": ""}
_MASKED = ("key", "secret")


@dataclass(frozen=True)
class PlanItem:
    """What applying does to one object, and which of its fields change."""

    action: Action
    kind: str
    name: str
    fields: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """Every object in a document and what applying it does, in the order applied."""

    dry_run: bool
    items: list[PlanItem] = field(default_factory=list)
    # Keys generated for integrations the document created without one: shown this once.
    generated_keys: dict[str, str] = field(default_factory=dict)

    def count(self, action: Action) -> int:
        """How many objects get ``action``."""
        return sum(1 for item in self.items if item.action == action)

    def lines(self) -> list[str]:
        """The plan as ``+ create user alice``, ``~ update ...: fields`` and ``= N unchanged``."""
        shown = []
        for item in self.items:
            if item.action == "create":
                shown.append(f"+ create {item.kind} {item.name}")
            elif item.action == "update":
                fields = [f"{f}=***" if f in _MASKED else f for f in item.fields]
                shown.append(f"~ update {item.kind} {item.name}: {', '.join(fields)}")
        shown.append(f"= {self.count('unchanged')} unchanged")
        shown.extend(
            f"key of integration {name} (shown once): {key}"
            for name, key in self.generated_keys.items()
        )
        return shown


def _document_path(entry_path: str, service_field: str) -> str:
    """A service's field name (``layers.0.users``) as a document path (``rotations[0].users``)."""
    path = entry_path
    for part in service_field.split(".") if service_field else []:
        renamed = _RENAMES.get(part, part)
        if renamed:
            path += f"[{part}]" if part.isdigit() else f".{renamed}"
    return path


def _layer_spec(rotation: RotationEntry) -> LayerSpec:
    kind, length = rotation.kind, rotation.length
    if kind is None:
        kind = _SHORTHAND.get((length or "").strip().lower(), "custom")
        if kind != "custom":
            length = None
    return LayerSpec(
        name=rotation.name,
        kind=kind,
        handoff=rotation.handoff,
        users=rotation.users,
        length=length,
        restrictions=rotation.restrictions,
    )


class _Applier:
    """Applies a document's entries in dependency order, recording the plan."""

    def __init__(
        self,
        session: Session,
        change: Change,
        scheme: SeverityScheme,
        document: Document,
        plan: Plan,
        guard: EgressGuard | None = None,
    ) -> None:
        self.guard = guard
        self.session = session
        self.change = change
        self.scheme = scheme
        self.document = document
        self.plan = plan
        self.seen: dict[tuple[str, int], str] = {}

    def run(self) -> None:
        """Apply users, schedules, policies, stakeholders, services, integrations, status page."""
        for user in self.document.users:
            self.apply_user(user)
        for schedule in self.document.schedules:
            self.apply_schedule(schedule)
        for policy in self.document.policies:
            self.apply_policy(policy)
        if self.document.stakeholders is not None:
            self.apply_stakeholders(self.document.stakeholders)
        for service in self.document.services:
            self.apply_service(service)
        for integration in self.document.integrations:
            self.apply_integration(integration)
        apply_status_page(self, self.document.status_page)

    def entry(
        self,
        kind: str,
        path: str,
        find: Callable[[], Row],
        create: Callable[[], Row],
        replace: Callable[[Row], object],
        facts: Callable[[Row], dict[str, Any]],
    ) -> None:
        """Create the object, or replace it and keep the change only if its facts differ."""
        key = "handle" if kind == "user" else "name"
        with self.placed(path):
            try:
                existing = find()
            except NotFound:
                created = create()
                self.mark_seen(kind, created.id, path, key)
                self.plan.items.append(PlanItem("create", kind, facts(created)[key]))
                return
            self.mark_seen(kind, existing.id, path, key)
            self.replace_if_changed(kind, lambda: replace(existing), lambda: facts(existing), key)

    def replace_if_changed(
        self,
        kind: str,
        replace: Callable[[], object],
        facts: Callable[[], dict[str, Any]],
        key: str = "name",
    ) -> None:
        """Replace in a savepoint; keep it as an update only if the facts changed."""
        before = facts()
        savepoint = self.session.begin_nested()
        replace()
        self.session.flush()
        after = facts()
        changed = [f for f in {**before, **after} if before.get(f) != after.get(f)]
        if changed:
            savepoint.commit()
            self.plan.items.append(PlanItem("update", kind, before[key], changed))
        else:
            savepoint.rollback()
            self.plan.items.append(PlanItem("unchanged", kind, before[key]))

    @contextmanager
    def placed(self, path: str) -> Iterator[None]:
        """Turn a service's error into one that names the document position and path."""
        try:
            yield
        except ValidationFailed as exc:
            where = exc.errors[0].field if exc.errors else ""
            message = exc.errors[0].message if exc.errors else exc.detail
            raise self.document.error(_document_path(path, where), message) from None
        except WarroomError as exc:
            raise self.document.error(path, exc.detail) from None

    def mark_seen(self, kind: str, row_id: int, path: str, key: str) -> None:
        """Refuse a second entry for an object the document already gave."""
        first = self.seen.setdefault((kind, row_id), path)
        if first != path:
            raise ValidationFailed.for_field(key, f"the same {kind} is already given at {first}")

    def apply_user(self, entry: UserEntry) -> None:
        """Create or update a user and, when the entry lists them, its contact methods."""

        def contacts(user: User) -> User:
            if entry.role is not None and entry.role != user.role:
                sign_in.set_role(self.session, change=self.change, user=user, role=entry.role)
            if entry.contact_methods is not None:
                replace_contact_methods(
                    self.session,
                    change=self.change,
                    user=user,
                    methods=entry.contact_methods,
                    guard=self.guard,
                )
            return user

        self.entry(
            "user",
            entry.path,
            lambda: users.get_user(self.session, entry.handle),
            lambda: contacts(
                users.create_user(
                    self.session,
                    change=self.change,
                    handle=entry.handle,
                    name=entry.name,
                    email=entry.email,
                    time_zone=entry.time_zone,
                    role=entry.role or "responder",
                )
            ),
            lambda user: contacts(
                users.update_user(
                    self.session,
                    change=self.change,
                    user=user,
                    name=entry.name,
                    email=entry.email,
                    time_zone=entry.time_zone,
                )
            ),
            lambda user: user_facts(user, include_secrets=True),
        )

    def apply_schedule(self, entry: ScheduleEntry) -> None:
        """Create or replace a schedule."""
        layers = [_layer_spec(r) for r in entry.rotations]
        self.entry(
            "schedule",
            entry.path,
            lambda: schedules.get_schedule(self.session, entry.name),
            lambda: schedules.create_schedule(
                self.session,
                change=self.change,
                name=entry.name,
                time_zone=entry.time_zone,
                layers=layers,
                description=entry.description,
            ),
            lambda schedule: schedules.replace_schedule(
                self.session,
                change=self.change,
                schedule=schedule,
                time_zone=entry.time_zone,
                layers=layers,
                description=entry.description,
            ),
            schedule_facts,
        )

    def apply_policy(self, entry: PolicyEntry) -> None:
        """Create or replace an escalation policy."""
        self.entry(
            "escalation policy",
            entry.path,
            lambda: policies.get_policy(self.session, entry.name),
            lambda: policies.create_policy(
                self.session,
                change=self.change,
                name=entry.name,
                steps=entry.steps,
                repeat=entry.repeat,
                description=entry.description,
            ),
            lambda policy: policies.replace_policy(
                self.session,
                change=self.change,
                policy=policy,
                steps=entry.steps,
                repeat=entry.repeat,
                description=entry.description,
            ),
            policy_facts,
        )

    def apply_stakeholders(self, rules: list[RuleSpec]) -> None:
        """Replace the stakeholder matrix if the document's differs."""
        with self.placed("stakeholders"):
            if not matrix_facts(self.session)["rules"] and rules:
                replace_matrix(self.session, change=self.change, scheme=self.scheme, rules=rules)
                self.plan.items.append(PlanItem("create", "stakeholder", "matrix"))
                return
            self.replace_if_changed(
                "stakeholder",
                lambda: replace_matrix(
                    self.session, change=self.change, scheme=self.scheme, rules=rules
                ),
                lambda: matrix_facts(self.session),
            )

    def apply_service(self, entry: ServiceEntry) -> None:
        """Create or replace a service."""
        self.entry(
            "service",
            entry.path,
            lambda: services.get_service(self.session, entry.name),
            lambda: services.create_service(
                self.session,
                change=self.change,
                name=entry.name,
                description=entry.description,
                escalation_policy=entry.escalation_policy,
                grouping=entry.grouping,
            ),
            lambda service: services.replace_service(
                self.session,
                change=self.change,
                service=service,
                description=entry.description,
                escalation_policy=entry.escalation_policy,
                grouping=entry.grouping,
            ),
            service_facts,
        )

    def apply_integration(self, entry: IntegrationEntry) -> None:
        """Create or update an integration; its key changes only when the document gives one."""

        def create() -> Integration:
            created, key = integrations.create_integration(
                self.session,
                change=self.change,
                name=entry.name,
                source=entry.source,
                service=entry.service,
                key=entry.key,
                secret=entry.secret,
                options=entry.options,
            )
            if entry.key is None and not self.plan.dry_run:
                self.plan.generated_keys[created.name] = key
            if not entry.enabled:
                replace(created)
            return created

        def replace(integration: Integration) -> None:
            if entry.source.strip().lower() != integration.source:
                raise ValidationFailed.for_field(
                    "source",
                    f"is {integration.source} and cannot change; use a new name for a new source",
                )
            integrations.update_integration(
                self.session,
                change=self.change,
                integration=integration,
                service=entry.service,
                options=entry.options,
                enabled=entry.enabled,
                secret=entry.secret,
            )
            if entry.key is not None and not integrations.key_matches(integration, entry.key):
                integrations.rotate_key(
                    self.session, change=self.change, integration=integration, key=entry.key
                )

        self.entry(
            "integration",
            entry.path,
            lambda: integrations.get_integration(self.session, entry.name),
            create,
            replace,
            _integration_state,
        )


def _integration_state(integration: Integration) -> dict[str, Any]:
    """What the document can change, compared in memory only (never printed)."""
    return {
        **integration_facts(integration),
        "enabled": integration.enabled,
        "key": integration.key_hash,
        "secret": integration.secret,
    }


def apply(
    session: Session,
    *,
    change: Change,
    scheme: SeverityScheme,
    document: str,
    dry_run: bool,
    guard: EgressGuard | None = None,
) -> Plan:
    """Create or update every object in ``document``; a dry run or any error writes nothing.

    ``scheme`` resolves the stakeholder matrix's severities; ``guard`` checks new contact-method
    addresses. The caller commits.
    """
    parsed = read_document(document)
    plan = Plan(dry_run=dry_run)
    savepoint = session.begin_nested()
    try:
        _Applier(session, change, scheme, parsed, plan, guard).run()
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return plan
