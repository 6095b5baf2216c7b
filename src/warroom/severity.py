"""Severity levels with their SLAs, update cadences and postmortem rules, and ``assess()``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.durations import Duration
from warroom.errors import ConfigError, ValidationFailed


class SeverityLevel(BaseModel):
    """One level of a severity scheme; levels are ordered most severe first."""

    # A misspelt key (``postmortem_requried``) must fail loudly, not silently keep a default.
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    name: str
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    ack_sla: Duration
    resolve_sla: Duration
    internal_update_every: Duration | None = None
    public_update_first: Duration | None = None
    public_update_every: Duration | None = None
    postmortem_required: bool = False
    postmortem_due: Duration | None = None
    required_roles: list[str] = Field(default_factory=list)

    @field_validator("ack_sla", "resolve_sla")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta():
            raise ValueError("must be longer than 0s")
        return value


def _key(label: str) -> str:
    return re.sub(r"[\s_\-]+", "", label.strip().lower())


DEFAULT_LEVELS: tuple[SeverityLevel, ...] = (
    SeverityLevel(
        id="P1",
        name="Critical",
        description="Complete outage for all users, data loss or a security breach",
        aliases=["SEV1", "SEV-1", "sev1", "critical"],
        ack_sla=timedelta(minutes=15),
        resolve_sla=timedelta(hours=4),
        internal_update_every=timedelta(minutes=15),
        public_update_first=timedelta(minutes=30),
        public_update_every=timedelta(hours=1),
        postmortem_required=True,
        postmortem_due=timedelta(days=2),
        required_roles=[
            "incident_commander",
            "communications_lead",
            "engineering_lead",
        ],
    ),
    SeverityLevel(
        id="P2",
        name="High",
        description="Major degradation: more than half of users affected or error rate above 5 %",
        aliases=["SEV2", "SEV-2", "sev2", "high", "major"],
        ack_sla=timedelta(minutes=30),
        resolve_sla=timedelta(hours=8),
        internal_update_every=timedelta(minutes=30),
        public_update_first=timedelta(hours=1),
        public_update_every=timedelta(hours=1),
        postmortem_required=True,
        postmortem_due=timedelta(days=2),
        required_roles=["incident_commander", "engineering_lead"],
    ),
    SeverityLevel(
        id="P3",
        name="Medium",
        description="Minor issue: fewer than half of users affected, or a workaround exists",
        aliases=["SEV3", "SEV-3", "sev3", "medium", "minor"],
        ack_sla=timedelta(hours=2),
        resolve_sla=timedelta(days=1),
        internal_update_every=timedelta(hours=2),
        required_roles=["incident_commander"],
    ),
    SeverityLevel(
        id="P4",
        name="Low",
        description="Cosmetic issue with no user impact",
        aliases=["SEV4", "SEV-4", "sev4", "low", "cosmetic"],
        ack_sla=timedelta(days=1),
        resolve_sla=timedelta(days=7),
    ),
)


@dataclass(frozen=True)
class Assessment:
    """The level ``assess()`` suggests and why."""

    level: SeverityLevel
    reason: str


class SeverityScheme:
    """An ordered set of levels and the aliases that name them."""

    def __init__(self, levels: list[SeverityLevel] | tuple[SeverityLevel, ...]) -> None:
        if not levels:
            raise ConfigError("a severity scheme needs at least one level")
        self.levels = tuple(levels)
        self._by_key: dict[str, SeverityLevel] = {}
        for level in self.levels:
            for label in (level.id, *level.aliases):
                existing = self._by_key.setdefault(_key(label), level)
                if existing is not level:
                    raise ConfigError(
                        f"severity label {label!r} names both {existing.id} and {level.id}"
                    )

    @property
    def ids(self) -> list[str]:
        """Level ids, most severe first."""
        return [level.id for level in self.levels]

    def find(self, label: str) -> SeverityLevel | None:
        """The level named by an id or alias (case, spaces and dashes ignored), or None."""
        return self._by_key.get(_key(label))

    def resolve(self, label: str, field: str = "severity") -> SeverityLevel:
        """Like ``find`` but raises a validation error that lists the accepted values."""
        level = self.find(label) if isinstance(label, str) else None
        if level is None:
            accepted = ", ".join(
                f"{lv.id} ({', '.join(lv.aliases)})" if lv.aliases else lv.id for lv in self.levels
            )
            raise ValidationFailed.for_field(
                field, f"unknown severity {label!r}; use one of {accepted}"
            )
        return level

    def get(self, level_id: str) -> SeverityLevel:
        """The level with exactly this id (as stored)."""
        level = self.find(level_id)
        if level is None:
            raise KeyError(level_id)
        return level

    def rank(self, level_id: str) -> int:
        """0 for the most severe level, 1 for the next, and so on."""
        return self.levels.index(self.get(level_id))

    def _at(self, rank: int) -> SeverityLevel:
        return self.levels[min(rank, len(self.levels) - 1)]

    def assess(
        self,
        *,
        users_affected_pct: float,
        data_loss: bool = False,
        security: bool = False,
        workaround: bool = False,
        error_rate_pct: float | None = None,
    ) -> Assessment:
        """Suggest a level from the impact, following the runbooks' decision trees."""
        if not 0 <= users_affected_pct <= 100:
            raise ValidationFailed.for_field("users_affected_pct", "must be between 0 and 100")
        if error_rate_pct is not None and not 0 <= error_rate_pct <= 100:
            raise ValidationFailed.for_field("error_rate_pct", "must be between 0 and 100")
        if security:
            return Assessment(self._at(0), "security incident")
        if data_loss:
            return Assessment(self._at(0), "data loss or data breach")
        if users_affected_pct >= 100:
            return Assessment(self._at(0), "all users affected")
        if users_affected_pct > 50:
            if workaround:
                return Assessment(
                    self._at(2), "more than 50 % of users affected, workaround exists"
                )
            return Assessment(self._at(1), "more than 50 % of users affected")
        if error_rate_pct is not None and error_rate_pct > 5:
            return Assessment(self._at(1), "error rate above 5 %")
        if users_affected_pct > 0:
            return Assessment(self._at(2), "50 % of users or fewer affected")
        return Assessment(self._at(3), "no user impact")


DEFAULT_SCHEME = SeverityScheme(DEFAULT_LEVELS)
