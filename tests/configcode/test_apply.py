"""Applying documents: create, idempotent re-apply, dry run, updates, export round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.configcode.conftest import EXAMPLE, ApplyText, snapshot
from tests.oncall.conftest import utc
from warroom.clock import FakeClock
from warroom.configcode.export import export
from warroom.errors import ValidationFailed
from warroom.escalation.policies import get_policy
from warroom.escalation.stakeholders import list_rules
from warroom.oncall.service import get_schedule, who_is_on_call
from warroom.services.service import get_service
from warroom.users.models import AuditEntry
from warroom.users.service import get_user


def _audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_the_example_creates_everything_in_dependency_order(apply_text: ApplyText, session):
    plan = apply_text(EXAMPLE)
    assert plan.lines() == [
        "+ create user alice",
        "+ create user bob",
        "+ create user carol",
        "+ create schedule payments-primary",
        "+ create escalation policy payments",
        "+ create stakeholder matrix",
        "+ create service checkout-api",
        "= 0 unchanged",
    ]
    assert get_user(session, "alice").time_zone == "Europe/Berlin"
    assert get_user(session, "carol").time_zone == "UTC"
    schedule = get_schedule(session, "payments-primary")
    assert [(layer.kind, layer.length_seconds) for layer in schedule.layers] == [("weekly", None)]
    on_call = who_is_on_call(session, schedule=schedule, at=utc(2026, 11, 10, 12))
    assert [u.handle for u in on_call] == ["bob"]
    policy = get_policy(session, "payments")
    assert policy.repeat == 1
    assert policy.steps == [
        {"after_seconds": 0, "targets": [{"schedule": "payments-primary"}]},
        {"after_seconds": 900, "targets": [{"user": "bob"}]},
    ]
    assert get_service(session, "checkout-api").escalation_policy is policy
    assert _audit_count(session) == 7


def test_applying_twice_changes_nothing_the_second_time(
    apply_text: ApplyText, engine: Engine, clock: FakeClock
):
    apply_text(EXAMPLE)
    before = snapshot(engine)
    clock.advance(minutes=5)
    plan = apply_text(EXAMPLE)
    assert plan.lines() == ["= 7 unchanged"]
    assert [i.action for i in plan.items] == ["unchanged"] * 7
    assert snapshot(engine) == before  # no audit rows, no new layers, no updated_at


def test_a_dry_run_reports_the_plan_and_writes_nothing(apply_text: ApplyText, engine: Engine):
    before = snapshot(engine)
    plan = apply_text(EXAMPLE, dry_run=True)
    assert plan.dry_run
    assert plan.count("create") == 7
    assert snapshot(engine) == before


def test_a_changed_step_is_an_update_of_steps_only(
    apply_text: ApplyText, session: Session, clock: FakeClock
):
    apply_text(EXAMPLE)
    changed = EXAMPLE.replace(
        "{after: 15m, targets: [{user: bob}]}", "{after: 20m, targets: [{user: carol}]}"
    )
    dry = apply_text(changed, dry_run=True)
    assert dry.lines() == ["~ update escalation policy payments: steps", "= 6 unchanged"]
    assert get_policy(session, "payments").steps[1]["after_seconds"] == 900
    audits = _audit_count(session)
    clock.advance(minutes=1)
    plan = apply_text(changed)
    assert plan.lines() == dry.lines()
    policy = get_policy(session, "payments")
    assert policy.steps[1] == {"after_seconds": 1200, "targets": [{"user": "carol"}]}
    assert policy.updated_at == clock.now()
    assert _audit_count(session) == audits + 1
    assert apply_text(changed).lines() == ["= 7 unchanged"]


def test_updates_name_the_fields_that_change(apply_text: ApplyText, session: Session):
    apply_text(EXAMPLE)
    changed = (
        EXAMPLE.replace(
            "name: Carol Poe, email: carol@example.com", "name: Carol P, email: c@example.com"
        )
        .replace("users: [alice, bob]", "users: [bob, alice]")
        .replace(
            "escalation_policy: payments}", "escalation_policy: payments, description: Checkout}"
        )
    )
    plan = apply_text(changed)
    assert plan.lines() == [
        "~ update user carol: name, email",
        "~ update schedule payments-primary: rotations",
        "~ update service checkout-api: description",
        "= 4 unchanged",
    ]
    assert get_user(session, "carol").email == "c@example.com"
    assert [m.user.handle for m in get_schedule(session, "payments-primary").layers[0].members] == [
        "bob",
        "alice",
    ]


def test_objects_not_in_the_file_are_left_alone(apply_text: ApplyText, session: Session):
    apply_text(EXAMPLE)
    plan = apply_text("users:\n  - {handle: dave, name: Dave, email: dave@example.com}\n")
    assert plan.lines() == ["+ create user dave", "= 0 unchanged"]
    assert get_service(session, "checkout-api").escalation_policy is not None
    assert apply_text("").lines() == ["= 0 unchanged"]


def test_rotation_lengths_kinds_and_restrictions(apply_text: ApplyText, session: Session):
    document = """\
