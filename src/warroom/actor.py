"""Who did something: a user, an API token, the local CLI, an integration or the system."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Role(IntEnum):
    """Access roles, ordered: each includes the ones below it."""

    viewer = 1
    responder = 2
    admin = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        """The role called ``name``; raises ValueError listing the valid ones."""
        try:
            return cls[name.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown role {name!r}; use one of {', '.join(r.name for r in cls)}"
            ) from None


@dataclass(frozen=True)
class Actor:
    """The author of a change, as written on the timeline and in the audit log."""

    kind: str
    name: str
    role: Role = Role.admin
    user_id: int | None = None

    def __str__(self) -> str:
        return "system" if self.kind == "system" else f"{self.kind}:{self.name}"


SYSTEM = Actor(kind="system", name="system")
