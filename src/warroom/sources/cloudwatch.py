"""CloudWatch alarms via SNS and via EventBridge (specs/alert-formats.md sections 2.2 and 2.3).

Signature checks are the caller's job: ``parse`` only decodes; call ``sns.verify`` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from warroom.pipeline.event import (
    DEDUP_KEY_LIMIT,
    AlertStatus,
    Event,
    SourceError,
    first_text,
    one_line,
    severity_from_word,
)
from warroom.sources.common import (
    as_object,
    get_list,
    get_object,
    get_str,
    load_json,
    parse_time,
    require_str,
    string_map,
    wrong_type,
)
from warroom.sources.sns import (
    NOTIFICATION,
    SnsMessage,
    envelope_from,
    is_envelope,
    reject_raw_delivery,
)

FORMAT_SNS = "cloudwatch-sns"
FORMAT_EVENTBRIDGE = "cloudwatch-eventbridge"
STATE_CHANGE = "CloudWatch Alarm State Change"

# state -> (status, severity when no tag says otherwise)
_STATES = {
    "ALARM": (AlertStatus.firing, "P2"),
    "INSUFFICIENT_DATA": (AlertStatus.firing, "P4"),
    "OK": (AlertStatus.resolved, "P2"),
}
_ALARM_KEYS = ("AlarmName", "NewStateValue", "AlarmArn")
_PLACEHOLDERS = ("none", "null")


@dataclass(frozen=True, slots=True)
class _Metric:
    namespace: str | None
    name: str | None
    dimensions: list[tuple[str, str]]


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    """Events from an SNS envelope or an EventBridge event (signatures are not checked here)."""
    reject_raw_delivery(headers)
    document = load_json(body)
    if is_envelope(document):
        return parse_notification(envelope_from(headers, document))
    if isinstance(document, dict) and "detail-type" in document:
        return _eventbridge_events(document)
    raise SourceError(
        "expected an SNS envelope (with Type and TopicArn) carrying a CloudWatch alarm, "
        "or an EventBridge event (with detail-type)"
    )


def parse_notification(message: SnsMessage) -> list[Event]:
    """The alarm in an SNS Notification; [] for confirmations and for non-alarm messages.

    SNS retries deliveries that get a non-2xx answer, so a Notification whose Message is not
    CloudWatch alarm JSON (a console "hello" test, another publisher on the topic) is accepted
    and ignored rather than rejected.
    """
    if message.type != NOTIFICATION:
        return []
    try:
        alarm = load_json(message.message.encode("utf-8"))
    except SourceError:
        return []
    if not isinstance(alarm, dict) or not any(key in alarm for key in _ALARM_KEYS):
        return []
    return [_alarm_event(alarm, message.message_id)]


def _alarm_event(alarm: dict[str, Any], message_id: str) -> Event:
    name = require_str(alarm, "AlarmName")
    state = require_str(alarm, "NewStateValue")
    status, severity = _state(state, "NewStateValue")
    arn = get_str(alarm, "AlarmArn")
    account_id = get_str(alarm, "AWSAccountId")
    arn_region, arn_account = _arn_parts(arn)
    account = first_text(account_id, arn_account)
    dedup_key = first_text(arn) or f"{account or ''}:{get_str(alarm, 'Region') or ''}:{name}"
    trigger = get_object(alarm, "Trigger")
    metric = _sns_metric(trigger)
    changed_at = parse_time(get_str(alarm, "StateChangeTime"), "StateChangeTime")
    description = first_text(
        _meaningful(get_str(alarm, "AlarmDescription")),
        _meaningful(get_str(alarm, "NewStateReason")),
    )
    return Event(
        source_format=FORMAT_SNS,
        dedup_key=_dedup(dedup_key),
        status=status,
        severity=severity,
        title=one_line(name),
        description=description or "",
        resource=_resource(metric),
        labels=_labels(metric, account, arn_region),
        started_at=changed_at,
        ended_at=changed_at if status is AlertStatus.resolved else None,
        delivery_id=message_id,
        raw=alarm,
    )


def _sns_metric(trigger: Mapping[str, Any]) -> _Metric:
    """The single metric of a Trigger, or the MetricStat metrics of a metric-math alarm."""
    dimensions = _dimension_list(get_list(trigger, "Dimensions", "Trigger."), "Trigger.Dimensions")
    namespace = get_str(trigger, "Namespace", "Trigger.")
    name = get_str(trigger, "MetricName", "Trigger.")
    if namespace or name or dimensions:
        return _Metric(namespace, name, dimensions)
    metrics = []
    for index, query in enumerate(get_list(trigger, "Metrics", "Trigger.")):
        path = f"Trigger.Metrics[{index}]."
        stat = get_object(as_object(query, path[:-1]), "MetricStat", path)
        metric = get_object(stat, "Metric", f"{path}MetricStat.")
        if metric:
            path = f"{path}MetricStat.Metric."
            metrics.append(
                _Metric(
                    get_str(metric, "Namespace", path),
                    get_str(metric, "MetricName", path),
                    _dimension_list(get_list(metric, "Dimensions", path), f"{path}Dimensions"),
                )
            )
    return _merged(metrics)


def _merged(metrics: list[_Metric]) -> _Metric:
    """Namespace and name of the first metric, the dimensions of all of them in order."""
    if not metrics:
        return _Metric(None, None, [])
    dimensions = [pair for metric in metrics for pair in metric.dimensions]
    return _Metric(metrics[0].namespace, metrics[0].name, dimensions)


def _dimension_list(items: list[Any], path: str) -> list[tuple[str, str]]:
    dimensions = []
    for index, item in enumerate(items):
        entry = as_object(item, f"{path}[{index}]")
        name = get_str(entry, "name", f"{path}[{index}].")
        value = get_str(entry, "value", f"{path}[{index}].")
        if name and value is not None:
            dimensions.append((name, value))
    return dimensions


def parse_eventbridge(headers: Mapping[str, str], body: bytes) -> list[Event]:
    """The alarm in an EventBridge "CloudWatch Alarm State Change"; [] for other detail-types."""
    return _eventbridge_events(load_json(body))


def _eventbridge_events(document: Any) -> list[Event]:
    event = as_object(document, "the EventBridge event")
    if require_str(event, "detail-type") != STATE_CHANGE:
        return []
    detail = as_object(event.get("detail"), "detail")
    name = require_str(detail, "alarmName", "detail.")
    state = get_object(detail, "state", "detail.")
    value = require_str(state, "value", "detail.state.")
    status, severity = _state(value, "detail.state.value")
    tags = string_map(detail.get("alarmTags"), "detail.alarmTags")
    # INSUFFICIENT_DATA stays P4 whatever the tag says: a monitoring gap, not the graded outage.
    if value != "INSUFFICIENT_DATA":
        severity = _tag_severity(tags, severity)
    account = get_str(event, "account")
    region = get_str(event, "region")
    resources = get_list(event, "resources")
    arn = resources[0] if resources else None
    if arn is not None and not isinstance(arn, str):
        raise wrong_type("resources[0]", "a string", arn)
    configuration = get_object(detail, "configuration", "detail.")
    metric = _eventbridge_metric(configuration)
    changed_at = parse_time(get_str(state, "timestamp", "detail.state."), "detail.state.timestamp")
    if changed_at is None:
        changed_at = parse_time(get_str(event, "time"), "time")
    description = first_text(
        _meaningful(get_str(configuration, "description", "detail.configuration.")),
        _meaningful(get_str(state, "reason", "detail.state.")),
    )
    labels = _labels(metric, first_text(account), first_text(region))
    labels.update({f"tag_{key}": value for key, value in tags.items()})
    return [
        Event(
            source_format=FORMAT_EVENTBRIDGE,
            dedup_key=_dedup(first_text(arn) or f"{account or ''}:{region or ''}:{name}"),
            status=status,
            severity=severity,
            title=one_line(name),
            description=description or "",
            resource=_resource(metric),
            labels=labels,
            started_at=changed_at,
            ended_at=changed_at if status is AlertStatus.resolved else None,
            delivery_id=get_str(event, "id"),
            raw=event,
        )
    ]


def _eventbridge_metric(configuration: Mapping[str, Any]) -> _Metric:
    """The metricStat metrics of the alarm (single-metric alarms have exactly one)."""
    metrics = []
    for index, query in enumerate(get_list(configuration, "metrics", "detail.configuration.")):
        path = f"detail.configuration.metrics[{index}]."
        stat = get_object(as_object(query, path[:-1]), "metricStat", path)
        metric = get_object(stat, "metric", f"{path}metricStat.")
        if metric:
            path = f"{path}metricStat.metric."
            dimensions = string_map(metric.get("dimensions"), f"{path}dimensions")
            metrics.append(
                _Metric(
                    get_str(metric, "namespace", path),
                    get_str(metric, "name", path),
                    list(dimensions.items()),
                )
            )
    return _merged(metrics)


def _tag_severity(tags: Mapping[str, str], default: str) -> str:
    """A ``severity`` alarm tag (any key case) through the label table; unrecognised gives P3."""
    for key, value in tags.items():
        if key.lower() == "severity":
            return severity_from_word(value) or "P3"
    return default


def _state(value: str, path: str) -> tuple[AlertStatus, str]:
    try:
        return _STATES[value]
    except KeyError:
        raise SourceError(f"{path} must be ALARM, OK or INSUFFICIENT_DATA, not {value!r}") from None


def _arn_parts(arn: str | None) -> tuple[str | None, str | None]:
    """(region, account) of ``arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>``."""
    parts = (arn or "").split(":", 6)
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "cloudwatch":
        return None, None
    return first_text(parts[3]), first_text(parts[4])


def _meaningful(text: str | None) -> str | None:
    """``text`` unless blank or a rendered null ("None", "null")."""
    if text is None or text.strip().lower() in _PLACEHOLDERS:
        return None
    return first_text(text)


def _resource(metric: _Metric) -> str | None:
    return metric.dimensions[0][1] if metric.dimensions else None


def _labels(metric: _Metric, account: str | None, region: str | None) -> dict[str, str]:
    labels: dict[str, str] = {}
    for name, value in metric.dimensions:
        labels.setdefault(name, value)
    fixed = {"namespace": metric.namespace, "metric": metric.name}
    fixed |= {"account": account, "region": region}
    labels.update({key: value for key, value in fixed.items() if value})
    return labels


def _dedup(key: str) -> str:
    if len(key) > DEDUP_KEY_LIMIT:
        raise SourceError(f"the alarm ARN is longer than {DEDUP_KEY_LIMIT} characters")
    return key
