"""Grafana unified alerting webhook contact point, version 1: https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from warroom.pipeline.event import Event, VerificationFailed
from warroom.sources import alertmanager
from warroom.sources.common import as_object, get_object, get_str, header, load_json, wrong_type

FORMAT = "grafana"
MAX_SKEW_SECONDS = 300

_EXTRA_LINKS = (
    ("silenceURL", "silence"),
    ("dashboardURL", "dashboard"),
    ("panelURL", "panel"),
    ("imageURL", "image"),
)
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def parse(headers: Mapping[str, str], body: bytes) -> list[Event]:
    """One event per element of ``alerts``; deprecated ``state``, ``title``, ``message`` ignored."""
    message = as_object(load_json(body), "the body")
    group = alertmanager.read_group(message)
    events = []
    for index, alert in enumerate(alertmanager.read_alerts(message)):
        path = f"alerts[{index}]"
        event = alertmanager.alert_event(
            alert, path, group, source_format=FORMAT, external_text="grafana"
        )
        for key, text in _EXTRA_LINKS:
            alertmanager.add_link(event.links, get_str(alert, key, f"{path}."), text)
        for ref, value in get_object(alert, "values", f"{path}.").items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise wrong_type(f"{path}.values.{ref}", "a number", value)
            event.labels.setdefault(f"value_{ref}", number_text(value))
        events.append(event)
    return events


def number_text(value: int | float) -> str:
    """A number in its shortest round-tripping form, without a ``.0`` on whole numbers."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
    return repr(value)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str,
    now: datetime,
    signature_header: str = "x-grafana-alerting-signature",
    timestamp_header: str | None = None,
) -> None:
    """Check the hex HMAC-SHA256 of the body (or of ``timestamp:body``) and the 300 s window."""
    if not secret:
        raise ValueError("an HMAC secret must not be empty")
    signature = header(headers, signature_header)
    if signature is None or not signature.strip():
        raise VerificationFailed(f"the {signature_header} header is missing")
    signed = body
    timestamp: str | None = None
    if timestamp_header is not None:
        timestamp = (header(headers, timestamp_header) or "").strip()
        if not timestamp:
            raise VerificationFailed(f"the {timestamp_header} header is missing")
        signed = timestamp.encode("utf-8", "surrogatepass") + b":" + body
    expected = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    given = signature.strip().lower().encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        raise VerificationFailed("the signature does not match")
    if timestamp is None:
        return
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise VerificationFailed(f"the {timestamp_header} header is not Unix seconds")
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if abs(moment.timestamp() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise VerificationFailed(
            f"the {timestamp_header} header is more than {MAX_SKEW_SECONDS} s off"
        )
