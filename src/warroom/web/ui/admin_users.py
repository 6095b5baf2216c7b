"""Admin: users, their web roles, passwords and sign-in lockouts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from warroom.actor import Role
from warroom.users import service as users
from warroom.users import sign_in
from warroom.web.deps import SessionDep
from warroom.web.ui.auth import AdminDep, FormDep, change_by
from warroom.web.ui.form_values import text
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)
USERS_PATH = "/admin/users"


@router.get(USERS_PATH, response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, who: AdminDep) -> HTMLResponse:
    """Every user with their role, password and lockout state."""
    return page(
        request,
        "admin/users.html.j2",
        users=users.list_users(session),
        roles=[role.name for role in Role],
    )


@router.post(USERS_PATH, response_model=None)
def create_user(
    request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """Add a user (without a password: set one next)."""
    created = users.create_user(
        session,
        change=change_by(request, who),
        handle=text(form, "handle"),
        name=text(form, "name"),
        email=text(form, "email"),
        time_zone=text(form, "time_zone") or "UTC",
        role=text(form, "role") or Role.responder.name,
    )
    session.commit()
    return RedirectResponse(f"{USERS_PATH}#user-{created.handle}", status_code=303)


@router.post(USERS_PATH + "/{handle}/role", response_model=None)
def change_role(
    handle: str, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """Give a user another web role; the last admin keeps theirs."""
    user = users.get_user(session, handle)
    sign_in.set_role(session, change=change_by(request, who), user=user, role=text(form, "role"))
    session.commit()
    return RedirectResponse(f"{USERS_PATH}#user-{user.handle}", status_code=303)


@router.post(USERS_PATH + "/{handle}/password", response_model=None)
def set_password(
    handle: str, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """Set a user's password; it lifts any lockout and signs them out everywhere."""
    user = users.get_user(session, handle)
    password = form.get("password", "")
    sign_in.set_password(
        session,
        change=change_by(request, who),
        user=user,
        password=password if isinstance(password, str) else "",
    )
    session.commit()
    return RedirectResponse(f"{USERS_PATH}#user-{user.handle}", status_code=303)


@router.post(USERS_PATH + "/{handle}/unlock", response_model=None)
def unlock(
    handle: str, request: Request, session: SessionDep, who: AdminDep, form: FormDep
) -> RedirectResponse:
    """Let a locked-out user sign in again at once."""
    user = users.get_user(session, handle)
    sign_in.unlock(session, change=change_by(request, who), user=user)
    session.commit()
    return RedirectResponse(f"{USERS_PATH}#user-{user.handle}", status_code=303)
