"""Field-by-field checks of the Statuspage public API v2 shapes (types, enums, order, times)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ID = re.compile(r"^[a-z0-9]{12}$")
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical"}
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}


def time_value(value: Any, nullable: bool = False) -> datetime | None:
    """Assert an ISO-8601 time with an offset (or null where allowed)."""
    if value is None and nullable:
        return None
    assert isinstance(value, str), value
    assert ISO_WITH_OFFSET.match(value), value
    return datetime.fromisoformat(value)


def check_page(page: Any) -> None:
    """The ``page`` object."""
    assert set(page) == PAGE_KEYS
    assert all(isinstance(page[k], str) for k in ("id", "name", "url", "time_zone"))
    time_value(page["updated_at"])


def check_status(status: Any) -> None:
    """The ``status`` object."""
    assert set(status) == {"indicator", "description"}
    assert status["indicator"] in IMPACTS
    assert isinstance(status["description"], str)
    assert status["description"]


def check_component(component: Any, page_id: str) -> None:
    """One component; groups list their members."""
    keys = COMPONENT_KEYS | ({"components"} if component["group"] else set())
    assert set(component) == keys
    assert ID.match(component["id"])
    assert isinstance(component["name"], str)
    assert component["status"] in COMPONENT_STATUSES
    time_value(component["created_at"])
    time_value(component["updated_at"])
    assert isinstance(component["position"], int)
    assert component["description"] is None or isinstance(component["description"], str)
    assert isinstance(component["showcase"], bool)
    assert component["start_date"] is None or re.match(
        r"^\d{4}-\d{2}-\d{2}$", component["start_date"]
    )
    assert component["group_id"] is None or ID.match(component["group_id"])
    assert component["page_id"] == page_id
    assert isinstance(component["group"], bool)
    assert isinstance(component["only_show_if_degraded"], bool)
    if component["group"]:
        assert all(ID.match(child) for child in component["components"])


def check_incident(incident: Any, page_id: str, maintenance: bool = False) -> None:
    """One incident or maintenance, its updates newest first."""
    keys = INCIDENT_KEYS | ({"scheduled_for", "scheduled_until"} if maintenance else set())
    assert set(incident) == keys
    assert ID.match(incident["id"])
    statuses = MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES
    assert incident["status"] in statuses
    assert incident["impact"] in (IMPACTS | {"maintenance"} if maintenance else IMPACTS)
    for key in ("created_at", "updated_at", "started_at"):
        time_value(incident[key])
    for key in ("monitoring_at", "resolved_at"):
        time_value(incident[key], nullable=True)
    if maintenance:
        assert time_value(incident["scheduled_for"]) < time_value(incident["scheduled_until"])  # type: ignore[operator]
    assert incident["shortlink"].startswith("http")
    assert incident["page_id"] == page_id
    shown = [time_value(u["display_at"]) for u in incident["incident_updates"]]
    assert shown == sorted(shown, reverse=True)  # type: ignore[type-var]
    for update in incident["incident_updates"]:
        assert set(update) == UPDATE_KEYS
        assert ID.match(update["id"])
        assert update["status"] in statuses
        assert isinstance(update["body"], str)
        assert update["incident_id"] == incident["id"]
        time_value(update["created_at"])
        time_value(update["updated_at"])
        assert isinstance(update["deliver_notifications"], bool)
        assert update["custom_tweet"] is None
        assert update["tweet_id"] is None
        for affected in update["affected_components"] or []:
            assert set(affected) == {"code", "name", "old_status", "new_status"}
            assert affected["old_status"] in COMPONENT_STATUSES
            assert affected["new_status"] in COMPONENT_STATUSES
    for component in incident["components"]:
        check_component(component, page_id)
