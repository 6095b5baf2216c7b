"""Request dependencies: database session, authenticated actor, role checks, change context."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.clock import Clock
from warroom.config import Settings
from warroom.errors import Forbidden, Unauthorized, ValidationFailed
from warroom.severity import SeverityScheme
from warroom.users.service import authenticate


class HasId(Protocol):
    """A row with an integer id, the key cursors continue after."""

    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=HasId)


def get_session(request: Request) -> Iterator[Session]:
    """A session for this request; endpoints commit explicitly before answering."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


async def get_clock(request: Request) -> Clock:
    """The application's clock."""
    clock: Clock = request.app.state.clock
    return clock


async def get_settings(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_scheme(request: Request) -> SeverityScheme:
    """The configured severity scheme."""
    scheme: SeverityScheme = request.app.state.scheme
    return scheme


SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SchemeDep = Annotated[SeverityScheme, Depends(get_scheme)]


def get_actor(request: Request, session: SessionDep, clock: ClockDep) -> Actor:
    """The actor behind the request's bearer token."""
    header = request.headers.get("authorization", "")
    kind, _, secret = header.partition(" ")
    if not header:
        raise Unauthorized("no API token; send it as `Authorization: Bearer <token>`")
    if kind.lower() != "bearer" or not secret.strip():
        raise Unauthorized("the Authorization header must be `Bearer <token>`")
    return authenticate(session, secret=secret.strip(), now=clock.now())


def require(role: Role) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency that admits actors with at least ``role``."""

    async def check(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
        if actor.role < role:
            raise Forbidden(f"this needs the {role.name} role; the token has {actor.role.name}")
        return actor

    return check


Viewer = Annotated[Actor, Depends(require(Role.viewer))]
Responder = Annotated[Actor, Depends(require(Role.responder))]
Admin = Annotated[Actor, Depends(require(Role.admin))]


def change_for(request: Request, actor: Actor) -> Change:
    """The change context for a mutation made by ``actor`` in this request."""
    return Change(actor=actor, clock=request.app.state.clock, request_id=request.state.request_id)


def encode_cursor(last_id: int) -> str:
    """An opaque cursor that continues after ``last_id``."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after; a validation error if it was not made by us."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix == "id" and value.isdigit():
            return int(value)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise ValidationFailed.for_field("cursor", "not a cursor this API returned")


def paginate(rows: Sequence[Row], limit: int) -> tuple[Sequence[Row], str | None]:
    """The first ``limit`` of ``limit + 1`` fetched rows and the cursor to the rest, if any."""
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None
