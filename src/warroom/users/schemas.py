"""API shapes of users, contact methods, tokens and audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from warroom.users.contact_rules import mask_address
from warroom.users.models import ApiToken, AuditEntry, ContactMethod, User


class UserCreate(BaseModel):
    """Add a user."""

    model_config = ConfigDict(extra="forbid")

    handle: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    time_zone: str = Field(default="UTC", max_length=64)
    role: str = Field(default="responder", description="web UI role: viewer, responder or admin")


_DELAY = (
    "0: part of the immediate chain, tried in position order; 1-1440: a reminder sent that many "
    "minutes after a page, only if the incident is still unacknowledged"
)


class ContactMethodCreate(BaseModel):
    """Add a contact method."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="email, slack, webhook or apprise")
    address: str = Field(
        min_length=1,
        max_length=1000,
        description="email address; Slack member id, #channel or incoming-webhook URL; "
        "webhook http(s) URL; Apprise URL",
    )
    label: str | None = Field(default=None, max_length=200)
    position: int | None = Field(
        default=None, ge=1, description="1 is tried first; appended when omitted"
    )
    secret: str | None = Field(
        default=None,
        max_length=1000,
        description="webhook only: a Standard Webhooks secret whsec_<base64>, "
        "or two separated by a space while rotating; never shown again",
    )
    delay_minutes: int = Field(default=0, description=_DELAY)


class ContactMethodUpdate(BaseModel):
    """Change a contact method; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(
        default=None,
        max_length=1000,
        description="new webhook secret(s): two to rotate, one to finish rotating, null to clear",
    )
    label: str | None = Field(default=None, max_length=200, description="null clears it")
    position: int | None = Field(default=None, ge=1)
    delay_minutes: int | None = Field(default=None, description=_DELAY)


class ContactMethodOut(BaseModel):
    """One way to reach a user; credentials in the address are masked, secrets never shown."""

    id: int
    type: str
    address: str
    label: str | None
    position: int
    delay_minutes: int
    has_secret: bool
    created_at: datetime


class ContactTestOut(BaseModel):
    """How a test notification to a contact method went (a failed send is not an HTTP error)."""

    ok: bool
    retryable: bool
    detail: str
    channel: str


class ContactMethodList(BaseModel):
    """A user's contact methods in the order a page tries them."""

    items: list[ContactMethodOut]


class UserOut(BaseModel):
    """A user."""

    handle: str
    name: str
    email: str
    time_zone: str
    role: str
    created_at: datetime
    contact_methods: list[ContactMethodOut]


class UserList(BaseModel):
    """All users."""

    items: list[UserOut]
    next_cursor: str | None = None


class TokenCreate(BaseModel):
    """Issue an API token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(description="viewer, responder or admin")
    user: str | None = Field(default=None, description="handle of the user the token acts as")
    expires_at: AwareDatetime | None = None


class TokenOut(BaseModel):
    """A token without its secret."""

    id: int
    name: str
    prefix: str
    role: str
    user: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(TokenOut):
    """A freshly issued token; ``token`` is shown only this once."""

    token: str


class TokenList(BaseModel):
    """All tokens."""

    items: list[TokenOut]
    next_cursor: str | None = None


class AuditEntryOut(BaseModel):
    """One audit row."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    request_id: str | None
    data: dict[str, Any]


class AuditPage(BaseModel):
    """A page of the audit log, newest first."""

    items: list[AuditEntryOut]
    next_cursor: str | None


def user_view(user: User) -> UserOut:
    """The API view of a user."""
    return UserOut(
        handle=user.handle,
        name=user.name,
        email=user.email,
        time_zone=user.time_zone,
        role=user.role,
        created_at=user.created_at,
        contact_methods=[contact_view(m) for m in user.contact_methods],
    )


def contact_view(method: ContactMethod) -> ContactMethodOut:
    """The API view of a contact method."""
    return ContactMethodOut(
        id=method.id,
        type=method.type,
        address=mask_address(method.type, method.address),
        label=method.label,
        position=method.position,
        delay_minutes=method.delay_minutes,
        has_secret=bool(method.secret),
        created_at=method.created_at,
    )


def token_view(token: ApiToken) -> TokenOut:
    """The API view of a token."""
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        role=token.role,
        user=token.user.handle if token.user else None,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
    )


def audit_view(entry: AuditEntry) -> AuditEntryOut:
    """The API view of an audit row."""
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        target=entry.target,
        request_id=entry.request_id,
        data=entry.data,
    )
