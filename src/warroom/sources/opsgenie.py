"""Opsgenie Alert API compatible create/close/acknowledge: https://docs.opsgenie.com/docs/alert-api."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from warroom.pipeline.event import (
    DEDUP_KEY_LIMIT,
    AlertStatus,
    Event,
    SourceError,
    one_line,
)
from warroom.sources.common import (
    as_object,
    get_list,
    get_str,
    load_json,
    require_str,
    string_map,
    wrong_type,
)

FORMAT = "opsgenie"

DESCRIPTION_MAX = 15000
_PRIORITY = {"P1": "P1", "P2": "P2", "P3": "P3", "P4": "P4", "P5": "P4"}
_ACTIONS = {"close": AlertStatus.resolved, "acknowledge": AlertStatus.acknowledged}
_OPTIONAL_STRINGS = ("user", "note")


def _new_key() -> str:
    return uuid.uuid4().hex


def parse_create(
    headers: Mapping[str, str], body: bytes, *, new_key: Callable[[], str] = _new_key
) -> list[Event]:
    """The one firing event of a ``POST /v2/alerts`` create-alert body."""
    document = as_object(load_json(body), "the body")
    message = require_str(document, "message")
    alias = get_str(document, "alias")
    if alias is not None and len(alias) > DEDUP_KEY_LIMIT:
        raise SourceError(f"alias must be at most {DEDUP_KEY_LIMIT} characters, not {len(alias)}")
    description = get_str(document, "description") or ""
    if len(description) > DESCRIPTION_MAX:
        # Opsgenie rejects longer descriptions; keeping the start is kinder than a 400.
        description = description[: DESCRIPTION_MAX - 1] + "…"
    priority = get_str(document, "priority")
    severity = "P3" if priority is None else _PRIORITY.get(priority.strip().upper())
    if severity is None:
        raise SourceError(f"priority must be one of P1, P2, P3, P4, P5, not {priority!r}")
    labels = string_map(document.get("details"), "details")
    tags = _tags(document)
    if tags:
        labels = {**labels, "tags": ", ".join(tags)}
    _check_loose_fields(document)
    entity = get_str(document, "entity")
    source = get_str(document, "source")
    return [
        Event(
            source_format=FORMAT,
            dedup_key=alias if alias and alias.strip() else new_key(),
            status=AlertStatus.firing,
            severity=severity,
            title=one_line(message),
            description=description,
            service=entity if entity and entity.strip() else None,
            resource=source if source and source.strip() else None,
            labels=labels,
            raw=document,
        )
    ]


def parse_action(action: str, identifier: str, identifier_type: str | None, body: bytes) -> Event:
    """The event of ``POST /v2/alerts/{identifier}/close`` or ``/acknowledge`` (alias only)."""
    status = _ACTIONS.get(action)
    if status is None:
        raise SourceError(f"action must be close or acknowledge, not {action!r}")
    if identifier_type != "alias":
        shown = "absent" if identifier_type is None else repr(identifier_type)
        raise SourceError(
            f"identifierType is {shown}: warroom finds alerts only by alias, "
            "so send identifierType=alias with the alert's alias as the identifier"
        )
    if not identifier.strip() or len(identifier) > DEDUP_KEY_LIMIT:
        raise SourceError(f"the alias must be 1 to {DEDUP_KEY_LIMIT} characters")
    document = as_object(load_json(body), "the body") if body.strip() else {}
    for name in ("user", "source", "note"):
        get_str(document, name)
    return Event(FORMAT, identifier, status, None, "", raw=document)


def accepted_body(request_id: str, took: float) -> dict[str, Any]:
    """The 202 response body Opsgenie sends once a request is queued."""
    return {"result": "Request will be processed", "took": took, "requestId": request_id}


def _tags(document: Mapping[str, Any]) -> list[str]:
    tags: list[str] = []
    for index, tag in enumerate(get_list(document, "tags")):
        if not isinstance(tag, str):
            raise wrong_type(f"tags[{index}]", "a string", tag)
        if tag.strip() and tag.strip() not in tags:
            tags.append(tag.strip())
    return tags


def _check_loose_fields(document: Mapping[str, Any]) -> None:
    """Type-check the fields warroom accepts but does not use (responders, actions, ...)."""
    for name in ("responders", "visibleTo"):
        for index, item in enumerate(get_list(document, name)):
            as_object(item, f"{name}[{index}]")
    for index, item in enumerate(get_list(document, "actions")):
        if not isinstance(item, str):
            raise wrong_type(f"actions[{index}]", "a string", item)
    for name in _OPTIONAL_STRINGS:
        get_str(document, name)
