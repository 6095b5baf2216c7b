"""Web sign-in: passwords (argon2 via pwdlib), lockout after failures, browser sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.errors import Conflict, Unauthorized, ValidationFailed
from warroom.users import audit
from warroom.users.models import User, WebSession
from warroom.users.service import hash_token

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
_hasher = PasswordHash.recommended()
# Checked against when the user is unknown, so a wrong handle costs as long as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(Unauthorized):
    """A sign-in that failed; the message never says whether the user exists."""


@dataclass(frozen=True)
class StartedSession:
    """A new browser session: the cookie value (shown once) and its CSRF token."""

    cookie: str
    csrf_token: str
    user: User


def hash_password(password: str) -> str:
    """The stored form of a password: an argon2 hash with its own salt."""
    return _hasher.hash(password)


def set_password(session: Session, *, change: Change, user: User, password: str) -> None:
    """Store a new password hash for ``user``; clears any lockout and ends their sessions."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.for_field(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    if len(password) > 1024:
        raise ValidationFailed.for_field("password", "must be at most 1024 characters long")
    user.password_hash = hash_password(password)
    user.failed_sign_ins, user.locked_until = 0, None
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit.record(
        session, change=change, action="user.set_password", target=f"user:{user.handle}", data={}
    )


def unlock(session: Session, *, change: Change, user: User) -> None:
    """Lift ``user``'s sign-in lockout and forget their failed attempts."""
    user.failed_sign_ins, user.locked_until = 0, None
    audit.record(
        session, change=change, action="user.unlock", target=f"user:{user.handle}", data={}
    )


def set_role(session: Session, *, change: Change, user: User, role: str) -> None:
    """Give ``user`` the web role ``role`` (viewer, responder or admin); the last admin stays."""
    try:
        new_role = Role.parse(role).name
    except ValueError as exc:
        raise ValidationFailed.for_field("role", str(exc)) from None
    if user.role == Role.admin.name and new_role != Role.admin.name:
        others = select(func.count()).where(User.role == Role.admin.name, User.id != user.id)
        if not session.scalar(others):
            raise Conflict(f"{user.handle} is the only admin; make someone else admin first")
    user.role = new_role
    audit.record(
        session,
        change=change,
        action="user.set_role",
        target=f"user:{user.handle}",
        data={"role": user.role},
    )


def _find(session: Session, login: str) -> User | None:
    login = login.strip().lower()
    if not login:
        return None
    return session.scalar(select(User).where(or_(User.handle == login, User.email == login)))


def sign_in(session: Session, *, login: str, password: str, now: datetime) -> StartedSession:
    """Check a handle or email and password; a new session, or SignInRefused saying why."""
    user = _find(session, login)
    if user is None or user.password_hash is None:
        _hasher.verify(password, _UNKNOWN_USER_HASH)
        raise SignInRefused("the username or password is not right")
    if user.locked_until is not None and user.locked_until > now:
        raise SignInRefused(
            f"too many failed sign-ins; try again after {user.locked_until:%H:%M} UTC"
        )
    valid, rehashed = _hasher.verify_and_update(password, user.password_hash)
    if not valid:
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            user.failed_sign_ins, user.locked_until = 0, now + LOCKOUT
        session.commit()
        raise SignInRefused("the username or password is not right")
    if rehashed is not None:
        user.password_hash = rehashed
    user.failed_sign_ins, user.locked_until = 0, None
    cookie = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(
        WebSession(
            token_hash=hash_token(cookie),
            csrf_token=csrf_token,
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.commit()
    return StartedSession(cookie=cookie, csrf_token=csrf_token, user=user)


def find_session(session: Session, *, cookie: str, now: datetime) -> WebSession | None:
    """The live session behind a cookie value, if any."""
    if not cookie:
        return None
    found = session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(cookie)))
    if found is None or found.expires_at <= now:
        return None
    return found


def sign_out(session: Session, *, cookie: str) -> None:
    """End the session behind a cookie value; the cookie is worthless afterwards."""
    session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(cookie)))
    session.commit()


def actor_of(user: User) -> Actor:
    """The actor a signed-in user acts as, with their web role."""
    return Actor(kind="user", name=user.handle, role=Role[user.role], user_id=user.id)
