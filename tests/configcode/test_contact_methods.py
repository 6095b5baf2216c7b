"""Users' contact methods in config as code: applied in order, exported, diffed, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.configcode.conftest import EXAMPLE, ApplyText, snapshot
from warroom.configcode.export import export
from warroom.configcode.yamlreader import DocumentInvalid
from warroom.users.contacts import list_contact_methods
from warroom.users.models import AuditEntry
from warroom.users.service import get_user

ALICE = "{handle: alice, name: Alice Doe, email: alice@example.com, time_zone: Europe/Berlin}"
METHODS = (
    '[{type: webhook, address: "http://127.0.0.1:9000/page"}, '
    "{type: email, address: alice@example.com, label: work}]"
)


def with_alice_methods(methods: str) -> str:
    """The example with alice's contact methods set to ``methods``."""
    return EXAMPLE.replace(ALICE, ALICE[:-1] + f", contact_methods: {methods}}}")


def alices(session: Session) -> list[tuple[int, str, str, str | None]]:
    session.expire_all()
    return [
        (m.position, m.type, m.address, m.label)
        for m in list_contact_methods(session, get_user(session, "alice"))
    ]


def audit_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_contact_methods_are_applied_in_order_and_exported(apply_text: ApplyText, session: Session):
    document = with_alice_methods(METHODS)
    assert apply_text(document).count("create") == 7
    assert alices(session) == [
        (1, "webhook", "http://127.0.0.1:9000/page", None),
        (2, "email", "alice@example.com", "work"),
    ]
    rows = audit_rows(session)
    assert apply_text(document).lines() == ["= 7 unchanged"]
    assert audit_rows(session) == rows
    exported = export(session)
    assert (
        "  contact_methods:\n  - type: webhook\n    address: http://127.0.0.1:9000/page\n"
        "  - type: email\n    address: alice@example.com\n    label: work\n"
    ) in exported
    assert exported.count("contact_methods") == 1
    assert apply_text(exported, dry_run=True).lines() == ["= 7 unchanged"]


def test_a_changed_order_is_an_update_of_contact_methods(apply_text: ApplyText, session: Session):
    apply_text(with_alice_methods(METHODS))
    ids = {m.address: m.id for m in list_contact_methods(session, get_user(session, "alice"))}
    swapped = (
        '[{type: email, address: alice@example.com, label: work}, {type: slack, address: "#pay"}]'
    )
    rows = audit_rows(session)
    assert apply_text(with_alice_methods(swapped)).lines() == [
        "~ update user alice: contact_methods",
        "= 6 unchanged",
    ]
    assert alices(session) == [
        (1, "email", "alice@example.com", "work"),
        (2, "slack", "#pay", None),
    ]
    kept = list_contact_methods(session, get_user(session, "alice"))[0]
    assert kept.id == ids["alice@example.com"]
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.id > rows))
    assert sorted(actions) == ["user.contact_methods.replace", "user.update"]


def test_absent_contact_methods_are_left_alone_and_an_empty_list_clears(
    apply_text: ApplyText, session: Session
):
    apply_text(with_alice_methods(METHODS))
    assert apply_text(EXAMPLE).lines() == ["= 7 unchanged"]
    assert len(alices(session)) == 2
    assert apply_text(with_alice_methods("[]")).lines() == [
        "~ update user alice: contact_methods",
        "= 6 unchanged",
    ]
    assert alices(session) == []


@pytest.mark.parametrize(
    ("methods", "field"),
    [
        ("[{type: email, address: alice}]", "users[1].contact_methods[0].address"),
        ("[{type: slack, address: alice}]", "users[1].contact_methods[0].address"),
        ("[{type: webhook, address: example.com}]", "users[1].contact_methods[0].address"),
        ('[{type: apprise, address: "no url"}]', "users[1].contact_methods[0].address"),
        ("[{type: sms, address: '+4912345'}]", "users[1].contact_methods[0].type"),
    ],
)
def test_a_bad_contact_method_writes_nothing(
    apply_text: ApplyText, engine: Engine, session: Session, methods: str, field: str
):
    apply_text(with_alice_methods(METHODS))
    before = snapshot(engine)
    bob = "email: bob@example.com,"
    document = with_alice_methods("[]").replace(bob, f"{bob} contact_methods: {methods},")
    with pytest.raises(DocumentInvalid) as raised:
        apply_text(document)
    assert raised.value.placed[0].field == field
    assert raised.value.placed[0].line == 3
    assert snapshot(engine) == before


SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOOK = "http://127.0.0.1:9000/page?token=abc"


def test_secrets_and_credentials_are_masked_in_export_and_round_trip(
    apply_text: ApplyText, session: Session
):
    methods = (
        f'[{{type: webhook, address: "{HOOK}", secret: {SECRET}, delay_minutes: 5}}, '
        "{type: apprise, address: tgram://123456789:AAHdqTcvABCdef/98765}]"
    )
    apply_text(with_alice_methods(methods))
    (hook, apprise) = list_contact_methods(session, get_user(session, "alice"))
    assert (hook.secret, hook.delay_minutes, apprise.address) == (
        SECRET,
        5,
        "tgram://123456789:AAHdqTcvABCdef/98765",
    )
    exported = export(session)
    assert exported.startswith("# Contact-method credentials are masked")
    assert "whsec_" not in exported
    assert "abc" not in exported
    assert "bottoken" not in exported
    assert "token=****" in exported
    assert "tgram://****" in exported
    assert "delay_minutes: 5" in exported
    assert apply_text(exported).lines() == ["= 7 unchanged"]
    assert alices(session)[0][2] == HOOK
    full = export(session, include_secrets=True)
    assert SECRET in full
    assert HOOK in full
    assert not full.startswith("#")
    assert apply_text(full).lines() == ["= 7 unchanged"]
    audit = [e.data for e in session.scalars(select(AuditEntry))]
    assert "whsec_" not in repr(audit)
    assert "abc" not in repr(audit)


def test_a_masked_address_that_matches_nothing_is_refused(apply_text: ApplyText):
    apply_text(EXAMPLE)
    with pytest.raises(DocumentInvalid) as raised:
        apply_text(with_alice_methods('[{type: apprise, address: "tgram://****"}]'))
    assert raised.value.placed[0].field == "users[0].contact_methods[0].address"
    assert "masked" in raised.value.placed[0].message


def test_a_bad_secret_in_a_document_is_placed(apply_text: ApplyText):
    with pytest.raises(DocumentInvalid) as raised:
        apply_text(with_alice_methods("[{type: email, address: a@example.com, secret: x}]"))
    (error,) = raised.value.placed
    assert (error.field, error.line) == ("users[0].contact_methods[0].secret", 2)


@pytest.mark.parametrize(
    ("address", "allow", "reason"),
    [
        ("http://169.254.169.254/x", "", "169.254.169.254 is link-local"),
        ("http://10.0.0.1/x", "", "10.0.0.1 is a private address"),
        ("http://[::1]/x", "", "::1 is loopback"),
        ("http://localhost:9000/x", "", "127.0.0.1 is loopback"),
        ("http://localhost:9000/x", "127.0.0.1", None),
    ],
)
def test_forbidden_addresses_are_refused_by_apply_with_their_position(
    session: Session, change, engine: Engine, address: str, allow: str, reason: str | None
):
    from warroom.configcode.apply import apply
    from warroom.notifications.egress import EgressGuard
    from warroom.severity import DEFAULT_SCHEME

    document = with_alice_methods(f'[{{type: webhook, address: "{address}"}}]')
    guard = EgressGuard.from_setting(allow)

    def run() -> None:
        apply(
            session,
            change=change,
            scheme=DEFAULT_SCHEME,
            document=document,
            dry_run=False,
            guard=guard,
        )
        session.commit()

    if reason is None:
        run()
        assert alices(session) == [(1, "webhook", address, None)]
        return
    before = snapshot(engine)
    with pytest.raises(DocumentInvalid) as raised:
        run()
    session.rollback()
    (error,) = raised.value.placed
    assert error.field == "users[0].contact_methods[0].address"
    assert error.message.startswith(reason)
    assert error.line == 2
    assert snapshot(engine) == before