users: [{handle: alice, name: Alice, email: alice@example.com}]
schedules:
  - name: mixed
    time_zone: UTC
    description: three kinds
    rotations:
      - {name: days, length: 1d, handoff: "2026-11-02T09:00", users: [alice]}
      - {name: halves, length: 12h, handoff: "2026-11-02T09:00", users: [alice]}
      - name: office
        kind: weekly
        handoff: "2026-11-02T09:00"
        users: [alice]
        restrictions: [{days: [mon, fri], start: "09:00", end: "17:00"}]
"""
    apply_text(document)
    layers = get_schedule(session, "mixed").layers
    assert [(x.kind, x.length_seconds) for x in layers] == [
        ("daily", None),
        ("custom", 43200),
        ("weekly", None),
    ]
    assert layers[2].restrictions == [{"days": ["mon", "fri"], "start": "09:00", "end": "17:00"}]
    assert apply_text(document).lines() == ["= 2 unchanged"]
    assert apply_text(export(session)).lines() == ["= 3 unchanged"]


def test_export_then_dry_run_reports_everything_unchanged(apply_text: ApplyText, session: Session):
    apply_text(EXAMPLE)
    apply_text(
        "escalation_policies:\n"
        "  - name: roles\n    description: by role\n    steps:\n"
        "      - {after: 90s, targets: [{role: incident_commander}, {user: alice}]}\n"
        "services:\n  - {name: bare}\n"
    )
    exported = export(session)
    assert "contact_methods" not in exported
    assert "kind: weekly" in exported
    plan = apply_text(exported, dry_run=True)
    assert plan.count("unchanged") == len(plan.items) == 9
    assert plan.lines() == ["= 9 unchanged"]


def test_export_of_an_empty_database(session: Session):
    assert export(session) == (
        "users: []\nschedules: []\nescalation_policies: []\nstakeholders: []\nservices: []\n"
        "integrations: []\n"
    )


def test_the_stakeholder_matrix_is_one_object(apply_text: ApplyText, session: Session):
    apply_text(EXAMPLE)
    ids = [r.id for r in list_rules(session)]
    assert apply_text(EXAMPLE).lines() == ["= 7 unchanged"]
    assert [r.id for r in list_rules(session)] == ids  # progress kept: the matrix was not rewritten
    changed = EXAMPLE.replace("after: 60m", "after: 30m")
    assert apply_text(changed).lines() == ["~ update stakeholder matrix: rules", "= 6 unchanged"]
    assert [(r.severity, r.after_seconds, r.notify) for r in list_rules(session)] == [
        ("P1", 1800, [{"user": "carol"}])
    ]
    without = changed[: changed.index("stakeholders:")] + changed[changed.index("services:") :]
    assert apply_text(without).lines() == ["= 6 unchanged"]
    assert len(list_rules(session)) == 1


def test_a_user_web_role_is_set_kept_when_not_given_and_exported(
    apply_text: ApplyText, session: Session, engine: Engine
):
    people = "users:\n- {handle: ann, name: Ann, email: ann@example.com, role: viewer}\n"
    assert apply_text(people).lines() == ["+ create user ann", "= 0 unchanged"]
    assert get_user(session, "ann").role == "viewer"
    promoted = people.replace("role: viewer", "role: admin")
    assert apply_text(promoted).lines() == ["~ update user ann: role", "= 0 unchanged"]
    assert get_user(session, "ann").role == "admin"
    silent = people.replace(", role: viewer", "")
    assert apply_text(silent).lines() == ["= 1 unchanged"]
    assert get_user(session, "ann").role == "admin"
    assert "role: admin" in export(session)


def test_an_unknown_web_role_names_its_place(apply_text: ApplyText, session: Session):
    people = "users:\n- {handle: ann, name: Ann, email: ann@example.com, role: boss}\n"
    with pytest.raises(ValidationFailed, match="unknown role 'boss'") as raised:
        apply_text(people)
    assert "users[0]" in raised.value.detail
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
