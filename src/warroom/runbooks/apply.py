"""Turn a runbook's severity table into warroom's severity scheme (``runbooks apply-config``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from warroom.durations import format_duration
from warroom.errors import ConfigError, ValidationFailed
from warroom.runbooks.extract import extract
from warroom.runbooks.parser import decode, parse
from warroom.severity import SeverityLevel, SeverityScheme

_AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(business days?|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)\b",
    re.IGNORECASE,
)
_UNITS = {"m": 60, "h": 3600, "d": 86400, "b": 86400, "w": 7 * 86400}


def parse_response_time(text: str) -> timedelta | None:
    """``< 30 min``, ``Immediate (< 15 min)``, ``Next business day``, ``< 1 week`` → a duration."""
    match = _AMOUNT.search(text)
    if match:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)[0].lower()])
    if "next business day" in text.lower():
        return timedelta(days=1)
    return None


@dataclass(frozen=True)
class Proposal:
    """The scheme a runbook's table proposes, and what changed from the current one."""

    levels: list[SeverityLevel]
    changes: list[str]


def propose(runbook: bytes, current: SeverityScheme) -> Proposal:
    """Map the runbook's severity rows, in order, onto the current levels (ids stay the same)."""
    rows = extract(parse(decode(runbook))).severity_levels
    if not rows:
        raise ValidationFailed.for_field(
            "runbook",
            "no severity table found (a table whose first "
            "column is Severity/Level/Priority with P1 or SEV1 rows)",
        )
    levels = list(current.levels)
    changes: list[str] = []
    for rank, row in enumerate(rows):
        base = (
            levels[rank]
            if rank < len(levels)
            else levels[-1].model_copy(update={"id": row["id"].replace("-", ""), "aliases": []})
        )
        update: dict[str, object] = {}
        labels = dict.fromkeys([row["id"], row["id"].replace("-", "")])
        added = [a for a in labels if current.find(a) is not base and a not in base.aliases]
        if added:
            update["aliases"] = [*base.aliases, *added]
        if row.get("name"):
            update["name"] = row["name"]
        if row.get("description"):
            update["description"] = row["description"]
        for column, attribute in (("response_time", "ack_sla"), ("resolution_time", "resolve_sla")):
            duration = parse_response_time(row.get(column, ""))
            if duration is not None and duration > timedelta():
                update[attribute] = duration
        level = base.model_copy(update=update)
        for attribute, value in update.items():
            before = getattr(base, attribute)
            if before != value:
                changes.append(f"{level.id}: {attribute} {_show(before)} → {_show(value)}")
        if rank < len(levels):
            levels[rank] = level
        else:
            levels.append(level)
            changes.append(f"{level.id}: new level")
    SeverityScheme(levels)  # refuses aliases that would name two levels
    return Proposal(levels=levels, changes=changes)


def _show(value: object) -> str:
    return format_duration(value) if isinstance(value, timedelta) else repr(value)


def write(config_file: Path, levels: list[SeverityLevel]) -> None:
    """Replace ``severities`` in the TOML config file, keeping everything else and its comments."""
    try:
        document = (
            tomlkit.parse(config_file.read_text(encoding="utf-8"))
            if config_file.exists()
            else tomlkit.document()
        )
    except (TOMLKitError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {config_file} is not valid TOML: {exc}") from exc
    table = tomlkit.aot()
    for level in levels:
        data = level.model_dump(mode="json", exclude_none=True)
        table.append(tomlkit.item(data))
    document["severities"] = table
    config_file.write_text(tomlkit.dumps(document), encoding="utf-8")
