"""``warroom user`` and ``warroom token``: people and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

from warroom.cli.render import console, print_json, table, when
from warroom.cli.state import state_of
from warroom.durations import parse_duration
from warroom.errors import ValidationFailed
from warroom.notifications.probe import send_test
from warroom.users import contacts, service, sign_in
from warroom.users.schemas import ContactTestOut, contact_view, token_view, user_view

user_app = typer.Typer(help="Users: the people warroom pages and credits.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (stored hashed, shown once).", no_args_is_help=True)
contact_app = typer.Typer(
    help="A user's contact methods, tried in order when they are paged.", no_args_is_help=True
)
user_app.add_typer(contact_app, name="contact")
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
SecretOption = Annotated[
    str | None,
    typer.Option(
        help="webhook signing secret whsec_<base64>; two space-separated while rotating",
        show_default=False,
    ),
]
DelayOption = Annotated[
    int,
    typer.Option(
        "--delay", help="minutes after a page, sent only if still unacknowledged (0 = at once)"
    ),
]


@user_app.command("create")
def create_user(
    ctx: typer.Context,
    handle: Annotated[str, typer.Option(help="short unique name, e.g. alice")],
    name: Annotated[str, typer.Option(help="full name")],
    email: Annotated[str, typer.Option()],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA name")] = "UTC",
    role: Annotated[str, typer.Option(help="web role: viewer, responder or admin")] = "responder",
    as_json: JsonFlag = False,
) -> None:
    """Add a user."""
    state = state_of(ctx)
    with state.session() as session:
        user = service.create_user(
            session,
            change=state.change(session),
            handle=handle,
            name=name,
            email=email,
            time_zone=time_zone,
            role=role,
        )
        view = user_view(user)
    if as_json:
        print_json(view)
    else:
        console.print(
            escape(f"created user {view.handle} ({view.name} <{view.email}>, {view.time_zone})")
        )


def _read_password() -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        password: str = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\r\n")


@user_app.command("set-password")
def set_password(ctx: typer.Context, handle: Annotated[str, typer.Argument()]) -> None:
    """Set a user's web sign-in password (read from stdin when it is not a terminal)."""
    password = _read_password()
    state = state_of(ctx)
    with state.session() as session:
        user = service.get_user(session, handle)
        sign_in.set_password(session, change=state.change(session), user=user, password=password)
    console.print(escape(f"password set for {user.handle}; they can sign in at /login"))


@user_app.command("set-role")
def set_role(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help="viewer, responder or admin")],
) -> None:
    """Set what a user may do in the web UI."""
    state = state_of(ctx)
    with state.session() as session:
        user = service.get_user(session, handle)
        sign_in.set_role(session, change=state.change(session), user=user, role=role)
    console.print(escape(f"{user.handle} is now a {user.role}"))


