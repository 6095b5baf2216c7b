"""Demo data: a few users, an on-call schedule and realistic incidents across severities."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.resources import files

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.actor import SYSTEM, Actor, Role
from warroom.alerts import integrations
from warroom.alerts.models import Integration
from warroom.change import Change
from warroom.clock import Clock, FakeClock
from warroom.config import Settings
from warroom.demo_oncall import seed_escalation, seed_schedule
from warroom.demo_page import add_action_item, post_update, seed_status_page
from warroom.incidents import service
from warroom.incidents.models import Incident
from warroom.pipeline.apply import PipelineSettings, Submission, apply
from warroom.pipeline.route import known
from warroom.runbooks import suggest
from warroom.runbooks.library import import_runbook
from warroom.severity import SeverityScheme
from warroom.sources import alertmanager
from warroom.users import sign_in
from warroom.users.models import User
from warroom.users.service import create_token, create_user

USERS = (
    ("alice", "Alice Moreau", "alice@example.com", "Europe/Paris"),
    ("bikram", "Bikram Singh", "bikram@example.com", "Asia/Kolkata"),
    ("carmen", "Carmen Ortiz", "carmen@example.com", "America/New_York"),
    ("dmitri", "Dmitri Volkov", "dmitri@example.com", "UTC"),
)

DEMO_ADMIN = "alice"


@dataclass
class Step:
    """One thing that happens to a demo incident, ``after`` the previous step."""

    after: timedelta
    who: str
    action: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass
class Story:
    """A demo incident: how long ago it began and what happened since."""

    ago: timedelta
    title: str
    severity: str
    service: str
    summary: str
    impact: str
    tags: list[str]
    steps: list[Step]


def _m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


STORIES = (
    Story(
        _m(3 * 24 * 60),
        "Sign-in failing after TLS certificate rotation",
        "P1",
        "identity",
        "The new certificate chain was missing an intermediate; mobile clients rejected it.",
        "All mobile users could not sign in.",
        ["tls", "mobile"],
        [
            Step(_m(4), "bikram", "status", {"status": "acknowledged"}),
            Step(_m(1), "bikram", "role", {"role": "incident_commander", "user": "bikram"}),
            Step(_m(2), "bikram", "role", {"role": "communications_lead", "user": "carmen"}),
            Step(_m(1), "bikram", "role", {"role": "engineering_lead", "user": "dmitri"}),
            Step(
                _m(2),
                "carmen",
                "update",
                {
                    "audience": "public",
                    "status": "investigating",
                    "body": "Customers cannot sign in to the mobile app. We are investigating.",
                },
            ),
            Step(
                _m(9),
                "dmitri",
                "note",
                {"text": "Chain served by the load balancer lacks the intermediate."},
            ),
            Step(_m(3), "dmitri", "status", {"status": "identified"}),
            Step(
                _m(2),
                "carmen",
                "update",
                {
                    "audience": "public",
                    "status": "identified",
                    "body": "We found the cause, a certificate change, and are rolling out a fix.",
                },
            ),
            Step(
                _m(12),
                "dmitri",
                "status",
                {"status": "monitoring", "note": "Full chain redeployed."},
            ),
            Step(
                _m(1),
                "carmen",
                "update",
                {"audience": "internal", "body": "Fix deployed; watching sign-in success rate."},
            ),
            Step(
                _m(29),
                "bikram",
                "status",
                {"status": "resolved", "note": "Sign-in success rate back to baseline."},
            ),
            Step(
                _m(2),
                "carmen",
                "update",
                {
                    "audience": "public",
                    "status": "resolved",
                    "body": "Sign-in works again for everyone. We are sorry for the trouble.",
                },
            ),
            Step(
                _m(20),
                "bikram",
                "action",
                {
                    "title": "Check the whole certificate chain before a rotation ships",
                    "owner": "dmitri",
                    "days": "7",
                    "priority": "high",
                },
            ),
        ],
    ),
    Story(
        _m(26 * 60),
        "Payment webhooks delayed: queue backlog above 10k",
        "P2",
        "payments",
        "Webhook workers fell behind after a partner retried a day of events at once.",
        "Merchants saw payment confirmations up to 25 minutes late.",
        ["queue", "webhooks"],
        [
            Step(_m(6), "carmen", "status", {"status": "acknowledged"}),
            Step(_m(1), "carmen", "role", {"role": "incident_commander", "user": "carmen"}),
            Step(_m(2), "carmen", "role", {"role": "engineering_lead", "user": "alice"}),
            Step(
                _m(12),
                "alice",
                "note",
                {"text": "Scaled workers from 4 to 12; backlog draining at ~900/min."},
            ),
            Step(_m(20), "alice", "status", {"status": "monitoring"}),
            Step(_m(25), "carmen", "status", {"status": "resolved"}),
        ],
    ),
    Story(
        _m(3 * 60),
        "Orders database connection pool exhausted",
        "P2",
        "orders-db",
        "Order creation times out intermittently; the pool sits at its maximum.",
        "About 60 % of order attempts fail or time out.",
        ["database", "postgres"],
        [
            Step(_m(8), "dmitri", "status", {"status": "acknowledged"}),
            Step(_m(2), "dmitri", "role", {"role": "incident_commander", "user": "dmitri"}),
            Step(_m(5), "dmitri", "status", {"status": "investigating"}),
            Step(_m(1), "dmitri", "runbook"),
            Step(_m(6), "dmitri", "tick", {"item": "1"}),
            Step(_m(3), "dmitri", "tick", {"item": "2"}),
            Step(
                _m(15),
                "dmitri",
                "note",
                {"text": "A report query holds 40 connections for minutes at a time."},
            ),
            Step(_m(4), "dmitri", "status", {"status": "identified"}),
        ],
    ),
    Story(
        _m(40),
        "Checkout API returning 502 for every request",
        "P1",
        "checkout-api",
        "Health checks fail on all checkout tasks since the 14:05 deploy.",
        "No customer can complete a purchase.",
        ["deploy", "5xx"],
        [
            Step(_m(3), "alice", "status", {"status": "acknowledged"}),
            Step(_m(1), "alice", "role", {"role": "incident_commander", "user": "alice"}),
            Step(_m(2), "alice", "status", {"status": "investigating"}),
            Step(
                _m(1),
                "alice",
                "update",
                {
                    "audience": "public",
                    "status": "investigating",
                    "body": "Checkout is failing for all customers. Next update within 30 minutes.",
                },
            ),
            Step(_m(1), "alice", "runbook"),
            Step(_m(2), "alice", "tick", {"item": "1"}),
            Step(
                _m(6),
                "alice",
                "note",
                {"text": "Deploy 4812 shipped 2 min before the first alert; preparing rollback."},
            ),
        ],
    ),
    Story(
        _m(12),
        "Search latency p99 above 2 s in eu-west",
        "P3",
        "search",
        "p99 latency rose from 300 ms to 2.4 s; p50 unchanged.",
        "Some European users see slow search results.",
        ["latency"],
        [],
    ),
    Story(
        _m(5 * 24 * 60),
        "Footer link to the privacy policy is broken",
        "P4",
        "web",
        "The footer points to an old URL.",
        "",
        ["cosmetic"],
        [
            Step(_m(90), "carmen", "status", {"status": "acknowledged"}),
            Step(_m(30), "carmen", "status", {"status": "resolved"}),
            Step(_m(10), "carmen", "status", {"status": "closed"}),
        ],
    ),
)


INTEGRATION = "demo-alertmanager"


def demo_alert_body(status: str, *instances: str, ago: timedelta = _m(0)) -> dict[str, object]:
    """An Alertmanager webhook body for checkout's latency alert on ``instances``."""
    alerts = [
        {
            "status": status,
            "labels": {
                "alertname": "CheckoutLatencyHigh",
                "service": "checkout",
                "instance": instance,
                "severity": "critical",
            },
            "annotations": {
                "summary": "Checkout p99 latency above 2s",
                "description": f"p99 latency on {instance} has been above 2s for 5 minutes.",
                "runbook_url": "https://runbooks.example.com/checkout#latency",
            },
            "generatorURL": "http://prometheus.example.com/graph?g0.expr=checkout_p99",
        }
        for instance in instances
    ]
    return {
        "version": "4",
        "receiver": "warroom",
        "status": status,
        "groupLabels": {"alertname": "CheckoutLatencyHigh"},
        "externalURL": "http://alertmanager.example.com",
        "alerts": alerts,
    }


