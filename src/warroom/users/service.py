"""Users and API tokens: create, find, authenticate, revoke."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from warroom.users import audit
from warroom.users.models import ApiToken, User

TOKEN_PREFIX = "wr_"
_HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_time_zone(time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.for_field(
            "time_zone", f"unknown time zone {time_zone!r}; use an IANA name like Europe/Berlin"
        ) from None


def _check_profile(name: str, email: str, time_zone: str) -> str:
    """Validate a user's name, email and time zone; the cleaned email."""
    if not name.strip():
        raise ValidationFailed.for_field("name", "must not be empty")
    email = email.strip()
    if not EMAIL.match(email):
        raise ValidationFailed.for_field("email", f"{email!r} is not an email address")
    _check_time_zone(time_zone)
    return email


def create_user(
    session: Session,
    *,
    change: Change,
    handle: str,
    name: str,
    email: str,
    time_zone: str = "UTC",
    role: str = "responder",
) -> User:
    """Add a user; handles and emails are unique."""
    handle = handle.strip().lower()
    if not _HANDLE.match(handle):
        raise ValidationFailed.for_field(
            "handle", "use 1-64 lowercase letters, digits, '.', '_' or '-'"
        )
    email = _check_profile(name, email, time_zone)
    try:
        web_role = Role.parse(role).name
    except ValueError as exc:
        raise ValidationFailed.for_field("role", str(exc)) from None
    if session.scalar(select(User.id).where(User.handle == handle)) is not None:
        raise Conflict(f"a user with handle {handle!r} already exists")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email!r} already exists")
    user = User(
        handle=handle,
        name=name.strip(),
        email=email,
        time_zone=time_zone,
        role=web_role,
        created_at=change.now(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        change=change,
        action="user.create",
        target=f"user:{handle}",
        data={"name": user.name, "email": email, "time_zone": time_zone, "role": web_role},
    )
    return user


def update_user(
    session: Session, *, change: Change, user: User, name: str, email: str, time_zone: str
) -> User:
    """Change a user's name, email and time zone; the handle stays."""
    email = _check_profile(name, email, time_zone)
    taken = select(User.id).where(User.email == email, User.id != user.id)
    if session.scalar(taken) is not None:
        raise Conflict(f"a user with email {email!r} already exists")
    user.name, user.email, user.time_zone = name.strip(), email, time_zone
    session.flush()
    audit.record(
        session,
        change=change,
        action="user.update",
        target=f"user:{user.handle}",
        data={"name": user.name, "email": email, "time_zone": time_zone},
    )
    return user


def get_user(session: Session, handle: str) -> User:
    """The user with this handle, or NotFound."""
    user = session.scalar(select(User).where(User.handle == handle.strip().lower()))
    if user is None:
        raise NotFound(f"no user with handle {handle!r}")
    return user


def list_users(session: Session) -> list[User]:
    """All users by handle."""
    return list(session.scalars(select(User).order_by(User.handle)))


def hash_token(token: str) -> str:
    """The stored form of a token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token row and its secret, which is shown once and never stored."""

    token: ApiToken
    secret: str


def create_token(
    session: Session,
    *,
    change: Change,
    name: str,
    role: str,
    user_handle: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Issue a token with ``role``, optionally acting as a user and expiring."""
    if not name.strip():
        raise ValidationFailed.for_field("name", "must not be empty")
    try:
        parsed_role = Role.parse(role)
    except ValueError as exc:
        raise ValidationFailed.for_field("role", str(exc)) from None
    if expires_at is not None and expires_at <= change.now():
        raise ValidationFailed.for_field("expires_at", "must be in the future")
    user = get_user(session, user_handle) if user_handle else None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_hash=hash_token(secret),
        prefix=secret[:10],
        role=parsed_role.name,
        user_id=user.id if user else None,
        created_at=change.now(),
        expires_at=expires_at,
    )
    token.user = user
    session.add(token)
    session.flush()
    audit.record(
        session,
        change=change,
        action="token.create",
        target=f"token:{token.id}",
        data={"name": token.name, "role": token.role, "user": user_handle},
    )
    return IssuedToken(token=token, secret=secret)


def list_tokens(session: Session) -> list[ApiToken]:
    """All tokens, newest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, *, change: Change, token_id: int) -> ApiToken:
    """Revoke a token at once; revoking twice is a no-op."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = change.now()
        audit.record(
            session, change=change, action="token.revoke", target=f"token:{token.id}", data={}
        )
    return token


def authenticate(session: Session, *, secret: str, now: datetime) -> Actor:
    """The actor a bearer token stands for, or Unauthorized saying why."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        raise Unauthorized("the API token is not valid")
    if token.revoked_at is not None:
        raise Unauthorized("the API token was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("the API token has expired")
    if token.user is not None:
        return Actor(
            kind="user", name=token.user.handle, role=Role[token.role], user_id=token.user.id
        )
    return Actor(kind="token", name=token.name, role=Role[token.role])
