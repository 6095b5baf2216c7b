"""The demo's on-call: a layered schedule, an escalation policy and the service it pages for."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.escalation import policies
from warroom.oncall import service as oncall
from warroom.oncall.layers import LayerSpec, RestrictionSpec
from warroom.services.service import create_service, list_services

SCHEDULE = "platform-primary"


def seed_schedule(session: Session, change: Change) -> None:
    """A weekly Paris rotation, a business-hours layer on top and an override tomorrow."""
    if any(s.name == SCHEDULE for s in oncall.list_schedules(session)):
        return
    now = change.now()
    today = now.astimezone(ZoneInfo("Europe/Paris")).date()
    monday = today - timedelta(days=today.weekday() + 21)
    schedule = oncall.create_schedule(
        session,
        change=change,
        name=SCHEDULE,
        time_zone="Europe/Paris",
        description="Platform team: primary on call.",
        layers=[
            LayerSpec(
                name="weekly",
                kind="weekly",
                handoff=f"{monday.isoformat()}T09:00",
                users=["alice", "bikram", "carmen"],
            ),
            LayerSpec(
                name="business-hours",
                kind="daily",
                handoff=f"{monday.isoformat()}T09:00",
                users=["dmitri", "carmen"],
                restrictions=[
                    RestrictionSpec(
                        days=["mon", "tue", "wed", "thu", "fri"], start="09:00", end="18:00"
                    )
                ],
            ),
        ],
    )
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    oncall.add_override(
        session,
        change=change,
        schedule=schedule,
        user_handle="bikram",
        start=start,
        end=start + timedelta(hours=4),
    )


def seed_escalation(session: Session, change: Change) -> None:
    """Policy ``platform`` (primary on call, then dmitri, then the commander) for ``checkout``."""
    if any(p.name == "platform" for p in policies.list_policies(session)) or any(
        s.name == "checkout" for s in list_services(session)
    ):
        return
    policies.create_policy(
        session,
        change=change,
        name="platform",
        description="Platform team: primary, then the platform lead, then the commander.",
        repeat=1,
        steps=[
            policies.StepSpec("0s", [{"schedule": SCHEDULE}]),
            policies.StepSpec("15m", [{"user": "dmitri"}]),
            policies.StepSpec("30m", [{"role": "incident_commander"}]),
        ],
    )
    create_service(
        session,
        change=change,
        name="checkout",
        description="The shop's checkout.",
        escalation_policy="platform",
    )
