"""The current configuration as a document in the shape ``apply`` reads."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy.orm import Session

from warroom.alerts.integrations import list_integrations
from warroom.alerts.models import Integration
from warroom.configcode.statuspage import status_page_facts
from warroom.escalation.models import EscalationPolicy
from warroom.escalation.policies import list_policies, steps_text
from warroom.escalation.stakeholders import list_rules, rule_text
from warroom.oncall.layers import length_text
from warroom.oncall.models import Layer, Schedule
from warroom.oncall.service import list_schedules
from warroom.services.models import Service
from warroom.services.service import list_services
from warroom.users.contact_rules import mask_address
from warroom.users.models import ContactMethod, User
from warroom.users.service import list_users


def user_facts(user: User, *, include_secrets: bool = False) -> dict[str, Any]:
    """A user as the document writes it; contact methods masked unless ``include_secrets``."""
    methods = [_contact_facts(m, include_secrets) for m in user.contact_methods]
    return {
        "handle": user.handle,
        "name": user.name,
        "email": user.email,
        "time_zone": user.time_zone,
        "role": user.role,
        **({"contact_methods": methods} if methods else {}),
    }


def _contact_facts(method: ContactMethod, include_secrets: bool) -> dict[str, Any]:
    address = method.address if include_secrets else mask_address(method.type, method.address)
    facts: dict[str, Any] = {"type": method.type, "address": address}
    if method.label:
        facts["label"] = method.label
    if method.delay_minutes:
        facts["delay_minutes"] = method.delay_minutes
    if include_secrets and method.secret:
        facts["secret"] = method.secret
    return facts


def _hides_secrets(user: User) -> bool:
    return any(
        m.secret or mask_address(m.type, m.address) != m.address for m in user.contact_methods
    )


def _rotation_facts(layer: Layer) -> dict[str, Any]:
    facts: dict[str, Any] = {"name": layer.name, "kind": layer.kind}
    length = length_text(layer)
    if length is not None:
        facts["length"] = length
    facts["handoff"] = layer.handoff
    facts["users"] = [m.user.handle for m in layer.members]
    if layer.restrictions:
        facts["restrictions"] = [dict(r) for r in layer.restrictions]
    return facts


def schedule_facts(schedule: Schedule) -> dict[str, Any]:
    """A schedule as the document writes it."""
    facts: dict[str, Any] = {"name": schedule.name, "time_zone": schedule.time_zone}
    if schedule.description:
        facts["description"] = schedule.description
    facts["rotations"] = [_rotation_facts(layer) for layer in schedule.layers]
    return facts


def policy_facts(policy: EscalationPolicy) -> dict[str, Any]:
    """An escalation policy as the document writes it."""
    facts: dict[str, Any] = {"name": policy.name}
    if policy.description:
        facts["description"] = policy.description
    facts["repeat"] = policy.repeat
    facts["steps"] = steps_text(policy.steps)
    return facts


def matrix_facts(session: Session) -> dict[str, Any]:
    """The stakeholder matrix as the document writes it, under ``rules``."""
    return {"name": "matrix", "rules": [rule_text(r) for r in list_rules(session)]}


def service_facts(service: Service) -> dict[str, Any]:
    """A service as the document writes it."""
    facts: dict[str, Any] = {"name": service.name}
    if service.description:
        facts["description"] = service.description
    if service.escalation_policy is not None:
        facts["escalation_policy"] = service.escalation_policy.name
    if service.grouping is not None:
        facts["grouping"] = dict(service.grouping)
    return facts


def integration_facts(integration: Integration) -> dict[str, Any]:
    """An integration as the document writes it: never its key or secret."""
    facts: dict[str, Any] = {
        "name": integration.name,
        "source": integration.source,
        "service": integration.service.name,
    }
    if integration.options:
        facts["options"] = dict(integration.options)
    if not integration.enabled:
        facts["enabled"] = False
    return facts


def export(session: Session, *, include_secrets: bool = False) -> str:
    """Users, schedules, policies, stakeholders, services, integrations, status page as YAML."""
    people = list_users(session)
    data: dict[str, Any] = {
        "users": [user_facts(u, include_secrets=include_secrets) for u in people],
        "schedules": [schedule_facts(s) for s in list_schedules(session)],
        "escalation_policies": [policy_facts(p) for p in list_policies(session)],
        "stakeholders": matrix_facts(session)["rules"],
        "services": [service_facts(s) for s in list_services(session)],
        "integrations": [integration_facts(i) for i in list_integrations(session)],
    }
    page = status_page_facts(session)
    if page:
        data["status_page"] = {"components": page}
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if not include_secrets and any(_hides_secrets(u) for u in people):
        text = f"{_CONTACTS_NOTE}\n{text}"
    if not data["integrations"]:
        return text
    return text.replace("\nintegrations:", f"\n{_KEYS_NOTE}\nintegrations:", 1)


_CONTACTS_NOTE = (
    "# Contact-method credentials are masked (****) and webhook secrets left out; applying this\n"
    "# file keeps the current ones. warroom export --include-secrets writes them in full."
)
_KEYS_NOTE = (
    "# Keys and secrets are never exported; integrations without a key keep their current one.\n"
    "# Add key: or secret: to set them (grafana needs its secret when created from this file)."
)
