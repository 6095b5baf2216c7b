"""``warroom status-page``: components, public incidents and maintenance on the status page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from warroom.cli.render import console, print_json, table
from warroom.cli.state import state_of
from warroom.errors import ValidationFailed
from warroom.incidents import service as incidents
from warroom.statuspage import components, service
from warroom.statuspage.page import PageInfo, load_page
from warroom.statuspage.shapes import component_shape, incident_shape

app = typer.Typer(help="The public status page.", no_args_is_help=True)
component_app = typer.Typer(help="Components and groups on the page.", no_args_is_help=True)
incident_app = typer.Typer(help="Public incidents.", no_args_is_help=True)
maintenance_app = typer.Typer(help="Scheduled maintenance.", no_args_is_help=True)
app.add_typer(component_app, name="component")
app.add_typer(incident_app, name="incident")
app.add_typer(maintenance_app, name="maintenance")
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
ComponentsOption = Annotated[
    list[str] | None, typer.Option("--component", help="affected component id (repeat)")
]


def _time(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.for_field(
            field, "give an ISO-8601 time, e.g. 2025-11-01T22:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ValidationFailed.for_field(field, "give the time with a UTC offset, e.g. ...T22:00Z")
    return moment


@component_app.command("add")
def component_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="name shown on the page")],
    description: Annotated[str, typer.Option(help="one line under the name")] = "",
    group: Annotated[str | None, typer.Option("--group", help="id of the group it joins")] = None,
    is_group: Annotated[bool, typer.Option("--is-group", help="make a group")] = False,
    service_names: Annotated[
        list[str] | None, typer.Option("--service", help="warroom service it follows (repeat)")
    ] = None,
    only_if_degraded: Annotated[
        bool, typer.Option("--only-if-degraded", help="hide it while operational")
    ] = False,
    no_follow: Annotated[
        bool, typer.Option("--no-follow", help="do not move its status with incidents")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a component (or a group with --is-group)."""
    state = state_of(ctx)
    with state.session() as session:
        created = components.create_component(
            session,
            change=state.change(session),
            name=name,
            description=description,
            group=group,
            is_group=is_group,
            services=service_names or [],
            only_show_if_degraded=only_if_degraded,
            follow_incidents=not no_follow,
        )
        public_id = created.public_id
    if as_json:
        print_json({"id": public_id, "name": name})
        return
    console.print(
        escape(f"{'group' if is_group else 'component'} {name} added with id {public_id}")
    )


@component_app.command("list")
def component_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List components in page order with their status."""
    state = state_of(ctx)
    with state.session() as session:
        page = load_page(session, PageInfo.from_settings(state.settings), state.clock.now())
        shapes = [
            {**component_shape(page, c), "services": list(c.services or [])}
            for c in page.components
        ]
    if as_json:
        print_json({"items": shapes})
        return
    if not shapes:
        console.print("no components")
        return
    names = {s["id"]: s["name"] for s in shapes}
    table(
        None,
        ["id", "name", "status", "group", "services"],
        [
            [
                s["id"],
                s["name"] + (" (group)" if s["group"] else ""),
                s["status"],
                names.get(s["group_id"], "-") if s["group_id"] else "-",
                ", ".join(s["services"]) or "-",
            ]
            for s in shapes
        ],
    )


@component_app.command("set")
def component_set(
    ctx: typer.Context,
    component_id: Annotated[str, typer.Argument(help="component id")],
    status: Annotated[
        str,
        typer.Argument(
            help="operational, degraded_performance, partial_outage, major_outage or "
            "under_maintenance"
        ),
    ],
) -> None:
    """Set a component's status by hand (subscribers are told)."""
    state = state_of(ctx)
    with state.session() as session:
        found = components.get_component(session, component_id)
        components.set_status(session, change=state.change(session), component=found, status=status)
        name = found.name
    console.print(escape(f"{name} is now {status.strip().lower()}"))


@incident_app.command("publish")
def incident_publish(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="internal incident ref, e.g. incident-2025-11-01-001")],
    status: Annotated[str, typer.Option(help="investigating, identified, monitoring, resolved")],
    body: Annotated[str, typer.Option(help="the public text")],
) -> None:
    """Publish a public update for an internal incident."""
    state = state_of(ctx)
    with state.session() as session:
        update = service.publish_incident_update(
            session,
            change=state.change(session),
            incident=incidents.get(session, ref),
            status=status,
            body=body,
            scheme=state.settings.severity_scheme,
        )
        public_id = update.incident.public_id
    console.print(escape(f"published to the status page as {public_id}"))


@incident_app.command("create")
def incident_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the incident's public name")],
    body: Annotated[str, typer.Option(help="the first update's text")],
    status: Annotated[
        str, typer.Option(help="investigating (default) ... resolved")
    ] = "investigating",
    impact: Annotated[str, typer.Option(help="none, minor, major or critical")] = "minor",
    component: ComponentsOption = None,
) -> None:
    """Open a public incident that is not tied to an internal one."""
    state = state_of(ctx)
    with state.session() as session:
        created = service.create_incident(
            session,
            change=state.change(session),
            name=name,
            status=status,
            body=body,
            impact=impact,
            components=component or [],
        )
        public_id = created.public_id
    console.print(escape(f"public incident {public_id} opened"))


@incident_app.command("update")
def incident_update(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(help="public incident or maintenance id")],
    status: Annotated[str, typer.Option(help="the new status")],
    body: Annotated[str, typer.Option(help="the update's text")],
) -> None:
    """Post an update to a public incident or maintenance."""
    state = state_of(ctx)
    with state.session() as session:
        public = service.get_public_incident(session, incident_id)
        service.add_update(
            session, change=state.change(session), public=public, status=status, body=body
        )
    console.print(escape(f"{incident_id} is now {status.strip().lower()}"))


@incident_app.command("list")
def incident_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The most recent public incidents."""
    state = state_of(ctx)
    with state.session() as session:
        page = load_page(session, PageInfo.from_settings(state.settings), state.clock.now())
        shapes: list[dict[str, Any]] = [
            incident_shape(page, i) for i in service.list_public_incidents(session)
        ]
    if as_json:
        print_json({"items": shapes})
        return
    if not shapes:
        console.print("no public incidents")
        return
    table(
        None,
        ["id", "name", "status", "impact", "started"],
        [[s["id"], s["name"], s["status"], s["impact"], s["started_at"]] for s in shapes],
    )


@maintenance_app.command("schedule")
def maintenance_schedule(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the maintenance's public name")],
    start: Annotated[str, typer.Option("--from", help="start, ISO-8601 with offset")],
    end: Annotated[str, typer.Option("--until", help="end, ISO-8601 with offset")],
    body: Annotated[str, typer.Option(help="what will happen")],
    component: ComponentsOption = None,
) -> None:
    """Announce a maintenance window."""
    state = state_of(ctx)
    scheduled_for, scheduled_until = _time(start, "from"), _time(end, "until")
    with state.session() as session:
        created = service.schedule_maintenance(
            session,
            change=state.change(session),
            name=name,
            body=body,
            scheduled_for=scheduled_for,
            scheduled_until=scheduled_until,
            components=component or [],
        )
        public_id = created.public_id
    console.print(escape(f"maintenance {public_id} scheduled"))
