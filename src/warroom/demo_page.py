"""Demo status page and the demo stories' communication: components, updates, action items."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.comms import service as comms
from warroom.config import Settings
from warroom.incidents.models import Incident
from warroom.postmortems import actions
from warroom.statuspage.components import create_component

# (group, component, description, services whose incidents it follows)
COMPONENTS = (
    ("Shop", "Checkout", "Cart, payment page and order confirmation", ("checkout-api", "checkout")),
    ("Shop", "Orders", "Order history and order tracking", ("orders-db",)),
    ("Shop", "Search", "Product search and suggestions", ("search",)),
    ("Shop", "Website", "Pages, images and the help centre", ("web",)),
    ("Accounts and payments", "Sign-in", "Web and mobile sign-in", ("identity",)),
    ("Accounts and payments", "Payments", "Payment confirmations to merchants", ("payments",)),
)


def seed_status_page(session: Session, change: Change) -> None:
    """Groups and components linked to the demo services, so incidents move their status."""
    groups: dict[str, str] = {}
    for group, name, description, services in COMPONENTS:
        if group not in groups:
            created = create_component(session, change=change, name=group, is_group=True)
            session.flush()
            groups[group] = created.public_id
        create_component(
            session,
            change=change,
            name=name,
            description=description,
            group=groups[group],
            services=services,
        )
    session.flush()


def post_update(
    session: Session, change: Change, settings: Settings, incident: Incident, args: dict[str, str]
) -> None:
    """A story's status update: internal or public, with a body."""
    comms.post_update(
        session,
        change=change,
        settings=settings,
        incident=incident,
        audience=args["audience"],
        status=args.get("status"),
        body=args["body"],
    )


def add_action_item(
    session: Session, change: Change, settings: Settings, incident: Incident, args: dict[str, str]
) -> None:
    """A story's follow-up: an action item due some days after it was written."""
    actions.create(
        session,
        change=change,
        incident=incident,
        title=args["title"],
        owner=args["owner"],
        due=change.now() + timedelta(days=int(args["days"])),
        zone=ZoneInfo(settings.status_page_time_zone),
        priority=args.get("priority", "medium"),
    )
