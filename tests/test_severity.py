"""Severity labels, the assess() decision tree and custom schemes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from warroom.errors import ConfigError, ValidationFailed
from warroom.severity import DEFAULT_SCHEME, SeverityLevel, SeverityScheme


def level(level_id: str, *aliases: str) -> SeverityLevel:
    return SeverityLevel(
        id=level_id, name=level_id, aliases=list(aliases), ack_sla="10m", resolve_sla="1h"
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("P1", "P1"),
        ("p1", "P1"),
        ("SEV-1", "P1"),
        ("sev1", "P1"),
        ("SEV1", "P1"),
        ("Sev_1", "P1"),
        ("critical", "P1"),
        ("CRITICAL", "P1"),
        ("  sev-2 ", "P2"),
        ("high", "P2"),
        ("major", "P2"),
        ("SEV 3", "P3"),
        ("medium", "P3"),
        ("minor", "P3"),
        ("sev-4", "P4"),
        ("low", "P4"),
        ("cosmetic", "P4"),
    ],
)
def test_aliases_resolve_to_their_level(label: str, expected: str):
    assert DEFAULT_SCHEME.resolve(label).id == expected
    assert DEFAULT_SCHEME.find(label) is DEFAULT_SCHEME.resolve(label)


@pytest.mark.parametrize("label", ["P5", "SEV-0", "sev", "", "   ", "urgent", "P1 critical"])
def test_unknown_labels_are_refused_with_the_accepted_values(label: str):
    assert DEFAULT_SCHEME.find(label) is None
    with pytest.raises(ValidationFailed) as caught:
        DEFAULT_SCHEME.resolve(label)
    message = caught.value.detail
    assert repr(label) in message
    for accepted in ("P1", "SEV-1", "critical", "P2", "high", "P3", "medium", "P4", "low"):
        assert accepted in message
    assert caught.value.errors[0].field == "severity"


def test_resolve_names_the_field_it_checks():
    with pytest.raises(ValidationFailed) as caught:
        DEFAULT_SCHEME.resolve("nope", field="min_severity")
    assert caught.value.detail.startswith("min_severity: unknown severity 'nope'")
    assert caught.value.errors[0].field == "min_severity"


def test_resolve_refuses_non_strings():
    with pytest.raises(ValidationFailed):
        DEFAULT_SCHEME.resolve(1)  # type: ignore[arg-type]


def test_default_scheme_matches_the_design_table():
    p1, p2, p3, p4 = (DEFAULT_SCHEME.get(i) for i in ("P1", "P2", "P3", "P4"))
    assert DEFAULT_SCHEME.ids == ["P1", "P2", "P3", "P4"]
    assert (p1.ack_sla, p1.resolve_sla) == (timedelta(minutes=15), timedelta(hours=4))
    assert (p2.ack_sla, p2.resolve_sla) == (timedelta(minutes=30), timedelta(hours=8))
    assert (p3.ack_sla, p3.resolve_sla) == (timedelta(hours=2), timedelta(hours=24))
    assert (p4.ack_sla, p4.resolve_sla) == (timedelta(hours=24), timedelta(days=7))
    assert p1.internal_update_every == timedelta(minutes=15)
    assert (p1.public_update_first, p1.public_update_every) == (
        timedelta(minutes=30),
        timedelta(minutes=60),
    )
    assert p2.public_update_every == timedelta(minutes=60)
    assert p3.public_update_every is None
    assert p4.internal_update_every is None
    assert [lv.postmortem_required for lv in (p1, p2, p3, p4)] == [True, True, False, False]
    assert p1.postmortem_due == p2.postmortem_due == timedelta(hours=48)


@pytest.mark.parametrize(
    ("impact", "expected", "reason"),
    [
        ({"users_affected_pct": 0, "security": True}, "P1", "security"),
        ({"users_affected_pct": 0, "data_loss": True}, "P1", "data loss"),
        ({"users_affected_pct": 10, "data_loss": True, "workaround": True}, "P1", "data loss"),
        ({"users_affected_pct": 100}, "P1", "all users"),
        ({"users_affected_pct": 100, "workaround": True}, "P1", "all users"),
        ({"users_affected_pct": 99.9}, "P2", "more than 50 %"),
        ({"users_affected_pct": 51}, "P2", "more than 50 %"),
        ({"users_affected_pct": 50.1}, "P2", "more than 50 %"),
        ({"users_affected_pct": 75, "workaround": True}, "P3", "workaround"),
        ({"users_affected_pct": 50}, "P3", "50 %"),
        ({"users_affected_pct": 49.9}, "P3", "50 % of users or fewer"),
        ({"users_affected_pct": 1}, "P3", "50 % of users or fewer"),
        ({"users_affected_pct": 0.01}, "P3", "50 % of users or fewer"),
        ({"users_affected_pct": 0}, "P4", "no user impact"),
        ({"users_affected_pct": 0, "workaround": True}, "P4", "no user impact"),
        ({"users_affected_pct": 0, "error_rate_pct": 5.1}, "P2", "error rate"),
        ({"users_affected_pct": 20, "error_rate_pct": 12}, "P2", "error rate"),
        ({"users_affected_pct": 20, "error_rate_pct": 5}, "P3", "50 % of users or fewer"),
        ({"users_affected_pct": 0, "error_rate_pct": 5}, "P4", "no user impact"),
        ({"users_affected_pct": 100, "error_rate_pct": 90}, "P1", "all users"),
    ],
)
def test_assess_follows_the_decision_tree(impact: dict, expected: str, reason: str):
    result = DEFAULT_SCHEME.assess(**impact)
    assert (result.level.id, reason in result.reason) == (expected, True), result.reason


@pytest.mark.parametrize(
    ("impact", "field"),
    [
        ({"users_affected_pct": -0.1}, "users_affected_pct"),
        ({"users_affected_pct": 100.1}, "users_affected_pct"),
        ({"users_affected_pct": 250}, "users_affected_pct"),
        ({"users_affected_pct": float("nan")}, "users_affected_pct"),
        ({"users_affected_pct": 10, "error_rate_pct": -1}, "error_rate_pct"),
        ({"users_affected_pct": 10, "error_rate_pct": 101}, "error_rate_pct"),
        ({"users_affected_pct": 0, "security": True, "error_rate_pct": 200}, "error_rate_pct"),
    ],
)
def test_assess_refuses_out_of_range_percentages(impact: dict, field: str):
    with pytest.raises(ValidationFailed, match="between 0 and 100") as caught:
        DEFAULT_SCHEME.assess(**impact)
    assert caught.value.errors[0].field == field


def test_rank_orders_levels_most_severe_first():
    assert [DEFAULT_SCHEME.rank(i) for i in ("P1", "P2", "P3", "P4")] == [0, 1, 2, 3]
    assert DEFAULT_SCHEME.rank("sev-3") == 2
    with pytest.raises(KeyError):
        DEFAULT_SCHEME.rank("P9")
    with pytest.raises(KeyError):
        DEFAULT_SCHEME.get("P9")


def test_colliding_aliases_are_a_config_error():
    with pytest.raises(ConfigError, match=r"'URGENT' names both A and B"):
        SeverityScheme([level("A", "urgent"), level("B", "URGENT")])


def test_an_alias_may_not_shadow_another_levels_id():
    with pytest.raises(ConfigError, match="names both"):
        SeverityScheme([level("P1"), level("P2", "p-1")])


def test_aliases_that_collide_within_one_level_are_fine():
    scheme = SeverityScheme([level("S1", "SEV-1", "sev1", "Sev 1")])
    assert scheme.resolve("sev_1").id == "S1"


def test_an_empty_scheme_is_a_config_error():
    with pytest.raises(ConfigError, match="at least one level"):
        SeverityScheme([])


def test_a_scheme_with_two_levels_clamps_assessments_to_its_least_severe_level():
    scheme = SeverityScheme([level("major", "big"), level("minor", "small")])
    assert scheme.ids == ["major", "minor"]
    assert scheme.resolve("BIG").id == "major"
    assert scheme.assess(users_affected_pct=100).level.id == "major"
    assert scheme.assess(users_affected_pct=0, security=True).level.id == "major"
    assert scheme.assess(users_affected_pct=60).level.id == "minor"
    assert scheme.assess(users_affected_pct=10).level.id == "minor"
    assert scheme.assess(users_affected_pct=0).level.id == "minor"
    assert scheme.rank("minor") == 1


def test_a_level_without_aliases_is_listed_by_id_alone():
    scheme = SeverityScheme([level("only")])
    with pytest.raises(ValidationFailed, match=r"use one of only$"):
        scheme.resolve("other")


@pytest.mark.parametrize("sla", ["0s", 0, "-5m", -1])
def test_slas_must_be_positive(sla: object):
    with pytest.raises(ValidationError):
        SeverityLevel(id="X", name="x", ack_sla=sla, resolve_sla="1h")
    with pytest.raises(ValidationError):
        SeverityLevel(id="X", name="x", ack_sla="1h", resolve_sla=sla)


@pytest.mark.parametrize("level_id", ["", "has space", "x" * 17, "p1!"])
def test_level_ids_are_short_words(level_id: str):
    with pytest.raises(ValidationError):
        SeverityLevel(id=level_id, name="x", ack_sla="1m", resolve_sla="1h")


def test_levels_accept_durations_as_text_or_seconds_and_serialise_them_as_text():
    lv = SeverityLevel(id="X", name="x", ack_sla="1h30m", resolve_sla=7200)
    assert (lv.ack_sla, lv.resolve_sla) == (timedelta(minutes=90), timedelta(hours=2))
    dumped = lv.model_dump(mode="json")
    assert (dumped["ack_sla"], dumped["resolve_sla"]) == ("1h30m", "2h")
    assert SeverityLevel.model_validate(dumped) == lv


def test_misspelt_level_keys_are_refused():
    with pytest.raises(ValidationError, match="postmortem_requried"):
        SeverityLevel(id="X", name="x", ack_sla="1m", resolve_sla="1h", postmortem_requried=True)  # type: ignore[call-arg]