def _seed_alerts(session: Session, change: Change, scheme: SeverityScheme) -> None:
    """An Alertmanager integration for checkout, and a latency alert firing on two hosts."""
    integration, _ = integrations.create_integration(
        session, change=change, name=INTEGRATION, source="alertmanager", service="checkout"
    )
    session.flush()
    body = json.dumps(demo_alert_body("firing", "checkout-1:9100", "checkout-2:9100")).encode()
    events = alertmanager.parse({}, body)
    submission = Submission(route=known(integration).route, events=events)
    apply(session, submissions=[submission], now=change.now(), settings=PipelineSettings(scheme))


@dataclass(frozen=True)
class DemoResult:
    """What the demo seeding did, the admin token and the demo integration key it issued."""

    summary: str
    admin_token: str
    integration_key: str | None = None
    # The demo admin's web sign-in (fresh on every run, like the token).
    web_login: str = ""
    web_password: str = ""


def _play(session: Session, story: Story, clock: FakeClock, settings: Settings) -> None:
    users = {u.handle: u for u in session.scalars(select(User))}

    def change_by(handle: str) -> Change:
        user = users[handle]
        return Change(actor=Actor("user", handle, Role.responder, user.id), clock=clock)

    scheme = settings.severity_scheme
    system = Change(actor=SYSTEM, clock=clock)
    incident = service.declare(
        session,
        change=system,
        scheme=scheme,
        title=story.title,
        severity=story.severity,
        service=story.service,
        summary=story.summary,
        impact=story.impact,
        tags=story.tags,
        customer_facing=story.severity in ("P1", "P2"),
    )
    suggestions = suggest.prepare(session, change=system, scheme=scheme, incident=incident)
    for step in story.steps:
        clock.advance(step.after)
        change = change_by(step.who)
        if step.action == "status":
            service.change_status(
                session, change=change, scheme=scheme, incident=incident, **step.args
            )
        elif step.action == "role":
            service.assign_role(
                session,
                change=change,
                incident=incident,
                role=step.args["role"],
                user_handle=step.args["user"],
            )
        elif step.action == "runbook" and suggestions:
            suggest.accept(
                session, change=change, incident=incident, section_id=suggestions[0].section_id
            )
        elif step.action == "update":
            post_update(session, change, settings, incident, step.args)
        elif step.action == "action":
            add_action_item(session, change, settings, incident, step.args)
        elif step.action == "tick":
            suggest.mark(
                session,
                change=change,
                incident=incident,
                position=int(step.args["item"]),
                done=True,
            )
        else:
            service.add_note(session, change=change, incident=incident, text=step.args["text"])


