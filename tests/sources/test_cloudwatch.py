"""CloudWatch alarms via SNS and EventBridge: golden files, edge cases and odd shapes."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sources.golden import GOLDEN, cases, check, headers_of
from warroom.pipeline.event import AlertStatus, Event, SourceError
from warroom.sources import cloudwatch
from warroom.sources.cloudwatch import (
    FORMAT_EVENTBRIDGE,
    FORMAT_SNS,
    parse,
    parse_eventbridge,
    parse_notification,
)
from warroom.sources.sns import parse_envelope

CASES = GOLDEN / "cloudwatch"
ODD_VALUES: list[Any] = [None, 0, 1.5, True, "", "x", [], [None], {}, {"a": [1]}]


@pytest.mark.parametrize("body_path", cases("cloudwatch"))
def test_golden(body_path: Path) -> None:
    check(body_path, parse)


def body_of(case: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CASES / f"{case}.body").read_bytes())
    return document


def alarm_of(case: str) -> dict[str, Any]:
    alarm: dict[str, Any] = json.loads(body_of(case)["Message"])
    return alarm


def sns_events(alarm: Any, **envelope: Any) -> list[Event]:
    document = body_of("sns-alarm-single-metric") | envelope
    document["Message"] = alarm if isinstance(alarm, str) else json.dumps(alarm)
    return parse({}, json.dumps(document).encode())


def test_parse_notification_takes_an_envelope() -> None:
    path = CASES / "sns-alarm-single-metric.body"
    [event] = parse_notification(parse_envelope(headers_of(path), path.read_bytes()))
    assert event.source_format == FORMAT_SNS
    assert event.raw == alarm_of("sns-alarm-single-metric")


def test_parse_eventbridge_directly() -> None:
    path = CASES / "eventbridge-alarm.body"
    [event] = parse_eventbridge({}, path.read_bytes())
    assert event.source_format == FORMAT_EVENTBRIDGE
    assert event.raw == body_of("eventbridge-alarm")
    assert (
        parse_eventbridge(
            {}, (CASES / "eventbridge-configuration-change-ignored.body").read_bytes()
        )
        == []
    )


@pytest.mark.parametrize(
    "message", ["hello", "", "[1, 2]", '"quoted"', "null", '{"default": "hi"}', "{" * 100]
)
def test_non_alarm_notifications_are_ignored(message: str) -> None:
    assert sns_events(message) == []


@pytest.mark.parametrize("description", [None, "", "  ", "None", "null", "NULL"])
def test_placeholder_descriptions_fall_back_to_the_reason(description: Any) -> None:
    [event] = sns_events(alarm_of("sns-alarm-single-metric") | {"AlarmDescription": description})
    assert event.description.startswith("Threshold Crossed")


def test_description_is_empty_when_nothing_is_usable() -> None:
    alarm = alarm_of("sns-alarm-single-metric") | {
        "AlarmDescription": None,
        "NewStateReason": "None",
    }
    [event] = sns_events(alarm)
    assert event.description == ""


def test_alarm_without_time_or_trigger_still_maps() -> None:
    alarm = {"AlarmName": "bare", "NewStateValue": "OK"}
    [event] = sns_events(alarm)
    assert event.status is AlertStatus.resolved
    assert event.dedup_key == "::bare"
    assert event.started_at is None
    assert event.ended_at is None
    assert event.labels == {}
    assert event.resource is None


def test_account_label_falls_back_to_the_arn() -> None:
    alarm = alarm_of("sns-alarm-single-metric")
    del alarm["AWSAccountId"]
    [event] = sns_events(alarm)
    assert event.labels["account"] == "123456789012"


def test_china_and_govcloud_arns() -> None:
    alarm = alarm_of("sns-alarm-single-metric")
    alarm["AlarmArn"] = "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:a:with:colons"
    [event] = sns_events(alarm)
    assert event.labels["region"] == "cn-north-1"
    assert event.dedup_key == alarm["AlarmArn"]


def test_an_unparseable_arn_is_still_the_dedup_key() -> None:
    alarm = alarm_of("sns-alarm-single-metric") | {"AlarmArn": "EXAMPLE"}
    [event] = sns_events(alarm)
    assert event.dedup_key == "EXAMPLE"
    assert "region" not in event.labels


def test_long_titles_are_cut_not_rejected() -> None:
    [event] = sns_events(alarm_of("sns-alarm-single-metric") | {"AlarmName": "x\n" * 2000})
    assert len(event.title) == 1024


def test_an_overlong_arn_is_rejected() -> None:
    with pytest.raises(SourceError, match="longer than 512"):
        sns_events(alarm_of("sns-alarm-single-metric") | {"AlarmArn": "a" * 600})


def test_dimension_labels_do_not_override_fixed_labels() -> None:
    alarm = alarm_of("sns-alarm-single-metric")
    alarm["Trigger"]["Dimensions"] = [{"name": "region", "value": "spoofed"}]
    [event] = sns_events(alarm)
    assert event.labels["region"] == "eu-west-1"
    assert event.resource == "spoofed"


def test_eventbridge_without_resources_falls_back() -> None:
    document = body_of("eventbridge-alarm")
    del document["resources"]
    [event] = parse({}, json.dumps(document).encode())
    assert event.dedup_key == "123456789012:us-east-1:ServerCpuTooHigh"


def test_eventbridge_without_state_timestamp_uses_event_time() -> None:
    document = body_of("eventbridge-alarm")
    del document["detail"]["state"]["timestamp"]
    [event] = parse({}, json.dumps(document).encode())
    assert event.started_at is not None
    assert event.started_at.isoformat() == "2026-11-17T13:50:41+00:00"


@pytest.mark.parametrize(
    ("tag", "severity"),
    [("critical", "P1"), ("HIGH", "P2"), ("warning", "P3"), ("low", "P4"), ("urgent", "P3")],
)
def test_eventbridge_severity_tag(tag: str, severity: str) -> None:
    document = body_of("eventbridge-alarm")
    document["detail"]["alarmTags"] = {"severity": tag}
    [event] = parse({}, json.dumps(document).encode())
    assert event.severity == severity


def test_eventbridge_other_detail_types_are_ignored() -> None:
    document = body_of("eventbridge-alarm") | {"detail-type": "Something New", "detail": 5}
    assert parse({}, json.dumps(document).encode()) == []


def test_module_constants() -> None:
    assert cloudwatch.FORMAT_SNS == "cloudwatch-sns"
    assert cloudwatch.FORMAT_EVENTBRIDGE == "cloudwatch-eventbridge"


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a member or element inside a decoded JSON document."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        items = []
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(document)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copied


def assert_clean(headers: dict[str, str], body: bytes) -> None:
    """parse either returns events or raises SourceError, nothing else."""
    try:
        events = parse(headers, body)
    except SourceError:
        return
    for event in events:
        assert isinstance(event.dedup_key, str)
        assert isinstance(event.title, str)
        assert all(isinstance(v, str) for v in event.labels.values())


@pytest.mark.parametrize(
    "case", ["sns-metric-math", "sns-message-newlines", "sns-subscription-confirmation"]
)
def test_odd_shapes_in_the_envelope(case: str) -> None:
    document = body_of(case)
    for path in paths(document):
        for value in ODD_VALUES:
            assert_clean({}, json.dumps(replaced(document, path, value)).encode())


@pytest.mark.parametrize("case", ["sns-metric-math", "sns-message-newlines"])
def test_odd_shapes_in_the_alarm(case: str) -> None:
    envelope, alarm = body_of(case), alarm_of(case)
    for path in paths(alarm):
        for value in ODD_VALUES:
            envelope["Message"] = json.dumps(replaced(alarm, path, value))
            assert_clean({}, json.dumps(envelope).encode())


@pytest.mark.parametrize("case", ["eventbridge-alarm-tags", "eventbridge-metric-math"])
def test_odd_shapes_in_eventbridge(case: str) -> None:
    document = body_of(case)
    for path in paths(document):
        for value in ODD_VALUES:
            assert_clean({}, json.dumps(replaced(document, path, value)).encode())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"0",
        b"[]",
        b'{"Type": null, "TopicArn": null}',
        b'{"detail-type": null}',
        b'{"detail-type": ["x"]}',
        b'{"Type": "Notification", "TopicArn": "t", "Message": "{\\"AlarmName\\": 1}"}',
        b"[" * 100 + b"]" * 100,
        b"\xef\xbb\xbf{}",
        b"\xff\xfe",
    ],
)
def test_odd_bodies(body: bytes) -> None:
    assert_clean({"x-amz-sns-message-type": "Notification"}, body)
