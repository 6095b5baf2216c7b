"""``warroom incident``: declare and drive incidents from the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from warroom.cli.render import console, print_json, severity, table, when
from warroom.cli.state import state_of
from warroom.escalation import runner
from warroom.escalation.schemas import escalation_view
from warroom.incidents import service, timeline
from warroom.incidents.lifecycle import Status
from warroom.incidents.schemas import IncidentOut, incident_view, timeline_view
from warroom.pipeline import followups
from warroom.runbooks import suggest

app = typer.Typer(help="Declare, list, show and drive incidents.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
NoteOption = Annotated[str | None, typer.Option("--note", "-n", help="why, for the timeline")]


def _summary(view: IncidentOut) -> None:
    # Text, not markup: titles are user input and may contain [brackets].
    console.print(
        Text.assemble(
            (view.ref, "bold"),
            "  ",
            severity(view.severity),
            f" {view.severity_name}  ",
            (view.status, "bold"),
            f"  {view.title}",
        )
    )


@app.command("declare")
def declare(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", "-t", help="what is broken")],
    severity_label: Annotated[
        str, typer.Option("--severity", "-s", help="P1-P4, SEV-1..SEV-4, critical/high/medium/low")
    ],
    summary: Annotated[str, typer.Option(help="longer description")] = "",
    service_name: Annotated[str | None, typer.Option("--service", help="affected service")] = None,
    status: Annotated[str, typer.Option(help="an open status to start in")] = "triggered",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="repeatable")] = None,
    impact: Annotated[str, typer.Option(help="who is affected and how")] = "",
    customer_facing: Annotated[bool, typer.Option("--customer-facing")] = False,
    escalation_policy: Annotated[
        str | None,
        typer.Option("--escalation-policy", help="page by this policy instead of the service's"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Declare a new incident, start its escalation and print its ref."""
    state = state_of(ctx)
    with state.session() as session:
        change = state.change(session)
        incident = service.declare(
            session,
            change=change,
            scheme=state.settings.severity_scheme,
            title=title,
            severity=severity_label,
            summary=summary,
            service=service_name,
            status=status,
            tags=tag or [],
            impact=impact,
            customer_facing=customer_facing,
        )
        suggestions = suggest.prepare(
            session, change=change, scheme=state.settings.severity_scheme, incident=incident
        )
        escalation = runner.start(
            session, change=change, incident=incident, policy_name=escalation_policy
        )
        view = incident_view(incident, state.settings.severity_scheme)
    if as_json:
        print_json(view)
        return
    _summary(view)
    if escalation is not None:
        console.print(f"  escalating by policy {escalation.policy}", markup=False)
    for match in suggestions:
        console.print(
            f"  runbook: {match.heading} ({match.file}:{match.line}) {match.reason}", markup=False
        )


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option("--status", help="repeatable")] = None,
    severity_label: Annotated[
        list[str] | None, typer.Option("--severity", help="repeatable")
    ] = None,
    service_name: Annotated[str | None, typer.Option("--service")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only unresolved incidents")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List incidents, newest first."""
    state = state_of(ctx)
    scheme = state.settings.severity_scheme
    with state.session() as session:
        rows = service.list_incidents(
            session,
            statuses=[service.parse_status(s) for s in status or []],
            severities=[scheme.resolve(s).id for s in severity_label or []],
            service=service_name,
            open_only=open_only,
            limit=limit,
        )
        views = [incident_view(i, scheme) for i in rows]
    if as_json:
        print_json(views)
        return
    if not views:
        console.print("no incidents match")
        return
    table(
        None,
        ["ref", "sev", "status", "title", "service", "detected", "commander"],
        [
            [
                v.ref,
                severity(v.severity),
                v.status,
                v.title,
                v.service or "-",
                when(v.detected_at),
                v.roles.get("incident_commander", "-"),
            ]
            for v in views
        ],
    )


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="incident-YYYY-MM-DD-NNN")],
    as_json: JsonFlag = False,
) -> None:
    """Show an incident with its roles and timeline."""
    state = state_of(ctx)
    with state.session() as session:
        incident = service.get(session, ref)
        view = incident_view(incident, state.settings.severity_scheme)
        entries = [
            timeline_view(e) for e in timeline.entries(session, incident=incident, limit=10000)
        ]
    if as_json:
        print_json(
            {
                **view.model_dump(mode="json"),
                "timeline": [e.model_dump(mode="json") for e in entries],
            }
        )
        return
    _summary(view)
    facts = [
        ("service", view.service or "-"),
        ("detected", when(view.detected_at)),
        ("acknowledged", when(view.acknowledged_at)),
        ("resolved", when(view.resolved_at)),
        ("ack due", when(view.ack_due_at)),
        ("resolve due", when(view.resolve_due_at)),
        ("roles", ", ".join(f"{r}: {u}" for r, u in view.roles.items()) or "-"),
        ("missing roles", ", ".join(view.missing_roles) or "-"),
        ("next moves", ", ".join(view.allowed_transitions) or "-"),
        ("tags", ", ".join(view.tags) or "-"),
    ]
    for label, value in facts:
        console.print(f"  [dim]{label:>13}[/]  {escape(value)}")
    if view.summary:
        console.print(f"\n{escape(view.summary)}")
    table(
        "timeline",
        ["time", "actor", "event", "details"],
        [[when(e.at), e.actor, e.kind, _describe(e.data)] for e in entries],
    )