@user_app.command("list")
def list_users(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List users."""
    state = state_of(ctx)
    with state.session() as session:
        views = [user_view(u) for u in service.list_users(session)]
    if as_json:
        print_json(views)
        return
    table(
        None,
        ["handle", "name", "email", "time zone", "role"],
        [[v.handle, v.name, v.email, v.time_zone, v.role] for v in views],
    )


@contact_app.command("add")
def add_contact(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="the user's handle")],
    kind: Annotated[str, typer.Option("--type", help="email, slack, webhook or apprise")],
    address: Annotated[str, typer.Option(help="email, Slack id/#channel/URL, or URL")],
    label: Annotated[str | None, typer.Option(help="e.g. phone, work email")] = None,
    position: Annotated[
        int | None, typer.Option(help="1 is tried first; the end when omitted")
    ] = None,
    secret: SecretOption = None,
    delay: DelayOption = 0,
) -> None:
    """Add a contact method to a user."""
    state = state_of(ctx)
    with state.session() as session:
        user = service.get_user(session, handle)
        method = contacts.add_contact_method(
            session,
            change=state.change(session),
            user=user,
            type=kind,
            address=address,
            label=label,
            position=position,
            secret=secret,
            delay_minutes=delay,
            guard=state.settings.egress_guard,
        )
        view = contact_view(method)
    console.print(
        escape(f"added contact method {view.id} to {handle}: {view.type} {view.address}")
        + f" (position {view.position}{_delay_text(view.delay_minutes)})"
    )


def _delay_text(minutes: int) -> str:
    return f", after {minutes}m if unacknowledged" if minutes else ""


@contact_app.command("set")
def set_contact(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="the user's handle")],
    method_id: Annotated[int, typer.Argument(help="contact method id")],
    secret: SecretOption = None,
    clear_secret: Annotated[
        bool, typer.Option("--clear-secret", help="remove the webhook secret")
    ] = False,
    label: Annotated[str | None, typer.Option(help="new label; '' clears it")] = None,
    position: Annotated[int | None, typer.Option(help="move it; 1 is tried first")] = None,
    delay: Annotated[
        int | None, typer.Option("--delay", help="minutes after the page (0 = at once)")
    ] = None,
) -> None:
    """Rotate (two secrets), finish rotating (one) or clear a secret; relabel, move, delay."""
    state = state_of(ctx)
    if secret is not None and clear_secret:
        raise ValidationFailed.for_field("secret", "give --secret or --clear-secret, not both")
    changes: dict[str, Any] = {}
    if secret is not None or clear_secret:
        changes["secret"] = secret
    if label is not None:
        changes["label"] = label
    with state.session() as session:
        user = service.get_user(session, handle)
        method = contacts.update_contact_method(
            session,
            change=state.change(session),
            user=user,
            method_id=method_id,
            position=position,
            delay_minutes=delay,
            **changes,
        )
        view = contact_view(method)
    secret_text = "a secret" if view.has_secret else "no secret"
    console.print(
        escape(f"contact method {view.id} of {handle}: {view.type} {view.address}")
        + f" (position {view.position}{_delay_text(view.delay_minutes)}, {secret_text})"
    )


def _probe_contact(ctx: typer.Context, handle: str, method_id: int, as_json: bool) -> None:
    state = state_of(ctx)
    with state.session() as session:
        user = service.get_user(session, handle)
        method = contacts.get_contact_method(user, method_id)
        result = send_test(method, state.settings, state.clock.now())
        view = ContactTestOut(
            ok=result.ok, retryable=result.retryable, detail=result.detail, channel=method.type
        )
    if as_json:
        print_json(view)
    elif view.ok:
        console.print(escape(f"test message sent to contact method {method_id}: {view.detail}"))
    else:
        again = " (temporary; try again)" if view.retryable else ""
        console.print(escape(f"test message failed: {view.detail}{again}"))
    if not view.ok:
        raise typer.Exit(1)


# Also reachable as ``warroom user test-contact``, the name the contact-method docs use.
@user_app.command("test-contact")
@contact_app.command("test")
def probe_contact(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="the user's handle")],
    method_id: Annotated[int, typer.Argument(help="contact method id")],
    as_json: JsonFlag = False,
) -> None:
    """Send a test message to one contact method now; exit 1 if it failed."""
    _probe_contact(ctx, handle, method_id, as_json)


@contact_app.command("list")
def list_contacts(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="the user's handle")],
    as_json: JsonFlag = False,
) -> None:
    """List a user's contact methods in the order a page tries them."""
    state = state_of(ctx)
    with state.session() as session:
        user = service.get_user(session, handle)
        views = [contact_view(m) for m in contacts.list_contact_methods(session, user)]
    if as_json:
        print_json(views)
        return
    table(
        None,
        ["position", "id", "type", "address", "label", "delay", "secret"],
        [
            [
                str(v.position),
                str(v.id),
                v.type,
                v.address,
                v.label or "-",
                f"{v.delay_minutes}m" if v.delay_minutes else "-",
                "yes" if v.has_secret else "-",
            ]
            for v in views
        ],
    )


@contact_app.command("remove")
def remove_contact(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="the user's handle")],
    method_id: Annotated[int, typer.Argument(help="contact method id")],
) -> None:
    """Remove one of a user's contact methods."""
    state = state_of(ctx)
    with state.session() as session:
        user = service.get_user(session, handle)
        contacts.remove_contact_method(
            session, change=state.change(session), user=user, method_id=method_id
        )
    console.print(escape(f"removed contact method {method_id} from {handle}"))


@token_app.command("create")
def create_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="what the token is for")],
    role: Annotated[str, typer.Option(help="viewer, responder or admin")],
    user: Annotated[str | None, typer.Option(help="handle of the user it acts as")] = None,
    expires_in: Annotated[
        str | None, typer.Option("--expires-in", help="e.g. 90d, 12h; never when omitted")
    ] = None,
) -> None:
    """Issue a token; the secret is the last line of output, shown this once."""
    state = state_of(ctx)
    expires_at = None
    if expires_in:
        try:
            expires_at = state.clock.now() + parse_duration(expires_in)
        except ValueError as exc:
            raise ValidationFailed.for_field("expires-in", str(exc)) from None
        except OverflowError:
            raise ValidationFailed.for_field(
                "expires-in", f"{expires_in!r} is too far in the future"
            ) from None
    with state.session() as session:
        issued = service.create_token(
            session,
            change=state.change(session),
            name=name,
            role=role,
            user_handle=user,
            expires_at=expires_at,
        )
        token_id, token_role = issued.token.id, issued.token.role
    console.print(
        f"token {token_id} ({token_role}) created; expires {when(expires_at)}. "
        "Store it now, it is not shown again:"
    )
    print(issued.secret)


@token_app.command("list")
def list_tokens(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List tokens (never their secrets)."""
    state = state_of(ctx)
    with state.session() as session:
        views = [token_view(t) for t in service.list_tokens(session)]
    if as_json:
        print_json(views)
        return
    table(
        None,
        ["id", "name", "role", "user", "prefix", "created", "expires", "revoked"],
        [
            [
                str(v.id),
                v.name,
                v.role,
                v.user or "-",
                v.prefix,
                when(v.created_at),
                when(v.expires_at),
                when(v.revoked_at),
            ]
            for v in views
        ],
    )


@token_app.command("revoke")
def revoke_token(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="token id")]
) -> None:
    """Revoke a token at once."""
    state = state_of(ctx)
    with state.session() as session:
        service.revoke_token(session, change=state.change(session), token_id=token_id)
    console.print(f"token {token_id} revoked")
