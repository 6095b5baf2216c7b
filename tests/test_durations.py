"""Human durations: parsing, formatting and the pydantic Duration type."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from warroom.durations import Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("7d", timedelta(days=7)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1h 30m", timedelta(minutes=90)),
        ("  15M ", timedelta(minutes=15)),
        ("1.5h", timedelta(minutes=90)),
        ("0", timedelta(0)),
        ("90", timedelta(seconds=90)),
        ("2.5", timedelta(seconds=2.5)),
        ("30m1h", timedelta(minutes=90)),
    ],
)
def test_parse(text: str, expected: timedelta):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "15x", "m", "-5m", "1h30", "h1", "15 minutes", "1e5", "5m!", "1,5h"],
)
def test_bad_input_is_a_value_error_that_shows_examples(text: str):
    with pytest.raises(ValueError, match=r"is not a duration; use e\.g\. 0s, 90s, 15m") as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("text", ["99999999999d", "1" * 400])
def test_absurdly_long_durations_are_a_value_error_not_an_overflow(text: str):
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=7), "7d"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(hours=25), "1d1h"),
    ],
)
def test_format(value: timedelta, expected: str):
    assert format_duration(value) == expected


@pytest.mark.parametrize(
    "text", ["0s", "90s", "15m", "2h", "1h30m", "7d", "1d2h3m4s", "3600", "48h", "100d"]
)
def test_format_round_trips(text: str):
    value = parse_duration(text)
    assert parse_duration(format_duration(value)) == value


class _Model(BaseModel):
    wait: Duration


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("10m", timedelta(minutes=10)), (600, timedelta(minutes=10)), (1.5, timedelta(seconds=1.5))],
)
def test_duration_field_accepts_text_and_seconds(raw: object, expected: timedelta):
    assert _Model.model_validate({"wait": raw}).wait == expected
    assert _Model(wait=timedelta(minutes=10)).model_dump(mode="json") == {"wait": "10m"}


def test_duration_field_reports_bad_text_as_a_validation_error():
    with pytest.raises(ValidationError, match="'soon' is not a duration"):
        _Model.model_validate({"wait": "soon"})
