"""``warroom incident update`` and ``updates``: post and read an incident's status updates."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from warroom.cli.render import console, print_json, table, when
from warroom.cli.state import state_of
from warroom.comms import service
from warroom.comms.schemas import posted_view, update_view
from warroom.comms.templates import INTERNAL, PUBLIC
from warroom.errors import ValidationFailed
from warroom.incidents import service as incidents

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]


def _audience(internal: bool, public: bool) -> str:
    if internal == public:
        raise ValidationFailed("say who the update is for: --internal or --public (one of them)")
    return INTERNAL if internal else PUBLIC


def _variables(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise ValidationFailed.for_field("--var", f"{pair!r} is not NAME=VALUE")
        found[name.strip()] = value
    return found


def update(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="incident-YYYY-MM-DD-NNN")],
    internal: Annotated[
        bool, typer.Option("--internal", help="to responders, subscribers and Slack")
    ] = False,
    public: Annotated[bool, typer.Option("--public", help="to the public status page")] = False,
    template: Annotated[
        str | None, typer.Option("--template", "-t", help="initial, update, resolution, ...")
    ] = None,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="NAME=VALUE for the template; repeatable")
    ] = None,
    body: Annotated[
        str | None, typer.Option("--body", "-b", help="the text itself; - reads it from stdin")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="investigating, identified, monitoring or resolved")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Post a status update from a template (with --var) or a --body."""
    audience = _audience(internal, public)
    variables = _variables(var or [])
    text = sys.stdin.read() if body == "-" else body
    state = state_of(ctx)
    with state.session() as session:
        incident = incidents.get(session, ref)
        posted = service.post_update(
            session,
            change=state.change(session),
            settings=state.settings,
            incident=incident,
            audience=audience,
            status=status,
            body=text,
            template=template,
            variables=variables,
        )
        view = posted_view(posted, incident)
    if as_json:
        print_json(view)
        return
    console.print(view.body, markup=False)
    console.print()
    if audience == PUBLIC:
        console.print(f"published to the status page as {view.status}", markup=False)
        return
    sent = ", ".join(view.notified or []) or "nobody"
    console.print(f"update {view.id} on {incident.ref} sent to {sent}", markup=False)
    if view.slack_channel:
        console.print(f"posted to Slack channel {view.slack_channel}", markup=False)


def updates(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="incident-YYYY-MM-DD-NNN")],
    audience: Annotated[str | None, typer.Option(help="internal or public")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List an incident's status updates, newest first."""
    state = state_of(ctx)
    with state.session() as session:
        incident = incidents.get(session, ref)
        rows = service.list_updates(session, incident=incident, audience=audience, limit=limit)
        views = [update_view(u, incident) for u in rows]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print(f"no updates on {incident.ref} yet", markup=False)
        return
    table(
        None,
        ["id", "time", "audience", "status", "by", "text"],
        [
            [str(v.id), when(v.created_at), v.audience, v.status or "-", v.author, v.body]
            for v in views
        ],
    )
