"""Sign-in, sign-out, the signed-in user of a page and CSRF checks on every form."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from warroom.actor import Actor, Role
from warroom.change import Change
from warroom.users import sign_in as sign_in_service
from warroom.users.models import User
from warroom.web.deps import ClockDep, SessionDep
from warroom.web.ui.render import page

SESSION_COOKIE = "warroom_session"
LOGIN_CSRF_COOKIE = "warroom_login_csrf"
router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler redirects to /login."""


class UiForbidden(Exception):
    """The signed-in user's role does not allow this, or the form's CSRF token is wrong."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class SignedIn:
    """The user behind a page request, their actor and their session's CSRF token."""

    user: User
    actor: Actor
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        """Whether they may configure."""
        return self.actor.role >= Role.admin

    @property
    def can_act(self) -> bool:
        """Whether they may act on incidents."""
        return self.actor.role >= Role.responder


def signed_in(request: Request, session: SessionDep, clock: ClockDep) -> SignedIn:
    """The signed-in user, or SignInRequired."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    found = sign_in_service.find_session(session, cookie=cookie, now=clock.now())
    if found is None:
        raise SignInRequired()
    who = SignedIn(
        user=found.user, actor=sign_in_service.actor_of(found.user), csrf_token=found.csrf_token
    )
    request.state.signed_in = who
    return who


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


async def checked_form(request: Request, who: SignedInDep) -> FormData:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form()
    given = form.get("csrf_token")
    if not isinstance(given, str) or not secrets.compare_digest(given, who.csrf_token):
        raise UiForbidden("the form has expired or did not come from this site; reload and retry")
    return form


def acting(role: Role) -> Callable[[SignedIn], SignedIn]:
    """A dependency that lets through users with at least ``role``."""

    def check(who: SignedInDep) -> SignedIn:
        if who.actor.role < role:
            raise UiForbidden(f"this needs the {role.name} role; you are a {who.actor.role.name}")
        return who

    return check


FormDep = Annotated[FormData, Depends(checked_form)]
ResponderDep = Annotated[SignedIn, Depends(acting(Role.responder))]
AdminDep = Annotated[SignedIn, Depends(acting(Role.admin))]


def change_by(request: Request, who: SignedIn) -> Change:
    """The change context for a form posted by ``who``."""
    clock = request.app.state.clock
    return Change(actor=who.actor, clock=clock, request_id=request.state.request_id)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str) -> str:
    """Only local paths, so the login form cannot send people elsewhere."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/incidents"


def _login_page(request: Request, status_code: int, error: str = "", login: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html.j2",
        status_code=status_code,
        signed_in=None,
        login_csrf=token,
        error=error,
        login=login,
        next=_safe_next(request.query_params.get("next", "/incidents")),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/login",
    )
    return response


@router.get("/", response_model=None)
def home(request: Request, session: SessionDep, clock: ClockDep) -> RedirectResponse:
    """Signed in: the incidents; signed out: the sign-in page."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    live = sign_in_service.find_session(session, cookie=cookie, now=clock.now())
    return RedirectResponse("/incidents" if live else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The sign-in form."""
    return _login_page(request, 200)


@router.post("/login", response_model=None)
async def login(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    """Check the credentials; on success a fresh session cookie (never one the client chose)."""
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = str(form.get("csrf_token", ""))
    if not expected or not secrets.compare_digest(given, expected):
        error = "the sign-in form expired; please try again"
        return _login_page(request, 403, error, username)
    if not username.strip() or not password:
        return _login_page(request, 422, "enter your username (or email) and password", username)
    try:
        started = sign_in_service.sign_in(
            session, login=username, password=password, now=clock.now()
        )
    except sign_in_service.SignInRefused as refused:
        return _login_page(request, 401, refused.detail, username)
    response = RedirectResponse(_safe_next(str(form.get("next", "/incidents"))), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        started.cookie,
        max_age=int(sign_in_service.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request, session: SessionDep, form: FormDep) -> Response:
    """End the session and forget the cookie."""
    sign_in_service.sign_out(session, cookie=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def install(app_exception_handler: Callable[..., object]) -> None:
    """Register the UI's redirect-to-sign-in and forbidden handlers."""
    app_exception_handler(SignInRequired, _to_sign_in)
    app_exception_handler(UiForbidden, _forbidden)


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or request.headers.get("accept") == "text/event-stream":
        return page(request, "error.html.j2", 401, title="Signed out", detail=_SIGNED_OUT)
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


_SIGNED_OUT = "your session has ended; sign in again"


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UiForbidden)
    return page(request, "error.html.j2", 403, title="Not allowed", detail=exc.detail)
