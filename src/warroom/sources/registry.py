"""The webhook adapters by integration source name; the web layer looks them up here."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from warroom.pipeline.event import Event
from warroom.sources import alertmanager, cloudwatch, datadog, generic, grafana

Parser = Callable[[Mapping[str, str], bytes], list[Event]]

WEBHOOK_SOURCES: dict[str, Parser] = {
    "alertmanager": alertmanager.parse,
    "cloudwatch": cloudwatch.parse,
    "datadog": datadog.parse,
    "generic": generic.parse,
    "grafana": grafana.parse,
}
