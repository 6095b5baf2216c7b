"""Domain errors; the web layer maps them to problem+json, the CLI to one clear line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class WarroomError(Exception):
    """Base of every error warroom reports to a user."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extra(self) -> dict[str, Any]:
        """Extra members for the problem document."""
        return {}


@dataclass(frozen=True)
class FieldError:
    """One field that failed validation."""

    field: str
    message: str


class ValidationFailed(WarroomError):
    """Input that is well-formed but not acceptable."""

    status = 422
    title = "Validation failed"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def for_field(cls, name: str, message: str) -> ValidationFailed:
        """A failure of a single field, with ``message`` as the detail too."""
        return cls(f"{name}: {message}", [FieldError(name, message)])

    def extra(self) -> dict[str, Any]:
        return {"errors": [{"field": e.field, "message": e.message} for e in self.errors]}


class NotFound(WarroomError):
    """The thing asked for does not exist."""

    status = 404
    title = "Not found"


class Conflict(WarroomError):
    """The request conflicts with the current state (e.g. an invalid status transition)."""

    status = 409
    title = "Conflict"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self._extra = extra

    def extra(self) -> dict[str, Any]:
        return dict(self._extra)


class Unauthorized(WarroomError):
    """No credentials, or credentials that are not valid."""

    status = 401
    title = "Unauthorized"


class Forbidden(WarroomError):
    """Valid credentials without the role the action needs."""

    status = 403
    title = "Forbidden"


class ConfigError(WarroomError):
    """Settings or a config file that cannot be used."""

    title = "Configuration error"


class DatabaseNotReady(WarroomError):
    """The database is unreachable, unmigrated or outdated."""

    status = 503
    title = "Database not ready"