def seed_demo(session: Session, *, clock: Clock, settings: Settings) -> DemoResult:
    """Add demo users and incidents to an empty database; always issue a fresh admin token."""
    now = clock.now()
    setup = Change(actor=SYSTEM, clock=clock)
    seeded = "existing data kept"
    if session.scalar(select(func.count()).select_from(Incident)) == 0:
        existing = set(session.scalars(select(User.handle)))
        for handle, name, email, time_zone in USERS:
            if handle not in existing:
                create_user(
                    session,
                    change=setup,
                    handle=handle,
                    name=name,
                    email=email,
                    time_zone=time_zone,
                    role="admin" if handle == DEMO_ADMIN else "responder",
                )
        seed_schedule(session, setup)
        seed_escalation(session, setup)
        runbook = files("warroom").joinpath("demo_runbook.md").read_bytes()
        import_runbook(session, change=setup, source="demo/shop-runbook.md", raw=runbook)
        seed_status_page(session, Change(actor=SYSTEM, clock=FakeClock(now - timedelta(days=30))))
        for story in sorted(STORIES, key=lambda s: s.ago, reverse=True):
            _play(session, story, FakeClock(now - story.ago), settings)
        alerts_clock = FakeClock(now - _m(12))
        _seed_alerts(session, Change(actor=SYSTEM, clock=alerts_clock), settings.severity_scheme)
        seeded = (
            f"{len(USERS)} users, a runbook, an on-call schedule, an escalation policy and an "
            f"Alertmanager integration for the service checkout, a status page, and "
            f"{len(STORIES) + 1} incidents added"
        )
    issued = create_token(
        session,
        change=setup,
        name="demo-admin",
        role="admin",
        expires_at=now + timedelta(days=30),
    )
    key = None
    demo_integration = session.scalar(select(Integration).where(Integration.name == INTEGRATION))
    if demo_integration is not None:
        key = integrations.rotate_key(session, change=setup, integration=demo_integration)
    password = ""
    web_admin = session.scalar(select(User).where(User.handle == DEMO_ADMIN))
    if web_admin is not None:
        password = secrets.token_urlsafe(12)
        sign_in.set_password(session, change=setup, user=web_admin, password=password)
    return DemoResult(
        summary=seeded,
        admin_token=issued.secret,
        integration_key=key,
        web_login=DEMO_ADMIN if password else "",
        web_password=password,
    )
