"""What every source adapter shares: strict JSON decoding and type-checked field access."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from warroom.pipeline.event import SourceError

MAX_JSON_DEPTH = 64
# Go's zero time marks an unset timestamp (Alertmanager, Grafana).
_GO_ZERO_YEAR = 1


def load_json(body: bytes) -> Any:
    """Decode a UTF-8 JSON body; malformed, non-UTF-8 or nested deeper than 64 is a SourceError."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise SourceError(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise SourceError(f"the body is not valid JSON: {exc}") from None
    _check_depth(document)
    if _SURROGATE_ESCAPE.search(text):
        document = _without_lone_surrogates(document)
    return document


# JSON may spell a lone UTF-16 surrogate as an escape; no database can store it.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _clean_text(value: str) -> str:
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _without_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(k): _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    return value


def _check_depth(document: Any) -> None:
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise SourceError(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number"
    )


def wrong_type(path: str, expected: str, value: Any) -> SourceError:
    """The error for a known field of the wrong JSON type."""
    return SourceError(f"{path} must be {expected}, not {_type_name(value)}")


def as_object(value: Any, path: str) -> dict[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise wrong_type(path, "an object", value)
    return value


def get_object(document: Mapping[str, Any], key: str, path: str = "") -> dict[str, Any]:
    """An optional object member (missing or null gives {})."""
    value = document.get(key)
    return {} if value is None else as_object(value, f"{path}{key}")


def get_list(document: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
    """An optional array member (missing or null gives [])."""
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise wrong_type(f"{path}{key}", "an array", value)
    return value


def get_str(document: Mapping[str, Any], key: str, path: str = "") -> str | None:
    """An optional string member (missing or null gives None)."""
    value = document.get(key)
    if value is None or isinstance(value, str):
        return value
    raise wrong_type(f"{path}{key}", "a string", value)


def require_str(document: Mapping[str, Any], key: str, path: str = "") -> str:
    """A string member that must be present and non-empty."""
    value = get_str(document, key, path)
    if value is None or not value.strip():
        raise SourceError(f"{path}{key} is required")
    return value


def string_map(value: Any, path: str) -> dict[str, str]:
    """A JSON object whose values must all be strings (labels, annotations)."""
    mapping = {} if value is None else as_object(value, path)
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise wrong_type(f"{path}.{key}", "a string", item)
    return mapping


def scalar_text(value: Any) -> str:
    """A JSON scalar as label text (true/false/null spelled as in JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def parse_time(value: str | None, path: str) -> datetime | None:
    """An ISO-8601 / RFC 3339 time (also ``+0000`` offsets) in UTC; Go's zero time gives None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SourceError(f"{path} is not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.year <= _GO_ZERO_YEAR:
        return None
    return moment.astimezone(UTC)


def parse_epoch_millis(value: Any, path: str) -> datetime | None:
    """Unix milliseconds given as a number or a numeric string (Datadog's ``$DATE``)."""
    if value is None or value == "":
        return None
    try:
        millis = float(value)
    except (TypeError, ValueError):
        raise SourceError(f"{path} must be Unix milliseconds, not {value!r}") from None
    return datetime.fromtimestamp(millis / 1000, UTC)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A request header by lower-case name (adapters receive lower-cased header names)."""
    return headers.get(name.lower())
