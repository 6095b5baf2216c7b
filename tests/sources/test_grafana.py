"""Grafana webhook adapter: golden files, value labels and HMAC verification."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.sources import golden
from warroom.pipeline.event import SourceError, VerificationFailed
from warroom.sources import grafana

SECRET = "s3cr3t-🔑"
NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
TS_HEADER = "x-grafana-alerting-timestamp"
BODY = (golden.GOLDEN / "grafana" / "firing_two_with_values.body").read_bytes()


def _sign(payload: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def _signed_with_timestamp(ts: int | str, body: bytes = BODY) -> dict[str, str]:
    signature = _sign(f"{ts}:".encode() + body)
    return {"x-grafana-alerting-signature": signature, TS_HEADER: str(ts)}


@pytest.mark.parametrize("case", golden.cases("grafana"))
def test_golden(case: Any) -> None:
    golden.check(case, grafana.parse)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (95.5, "95.5"),
        (3, "3"),
        (3.0, "3"),
        (-0.0001, "-0.0001"),
        (44.23943737541908, "44.23943737541908"),
        (1e21, "1e+21"),
        (float("nan"), "NaN"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
    ],
)
def test_number_text(value: float, text: str) -> None:
    assert grafana.number_text(value) == text


def test_values_do_not_override_labels() -> None:
    body = json.dumps(
        {
            "alerts": [
                {"status": "firing", "labels": {"value_A": "mine"}, "values": {"A": 1, "B": 2.5}}
            ]
        }
    ).encode()
    (event,) = grafana.parse({}, body)
    assert event.labels == {"value_A": "mine", "value_B": "2.5"}


def test_nan_literal_value_does_not_crash() -> None:
    body = b'{"alerts": [{"status": "firing", "labels": {}, "values": {"A": NaN}}]}'
    (event,) = grafana.parse({}, body)
    assert event.labels["value_A"] == "NaN"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b'{"alerts": [{"status": "firing", "values": {"A": true}}]}',
        b'{"alerts": [{"status": "firing", "values": {"A": null}}]}',
        b'{"alerts": [{"status": "firing", "imageURL": []}]}',
        b'{"alerts": [{"status": "firing", "panelURL": 1}]}',
    ],
)
def test_odd_bodies_raise_source_error_only(body: bytes) -> None:
    with pytest.raises(SourceError):
        grafana.parse({}, body)


def test_deprecated_fields_of_any_type_are_ignored() -> None:
    body = b'{"alerts": [], "state": 5, "title": [], "message": {}, "orgId": "x"}'
    assert grafana.parse({}, body) == []


def test_verify_good_signature_without_timestamp() -> None:
    headers = {"x-grafana-alerting-signature": _sign(BODY)}
    grafana.verify(headers, BODY, secret=SECRET, now=NOW)


def test_verify_custom_signature_header() -> None:
    headers = {"x-signature": _sign(BODY)}
    grafana.verify(headers, BODY, secret=SECRET, now=NOW, signature_header="X-Signature")


def test_verify_good_signature_with_timestamp() -> None:
    headers = _signed_with_timestamp(int(NOW.timestamp()) - 299)
    grafana.verify(headers, BODY, secret=SECRET, now=NOW, timestamp_header=TS_HEADER)


def test_verify_accepts_uppercase_hex() -> None:
    headers = {"x-grafana-alerting-signature": _sign(BODY).upper()}
    grafana.verify(headers, BODY, secret=SECRET, now=NOW)


def test_verify_naive_now_is_utc() -> None:
    headers = _signed_with_timestamp(int(NOW.timestamp()))
    naive = NOW.replace(tzinfo=None)
    grafana.verify(headers, BODY, secret=SECRET, now=naive, timestamp_header=TS_HEADER)
    other_zone = NOW.astimezone(timezone(timedelta(hours=-7)))
    grafana.verify(headers, BODY, secret=SECRET, now=other_zone, timestamp_header=TS_HEADER)


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing"),
        ({"x-grafana-alerting-signature": ""}, "missing"),
        ({"x-grafana-alerting-signature": _sign(BODY, "wrong")}, "does not match"),
        ({"x-grafana-alerting-signature": _sign(BODY + b" ")}, "does not match"),
        ({"x-grafana-alerting-signature": "sha256=" + _sign(BODY)}, "does not match"),
        ({"x-grafana-alerting-signature": "zz-ünïcode-☃"}, "does not match"),
    ],
)
def test_verify_rejects_without_timestamp(headers: dict[str, str], detail: str) -> None:
    with pytest.raises(VerificationFailed) as caught:
        grafana.verify(headers, BODY, secret=SECRET, now=NOW)
    assert detail in caught.value.detail
    assert caught.value.status == 401


def test_verify_rejects_tampered_body() -> None:
    headers = {"x-grafana-alerting-signature": _sign(BODY)}
    with pytest.raises(VerificationFailed):
        grafana.verify(headers, BODY.replace(b"us-1", b"us-2"), secret=SECRET, now=NOW)


def test_verify_rejects_body_only_signature_when_timestamp_configured() -> None:
    headers = {"x-grafana-alerting-signature": _sign(BODY), TS_HEADER: str(int(NOW.timestamp()))}
    with pytest.raises(VerificationFailed, match="does not match"):
        grafana.verify(headers, BODY, secret=SECRET, now=NOW, timestamp_header=TS_HEADER)


@pytest.mark.parametrize(
    ("ts", "detail"),
    [
        (int(NOW.timestamp()) - 301, "300 s"),
        (int(NOW.timestamp()) + 301, "300 s"),
        (0, "300 s"),
        ("1772442000.5", "Unix seconds"),
        ("-1", "Unix seconds"),
        ("१२३", "Unix seconds"),
        ("1_772_442_000", "Unix seconds"),
    ],
)
def test_verify_rejects_bad_timestamps(ts: int | str, detail: str) -> None:
    headers = _signed_with_timestamp(ts)
    with pytest.raises(VerificationFailed) as caught:
        grafana.verify(headers, BODY, secret=SECRET, now=NOW, timestamp_header=TS_HEADER)
    assert detail in caught.value.detail


def test_verify_rejects_missing_timestamp() -> None:
    headers = {"x-grafana-alerting-signature": _sign(b":" + BODY)}
    with pytest.raises(VerificationFailed, match="missing"):
        grafana.verify(headers, BODY, secret=SECRET, now=NOW, timestamp_header=TS_HEADER)


def test_verify_refuses_empty_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        grafana.verify({}, BODY, secret="", now=NOW)
