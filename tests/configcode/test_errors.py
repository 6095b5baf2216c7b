"""Bad documents: every error names its line:column and field, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.configcode.conftest import EXAMPLE, ApplyText, snapshot
from warroom.configcode.document import read_document
from warroom.configcode.yamlreader import DocumentInvalid

NEW_USER = "  - {handle: dave, name: Dave, email: dave@example.com}\n"


def position(document: str, needle: str) -> str:
    """``line:column`` (1-based) of the last occurrence of ``needle``."""
    offset = document.rindex(needle)
    line = document.count("\n", 0, offset) + 1
    column = offset - (document.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{column}"


def with_dave(document: str) -> str:
    """The document with one more user, so a failure has something to roll back."""
    return document.replace("schedules:\n", NEW_USER + "schedules:\n", 1)


def with_contacts(methods: str) -> str:
    """The document with dave, who has the contact methods ``methods`` (a YAML flow list body)."""
    return with_dave(EXAMPLE).replace(
        "email: dave@example.com}", f"email: dave@example.com, contact_methods: [{methods}]}}"
    )


BAD = [
    pytest.param(
        "users:\n  - {handle: alice, name: Alice]\n",
        "",
        "]",
        "not valid YAML",
        id="yaml-syntax",
    ),
    pytest.param("teams: []\n", "teams", "teams", "unknown field", id="unknown-top-level-key"),
    pytest.param(
        with_dave(EXAMPLE).replace("{handle: dave,", "{phone: 1, handle: dave,"),
        "users[3].phone",
        "phone",
        "unknown field; use handle, name, email, time_zone",
        id="unknown-field",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("repeat: 1", "repeat: once"),
        "escalation_policies[0].repeat",
        "once",
        "expected a whole number, got 'once'",
        id="wrong-type-number",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("users: [alice, bob]", "users: {alice: 1}"),
        "schedules[0].rotations[0].users",
        "{alice: 1}",
        "expected a list, got a mapping",
        id="wrong-type-list",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace(
            EXAMPLE[EXAMPLE.index("    steps:") : EXAMPLE.index("services:")], "    steps: 3\n"
        ),
        "escalation_policies[0].steps",
        "3\n",
        "expected a list",
        id="wrong-type-steps",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("users: [alice, bob]", "users: [alice, zed]"),
        "schedules[0].rotations[0].users",
        "[alice, zed]",
        "no user with handle 'zed'",
        id="unknown-user-in-schedule",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("after: 15m", "after: 15x"),
        "escalation_policies[0].steps[1].after",
        "15x",
        "'15x' is not a duration",
        id="bad-duration",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("{user: bob}", "{user: nobody}"),
        "escalation_policies[0].steps[1].targets[0].user",
        "nobody",
        "no user with handle 'nobody'",
        id="unknown-user-in-policy",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("Europe/Berlin\n    rotations", "Mars/Base\n    rotations"),
        "schedules[0].time_zone",
        "Mars/Base",
        "unknown time zone",
        id="bad-time-zone",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("escalation_policy: payments}", "escalation_policy: nope}"),
        "services[0].escalation_policy",
        "nope",
        "no escalation policy called 'nope'",
        id="unknown-policy-in-service",
    ),
    pytest.param(
        with_dave(EXAMPLE) + "  - {name: checkout-api}\n",
        "services[1].name",
        "checkout-api}\n",
        "the same service is already given at services[0]",
        id="duplicate-service",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace(NEW_USER, NEW_USER + NEW_USER.replace("dave@", "d2@")),
        "users[4].handle",
        "dave, name: Dave, email: d2@",
        "the same user is already given at users[3]",
        id="duplicate-user",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("email: dave@example.com", "email: alice@example.com"),
        "users[3]",
        "{handle: dave",
        "a user with email 'alice@example.com' already exists",
        id="email-taken",
    ),
    pytest.param(
        with_contacts("{type: pager, address: x}"),
        "users[3].contact_methods[0].type",
        "pager",
        "unknown contact method type 'pager'; use one of email, slack, webhook, apprise",
        id="contact-method-type",
    ),
    pytest.param(
        with_contacts('{type: email, address: d@example.com}, {type: webhook, address: "ftp://x"}'),
        "users[3].contact_methods[1].address",
        '"ftp://x"',
        "'ftp://x' is not an http(s) URL",
        id="contact-method-address",
    ),
    pytest.param(
        with_contacts("{type: email}"),
        "users[3].contact_methods[0].address",
        "{type: email}",
        "is required",
        id="contact-method-missing-address",
    ),
    pytest.param(
        with_contacts(
            "{type: email, address: d@example.com}, {type: email, address: d@example.com}"
        ),
        "users[3].contact_methods[1].address",
        "d@example.com}]",
        "the email 'd@example.com' is given twice",
        id="contact-method-duplicate",
    ),
    pytest.param(
        with_contacts("{type: slack, addr: U123}"),
        "users[3].contact_methods[0].addr",
        "addr:",
        "unknown field; use type, address, label",
        id="contact-method-unknown-field",
    ),
    pytest.param(
        with_dave(EXAMPLE)
        + "integrations:\n  - {name: am, source: nagios, service: checkout-api}\n",
        "integrations[0].source",
        "nagios",
        "unknown source 'nagios'",
        id="integration-unknown-source",
    ),
    pytest.param(
        with_dave(EXAMPLE)
        + "integrations:\n  - name: am\n    source: alertmanager\n    service: checkout-api\n"
        "    options: {rate_limit_per_minute: 10, url: 'https://x'}\n",
        "integrations[0].options.url",
        "'https://x'",
        "unknown option for alertmanager",
        id="integration-unknown-option",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace(
            "{name: checkout-api, escalation_policy: payments}",
            "{name: checkout-api, grouping: {mode: fuzzy}}",
        ),
        "services[0].grouping.mode",
        "fuzzy",
        "use one of content, time, none",
        id="service-grouping-mode",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("name: Dave, ", ""),
        "users[3].name",
        "{handle: dave",
        "is required",
        id="missing-field",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("repeat: 1", "repeat: 1\n    repeat: 2"),
        "escalation_policies[0].repeat",
        "repeat: 2",
        "'repeat' is given twice",
        id="duplicate-key",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("{name: weekly, length: 1w,", "{name: weekly,"),
        "schedules[0].rotations[0].length",
        "{name: weekly",
        "give a length (1d, 1w, or e.g. 12h) or a kind",
        id="rotation-without-length",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("severity: P1", "severity: P9"),
        "stakeholders[0].severity",
        "P9",
        "P9",
        id="unknown-severity",
    ),
    pytest.param(
        with_dave(EXAMPLE).replace("notify: [{user: carol}]", "notify: [{user: zoe}]"),
        "stakeholders[0].notify[0].user",
        "zoe",
        "no user with handle 'zoe'",
        id="unknown-stakeholder",
    ),
    pytest.param("- alice\n", "", "- alice", "expected a mapping, got a list", id="not-a-mapping"),
]


@pytest.mark.parametrize(("document", "field", "needle", "words"), BAD)
def test_bad_documents_name_position_and_field_and_write_nothing(
    apply_text: ApplyText, engine: Engine, document: str, field: str, needle: str, words: str
):
    apply_text(EXAMPLE)
    before = snapshot(engine)
    for dry_run in (True, False):
        with pytest.raises(DocumentInvalid) as raised:
            apply_text(document, dry_run=dry_run)
        error = raised.value.placed[0]
        assert error.field == field
        assert words in error.message
        assert f"{error.line}:{error.column}" == position(document, needle)
        assert raised.value.detail.startswith(f"{error.line}:{error.column}: ")
        assert snapshot(engine) == before


def test_every_shape_error_is_reported_at_once():
    document = "users:\n  - {handle: a, name: A, mail: a@example.com}\nteams: []\n"
    with pytest.raises(DocumentInvalid) as raised:
        read_document(document)
    assert [(e.field, e.line, e.column) for e in raised.value.placed] == [
        ("teams", 3, 1),
        ("users[0].mail", 2, 26),
        ("users[0].email", 2, 5),
    ]
    assert raised.value.extra()["errors"][0] == {
        "field": "teams",
        "message": "unknown field; use users, schedules, escalation_policies, stakeholders, "
        "services, integrations, status_page",
        "position": "3:1",
        "line": 3,
        "column": 1,
    }


def test_empty_contact_methods_and_integrations_are_accepted():
    document = (
        "users:\n  - {handle: a, name: A, email: a@example.com, contact_methods: []}\n"
        "integrations: []\n"
    )
    assert [u.handle for u in read_document(document).users] == ["a"]


def test_aliases_cannot_blow_up_the_document():
    handles = ", ".join(["a"] * 100)
    rotation = f'&r {{name: r, kind: daily, handoff: "2026-11-02T09:00", users: [{handles}]}}'
    rotations = ", ".join([rotation] + ["*r"] * 100)
    document = f"schedules:\n  - &s {{name: s, time_zone: UTC, rotations: [{rotations}]}}\n"
    document += "  - *s\n" * 100
    with pytest.raises(DocumentInvalid, match="too many values"):
        read_document(document)
