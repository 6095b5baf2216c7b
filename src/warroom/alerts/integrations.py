"""Integrations: create, change, rotate keys, delete, look up by key, and where they send to."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom import validation
from warroom.alerts.models import Alert, Integration
from warroom.change import Change
from warroom.errors import Conflict, NotFound, ValidationFailed
from warroom.services.models import Service
from warroom.users import audit

SOURCES = (
    "alertmanager",
    "cloudwatch",
    "datadog",
    "grafana",
    "pagerduty",
    "opsgenie",
    "generic",
    "statuspage",
)
GRAFANA_SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
DEFAULT_POLL_SECONDS = 60
PAGERDUTY_KEY_LENGTH = 32
_OPTIONS: dict[str, tuple[str, ...]] = {
    "grafana": ("signature_header", "timestamp_header"),
    "cloudwatch": ("topic_arns",),
    "statuspage": ("url", "poll_interval_seconds"),
}
_PATHS = {"pagerduty": "/v2/enqueue", "opsgenie": "/v2/alerts"}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _clean_source(source: str) -> str:
    cleaned = source.strip().lower()
    if cleaned not in SOURCES:
        raise ValidationFailed.for_field(
            "source", f"unknown source {source!r}; use one of {', '.join(SOURCES)}"
        )
    return cleaned


def _service(session: Session, name: str) -> Service:
    service = session.scalar(select(Service).where(Service.name == name.strip()))
    if service is None:
        raise ValidationFailed.for_field(
            "service",
            f"no service called {name!r}; register it first with `warroom service create`",
        )
    return service


def _clean_key(session: Session, key: str, *, source: str, integration_id: int | None) -> str:
    if not 8 <= len(key) <= 256 or not all("!" <= c <= "~" for c in key):
        raise ValidationFailed.for_field(
            "key", "use 8-256 printable ASCII characters without spaces"
        )
    if source == "pagerduty" and len(key) != PAGERDUTY_KEY_LENGTH:
        raise ValidationFailed.for_field(
            "key", f"a PagerDuty routing key is exactly {PAGERDUTY_KEY_LENGTH} characters"
        )
    taken = select(Integration.id).where(Integration.key_hash == _hash(key))
    if integration_id is not None:
        taken = taken.where(Integration.id != integration_id)
    if session.scalar(taken) is not None:
        raise Conflict("another integration already uses this key; choose a different key")
    return key


def _clean_secret(source: str, secret: str) -> str:
    if source != "grafana":
        raise ValidationFailed.for_field("secret", "only grafana integrations take a secret")
    if not 8 <= len(secret) <= 256:
        raise ValidationFailed.for_field("secret", "use 8-256 characters")
    return secret


def _whole(options: Mapping[str, Any], name: str, low: int, high: int | None = None) -> int:
    value = options[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        limits = f">= {low}" if high is None else f"from {low} to {high}"
        raise ValidationFailed.for_field(f"options.{name}", f"must be a whole number {limits}")
    return value


def _header(options: Mapping[str, Any], name: str) -> str:
    value = options[name]
    if not isinstance(value, str) or not value.strip() or ":" in value:
        raise ValidationFailed.for_field(f"options.{name}", "must be an HTTP header name")
    return value.strip()


def _page_url(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    path = parts.path.rstrip("/") if parts else ""
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or (path and not path.endswith("/summary.json"))
    ):
        raise ValidationFailed.for_field(
            "options.url",
            "use the http(s) URL of the status page root or of its /api/v2/summary.json",
        )
    return str(value).strip()


def _topic_arns(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(a, str) and a.startswith("arn:aws:sns:") for a in value
    ):
        raise ValidationFailed.for_field(
            "options.topic_arns", "must be a list of SNS topic ARNs (arn:aws:sns:...)"
        )
    return list(value)


def clean_options(source: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate an integration's options for its source, filling in the defaults."""
    given = dict(options or {})
    known = ("rate_limit_per_minute", *_OPTIONS.get(source, ()))
    for name in given:
        if name not in known:
            raise ValidationFailed.for_field(
                f"options.{name}", f"unknown option for {source}; use {', '.join(known)}"
            )
    cleaned: dict[str, Any] = {}
    if "rate_limit_per_minute" in given:
        cleaned["rate_limit_per_minute"] = _whole(given, "rate_limit_per_minute", 0)
    if source == "grafana":
        given.setdefault("signature_header", GRAFANA_SIGNATURE_HEADER)
        cleaned["signature_header"] = _header(given, "signature_header")
        if given.get("timestamp_header") is not None:
            cleaned["timestamp_header"] = _header(given, "timestamp_header")
    if source == "cloudwatch" and "topic_arns" in given:
        cleaned["topic_arns"] = _topic_arns(given["topic_arns"])
    if source == "statuspage":
        if "url" not in given:
            raise ValidationFailed.for_field("options.url", "a statuspage integration needs a url")
        cleaned["url"] = _page_url(given["url"])
        given.setdefault("poll_interval_seconds", DEFAULT_POLL_SECONDS)
        cleaned["poll_interval_seconds"] = _whole(given, "poll_interval_seconds", 30, 86400)
    return cleaned