def _describe(data: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in data.items() if v not in (None, ""))


def _move(ctx: typer.Context, ref: str, status: str, note: str | None, as_json: bool) -> None:
    state = state_of(ctx)
    with state.session() as session:
        change = state.change(session)
        incident = service.change_status(
            session,
            change=change,
            scheme=state.settings.severity_scheme,
            incident=service.get(session, ref),
            status=status,
            note=note,
        )
        followups.resolve_with_incident(session, change=change, incident=incident)
        view = incident_view(incident, state.settings.severity_scheme)
    if as_json:
        print_json(view)
    else:
        _summary(view)


@app.command("ack")
def ack(ctx: typer.Context, ref: str, note: NoteOption = None, as_json: JsonFlag = False) -> None:
    """Acknowledge an incident."""
    _move(ctx, ref, Status.acknowledged, note, as_json)


@app.command("status")
def status_command(
    ctx: typer.Context,
    ref: str,
    status: Annotated[str, typer.Argument(help=", ".join(Status))],
    note: NoteOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Move an incident to a status (resolved → investigating reopens it)."""
    _move(ctx, ref, status, note, as_json)


@app.command("resolve")
def resolve(
    ctx: typer.Context, ref: str, note: NoteOption = None, as_json: JsonFlag = False
) -> None:
    """Resolve an incident."""
    _move(ctx, ref, Status.resolved, note, as_json)


@app.command("note")
def note(ctx: typer.Context, ref: str, text: str) -> None:
    """Add a note to an incident's timeline."""
    state = state_of(ctx)
    with state.session() as session:
        incident = service.get(session, ref)
        service.add_note(session, change=state.change(session), incident=incident, text=text)
    console.print(f"note added to {incident.ref}")


@app.command("assign")
def assign(
    ctx: typer.Context,
    ref: str,
    role: Annotated[str, typer.Argument(help="incident_commander (ic), communications_lead, ...")],
    user: Annotated[str, typer.Argument(help="the user's handle")],
) -> None:
    """Give a role on an incident to a user."""
    state = state_of(ctx)
    with state.session() as session:
        incident = service.get(session, ref)
        holder = service.assign_role(
            session, change=state.change(session), incident=incident, role=role, user_handle=user
        )
        console.print(f"{holder.user.handle} is {holder.role} of {incident.ref}")


@app.command("reassign")
def reassign(
    ctx: typer.Context,
    ref: str,
    user: Annotated[str | None, typer.Option(help="handle of the user to page now")] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="escalation policy to page by from now")
    ] = None,
) -> None:
    """Hand an incident to a user or an escalation policy; it is triggered again and pages now."""
    state = state_of(ctx)
    with state.session() as session:
        escalation = runner.reassign(
            session,
            change=state.change(session),
            incident=service.get(session, ref),
            user_handle=user,
            policy_name=policy,
        )
        target = escalation.policy
    console.print(f"{ref} re-assigned to {target}; the engine pages it now", markup=False)


@app.command("escalate")
def escalate(ctx: typer.Context, ref: str, as_json: JsonFlag = False) -> None:
    """Page the incident's next escalation step now."""
    state = state_of(ctx)
    with state.session() as session:
        incident = service.get(session, ref)
        escalation, paged = runner.escalate_now(
            session, change=state.change(session), incident=incident
        )
        view = escalation_view(escalation)
    if as_json:
        print_json({"paged": [u.handle for u in paged], "escalation": view.model_dump(mode="json")})
        return
    console.print(
        f"{incident.ref}: paged {', '.join(u.handle for u in paged) or 'nobody'}", markup=False
    )
    if view.next_at is not None:
        console.print(f"  next: step {view.next_step} at {when(view.next_at)}", markup=False)
    else:
        console.print(f"  escalation {view.state}", markup=False)
