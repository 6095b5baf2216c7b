"""Users, their contact methods and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from warroom.actor import Actor, Role
from warroom.clock import Clock
from warroom.config import Settings
from warroom.errors import Forbidden
from warroom.users import contacts, service
from warroom.users.models import User
from warroom.users.schemas import (
    ContactMethodCreate,
    ContactMethodList,
    ContactMethodOut,
    ContactMethodUpdate,
    ContactTestOut,
    IssuedTokenOut,
    TokenCreate,
    TokenList,
    TokenOut,
    UserCreate,
    UserList,
    UserOut,
    contact_view,
    token_view,
    user_view,
)
from warroom.web.deps import Admin, Responder, SessionDep, Viewer, change_for
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["users and tokens"])


@router.get("/users")
def list_users(session: SessionDep, actor: Viewer) -> UserList:
    """All users by handle."""
    return UserList(items=[user_view(u) for u in service.list_users(session)])


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, request: Request, session: SessionDep, actor: Admin) -> UserOut:
    """Add a user (admin)."""
    user = service.create_user(session, change=change_for(request, actor), **body.model_dump())
    session.commit()
    return user_view(user)


@router.get("/users/{handle}")
def get_user(handle: str, session: SessionDep, actor: Viewer) -> UserOut:
    """One user."""
    return user_view(service.get_user(session, handle))


def _check_may_edit(actor: Actor, user: User) -> None:
    """Admins edit anyone's contact methods; a responder only their own."""
    if actor.role < Role.admin and actor.user_id != user.id:
        raise Forbidden(
            f"only an admin or {user.handle} (with a token bound to that user) "
            "can change these contact methods"
        )


@router.get("/users/{handle}/contact-methods")
def list_contact_methods(handle: str, session: SessionDep, actor: Viewer) -> ContactMethodList:
    """A user's contact methods in the order a page tries them."""
    user = service.get_user(session, handle)
    return ContactMethodList(
        items=[contact_view(m) for m in contacts.list_contact_methods(session, user)]
    )


@router.post("/users/{handle}/contact-methods", status_code=status.HTTP_201_CREATED)
def add_contact_method(
    handle: str,
    body: ContactMethodCreate,
    request: Request,
    session: SessionDep,
    actor: Responder,
) -> ContactMethodOut:
    """Add a contact method (admin, or the user themself)."""
    user = service.get_user(session, handle)
    _check_may_edit(actor, user)
    method = contacts.add_contact_method(
        session,
        change=change_for(request, actor),
        user=user,
        guard=request.app.state.settings.egress_guard,
        **body.model_dump(),
    )
    session.commit()
    return contact_view(method)


@router.patch("/users/{handle}/contact-methods/{method_id}")
def update_contact_method(
    handle: str,
    method_id: int,
    body: ContactMethodUpdate,
    request: Request,
    session: SessionDep,
    actor: Responder,
) -> ContactMethodOut:
    """Rotate or clear a webhook secret, relabel, move or delay a method (admin, or the user)."""
    user = service.get_user(session, handle)
    _check_may_edit(actor, user)
    method = contacts.update_contact_method(
        session,
        change=change_for(request, actor),
        user=user,
        method_id=method_id,
        **body.model_dump(include=body.model_fields_set),
    )
    session.commit()
    return contact_view(method)


@router.post("/users/{handle}/contact-methods/{method_id}/test")
def send_test_notification(
    handle: str, method_id: int, request: Request, session: SessionDep, actor: Responder
) -> ContactTestOut:
    """Send a test message to the method now; 200 with the outcome even when it fails."""
    user = service.get_user(session, handle)
    _check_may_edit(actor, user)
    method = contacts.get_contact_method(user, method_id)
    settings: Settings = request.app.state.settings
    clock: Clock = request.app.state.clock
    # Imported here: the channels (Slack, Apprise, SMTP) are the engine's; only this needs them.
    from warroom.notifications.probe import send_test

    result = send_test(method, settings, clock.now())
    return ContactTestOut(
        ok=result.ok, retryable=result.retryable, detail=result.detail, channel=method.type
    )


@router.delete(
    "/users/{handle}/contact-methods/{method_id}", status_code=status.HTTP_204_NO_CONTENT
)
def remove_contact_method(
    handle: str, method_id: int, request: Request, session: SessionDep, actor: Responder
) -> Response:
    """Remove a contact method (admin, or the user themself)."""
    user = service.get_user(session, handle)
    _check_may_edit(actor, user)
    contacts.remove_contact_method(
        session, change=change_for(request, actor), user=user, method_id=method_id
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tokens")
def list_tokens(session: SessionDep, actor: Admin) -> TokenList:
    """All API tokens, without their secrets (admin)."""
    return TokenList(items=[token_view(t) for t in service.list_tokens(session)])


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(
    body: TokenCreate, request: Request, session: SessionDep, actor: Admin
) -> IssuedTokenOut:
    """Issue a token (admin); the secret is in the response once and never again."""
    issued = service.create_token(
        session,
        change=change_for(request, actor),
        name=body.name,
        role=body.role,
        user_handle=body.user,
        expires_at=body.expires_at,
    )
    session.commit()
    return IssuedTokenOut(**token_view(issued.token).model_dump(), token=issued.secret)


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: int, request: Request, session: SessionDep, actor: Admin) -> TokenOut:
    """Revoke a token at once (admin)."""
    token = service.revoke_token(session, change=change_for(request, actor), token_id=token_id)
    session.commit()
    return token_view(token)
