"""Users and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from warroom.users import service
from warroom.users.schemas import (
    IssuedTokenOut,
    TokenCreate,
    TokenList,
    TokenOut,
    UserCreate,
    UserList,
    UserOut,
    token_view,
    user_view,
)
from warroom.web.deps import Admin, SessionDep, Viewer, change_for
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