def _facts(integration: Integration) -> dict[str, Any]:
    """What the audit log records: never the key or the secret."""
    return {
        "source": integration.source,
        "service": integration.service.name,
        "enabled": integration.enabled,
        "has_secret": integration.secret is not None,
        "options": integration.options,
    }


def create_integration(
    session: Session,
    *,
    change: Change,
    name: str,
    source: str,
    service: str,
    key: str | None = None,
    secret: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[Integration, str]:
    """Add an integration; returns it and its key in clear, which is shown this once."""
    clean_name = validation.slug_name(name)
    clean_source = _clean_source(source)
    target = _service(session, service)
    clean_secret = None if secret is None else _clean_secret(clean_source, secret)
    clean = clean_options(clean_source, options)
    if session.scalar(select(Integration.id).where(Integration.name == clean_name)) is not None:
        raise Conflict(f"an integration called {clean_name!r} already exists")
    if key is None:
        key = secrets.token_hex(16)
    else:
        key = _clean_key(session, key, source=clean_source, integration_id=None)
    now = change.now()
    integration = Integration(
        name=clean_name,
        source=clean_source,
        service=target,
        key_hash=_hash(key),
        key_hint=key[-4:],
        secret=clean_secret,
        options=clean,
        enabled=True,
        next_poll_at=now if clean_source == "statuspage" else None,
        poll_state={},
        created_at=now,
        updated_at=now,
    )
    session.add(integration)
    session.flush()
    audit.record(
        session,
        change=change,
        action="integration.create",
        target=f"integration:{clean_name}",
        data=_facts(integration),
    )
    return integration, key


def get_integration(session: Session, name: str) -> Integration:
    """The integration called ``name``, or NotFound."""
    found = session.scalar(select(Integration).where(Integration.name == name.strip().lower()))
    if found is None:
        raise NotFound(f"no integration called {name!r}")
    return found


def list_integrations(session: Session) -> list[Integration]:
    """All integrations by name."""
    return list(session.scalars(select(Integration).order_by(Integration.name)))


def update_integration(
    session: Session,
    *,
    change: Change,
    integration: Integration,
    service: str | None = None,
    options: Mapping[str, Any] | None = None,
    enabled: bool | None = None,
    secret: str | None = None,
    clear_secret: bool = False,
) -> Integration:
    """Change the fields given (None keeps a field); ``options`` replaces all options."""
    if secret is not None and clear_secret:
        raise ValidationFailed.for_field("secret", "give a new secret or clear it, not both")
    if service is not None:
        integration.service = _service(session, service)
    if options is not None:
        integration.options = clean_options(integration.source, options)
        if integration.source == "statuspage" and integration.enabled:
            integration.next_poll_at = change.now()
    if secret is not None:
        integration.secret = _clean_secret(integration.source, secret)
    if clear_secret:
        integration.secret = None
    if enabled is not None:
        if enabled and not integration.enabled and integration.source == "statuspage":
            integration.next_poll_at = change.now()
        integration.enabled = enabled
    integration.updated_at = change.now()
    session.flush()
    audit.record(
        session,
        change=change,
        action="integration.update",
        target=f"integration:{integration.name}",
        data=_facts(integration),
    )
    return integration


def rotate_key(
    session: Session, *, change: Change, integration: Integration, key: str | None = None
) -> str:
    """Give the integration a new key (generated unless given); the old one stops working."""
    generated = key is None
    if key is None:
        key = secrets.token_hex(16)
    else:
        key = _clean_key(session, key, source=integration.source, integration_id=integration.id)
    integration.key_hash = _hash(key)
    integration.key_hint = key[-4:]
    integration.updated_at = change.now()
    session.flush()
    audit.record(
        session,
        change=change,
        action="integration.rotate_key",
        target=f"integration:{integration.name}",
        data={"generated": generated},
    )
    return key


def key_matches(integration: Integration, key: str) -> bool:
    """Whether ``key`` is the integration's current key."""
    return integration.key_hash == _hash(key)


def delete_integration(session: Session, *, change: Change, integration: Integration) -> None:
    """Remove an integration that never stored an alert; disable one that did."""
    count = session.scalar(
        select(func.count()).select_from(Alert).where(Alert.integration_id == integration.id)
    )
    if count:
        raise Conflict(
            f"integration {integration.name!r} has {count} alert(s) and cannot be deleted; "
            "disable it instead with `enabled: false`"
        )
    name = integration.name
    session.delete(integration)
    session.flush()
    audit.record(session, change=change, action="integration.delete", target=f"integration:{name}")


def find_by_key(session: Session, key: str) -> Integration | None:
    """The integration whose key this is, if any."""
    return session.scalar(select(Integration).where(Integration.key_hash == _hash(key)))


def ingest_url(integration: Integration, base_url: str, key: str | None) -> str | None:
    """Where the sender posts to (with the key in the path when known); None for polled pages."""
    base = base_url.rstrip("/")
    if integration.source == "statuspage":
        return None
    if integration.source in _PATHS:
        return base + _PATHS[integration.source]
    path = f"{base}/ingest/{integration.source}"
    return f"{path}/{key}" if key else path
