"""``warroom postmortem`` and ``warroom action-item``: write up incidents and follow up on them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.text import Text

from warroom.cli.render import console, print_json, table, when
from warroom.cli.state import CliState, state_of
from warroom.errors import ValidationFailed
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.postmortems import actions, service
from warroom.postmortems.generator import Generator
from warroom.postmortems.models import PUBLISHED
from warroom.postmortems.schemas import action_item_view, postmortem_view

postmortem_app = typer.Typer(
    help="Generate, show and publish incident postmortems.", no_args_is_help=True
)
action_app = typer.Typer(help="Add, list and complete action items.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]
RefArgument = Annotated[str, typer.Argument(help="incident-YYYY-MM-DD-NNN")]


class Format(StrEnum):
    """Export formats."""

    md = "md"
    html = "html"


OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="write to this file instead of stdout")
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="md or html")]


def _generator(state: CliState) -> Generator:
    settings = state.settings
    return Generator(
        scheme=settings.severity_scheme,
        time_zone=settings.status_page_time_zone,
        template_dir=settings.template_dir,
        base_url=settings.base_url,
    )


def _emit(
    generator: Generator, incident: Incident, markdown: str, fmt: Format, output: Path | None
) -> None:
    """Print the document, or write it to ``output`` (inside the caller's transaction)."""
    text = markdown
    if fmt is Format.html:
        text = generator.html(markdown, title=f"Postmortem: {incident.title}")
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed.for_field(
            "output", f"cannot write {output}: {exc.strerror or exc}"
        ) from None
    console.print(f"wrote {output}", markup=False)


@postmortem_app.command("generate")
def generate(
    ctx: typer.Context,
    ref: RefArgument,
    output: OutputOption = None,
    fmt: FormatOption = Format.md,
    save: Annotated[
        bool, typer.Option("--save", help="also store it as the incident's draft postmortem")
    ] = False,
    owner: Annotated[
        str | None, typer.Option(help="owner's handle when saving; default: the commander")
    ] = None,
) -> None:
    """Generate a postmortem from the incident's timeline; stored only with --save."""
    state = state_of(ctx)
    generator = _generator(state)
    with state.session() as session:
        incident = incidents.get(session, ref)
        if save:
            postmortem = service.create(
                session,
                change=state.change(session),
                scheme=state.settings.severity_scheme,
                generator=generator,
                incident=incident,
                owner=owner,
            )
            markdown = postmortem.body
        else:
            markdown = generator.markdown(session, incident, service.find(session, incident))
        _emit(generator, incident, markdown, fmt, output)


@postmortem_app.command("show")
def show(
    ctx: typer.Context,
    ref: RefArgument,
    output: OutputOption = None,
    fmt: FormatOption = Format.md,
    as_json: JsonFlag = False,
) -> None:
    """Print (or export) the incident's stored postmortem."""
    state = state_of(ctx)
    generator = _generator(state)
    with state.session() as session:
        incident = incidents.get(session, ref)
        postmortem = service.get(session, incident)
        if as_json:
            print_json(postmortem_view(postmortem, incident, state.clock.now()))
            return
        _emit(generator, incident, postmortem.body, fmt, output)


@postmortem_app.command("publish")
def publish(
    ctx: typer.Context,
    ref: RefArgument,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="replace the body with this Markdown file")
    ] = None,
) -> None:
    """Publish the incident's postmortem (optionally with a new body); then it can be closed."""
    state = state_of(ctx)
    body = None
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = f"cannot read {body_file}: {exc}"
            raise ValidationFailed.for_field("body_file", problem) from None
    with state.session() as session:
        incident = incidents.get(session, ref)
        postmortem = service.get(session, incident)
        if body is not None and postmortem.status == PUBLISHED:
            service.update_postmortem(
                session,
                change=state.change(session),
                incident=incident,
                postmortem=postmortem,
                status=service.IN_REVIEW,
            )
        service.update_postmortem(
            session,
            change=state.change(session),
            incident=incident,
            postmortem=postmortem,
            body=body,
            status=PUBLISHED,
        )
    console.print(f"postmortem of {incident.ref} published", markup=False)


def _zone(state: CliState) -> ZoneInfo:
    return ZoneInfo(state.settings.status_page_time_zone)


@action_app.command("add")
def add(
    ctx: typer.Context,
    ref: RefArgument,
    title: Annotated[str, typer.Option("--title", "-t", help="what to do")],
    owner: Annotated[str, typer.Option("--owner", help="the owner's handle")],
    due: Annotated[str, typer.Option("--due", help="YYYY-MM-DD or an ISO time with offset")],
    priority: Annotated[str, typer.Option(help="high, medium or low")] = "medium",
    description: Annotated[str, typer.Option(help="details")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Add an action item to an incident."""
    state = state_of(ctx)
    with state.session() as session:
        incident = incidents.get(session, ref)
        change = state.change(session)
        item = actions.create(
            session,
            change=change,
            incident=incident,
            title=title,
            owner=owner,
            due=due,
            zone=_zone(state),
            priority=priority,
            description=description,
        )
        view = action_item_view(item, incident.ref, change.now())
    if as_json:
        print_json(view)
        return
    console.print(
        f"action item {view.id} added to {view.incident}: {view.title} "
        f"({view.owner}, {view.priority}, due {when(view.due_at)})",
        markup=False,
    )


@action_app.command("list")
def list_command(
    ctx: typer.Context,
    owner: Annotated[str | None, typer.Option(help="the owner's handle")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="repeatable")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only open items past due")] = False,
    incident_ref: Annotated[str | None, typer.Option("--incident", help="an incident ref")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List action items, newest first."""
    state = state_of(ctx)
    now = state.clock.now()
    with state.session() as session:
        incident = incidents.get(session, incident_ref) if incident_ref else None
        rows = actions.list_items(
            session,
            now=now,
            owner=owner,
            statuses=status or [],
            overdue=overdue,
            incident=incident,
            limit=limit,
        )
        views = [action_item_view(i, actions.incident_of(session, i).ref, now) for i in rows]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("no action items match")
        return
    table(
        None,
        ["id", "incident", "title", "owner", "priority", "status", "due"],
        [
            [
                str(v.id),
                v.incident,
                v.title,
                v.owner,
                v.priority,
                Text(v.status + (" (overdue)" if v.overdue else ""), "red" if v.overdue else ""),
                when(v.due_at),
            ]
            for v in views
        ],
    )


@action_app.command("done")
def done(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="the action item's id")],
    wont_do: Annotated[bool, typer.Option("--wont-do", help="close it as won't do")] = False,
) -> None:
    """Complete an action item; its reminders stop."""
    state = state_of(ctx)
    with state.session() as session:
        item = actions.update(
            session,
            change=state.change(session),
            item=actions.get(session, item_id),
            fields={"status": "wont_do" if wont_do else "done"},
            zone=_zone(state),
        )
        status = item.status
    console.print(f"action item {item_id} is {status}", markup=False)
