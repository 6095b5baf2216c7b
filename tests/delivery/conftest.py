"""A full engine that really sends: loopback receivers, real SMTP, a policy paging alice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine as Database
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channels.conftest import Receiver, SmtpServer, receiver, smtp_server  # noqa: F401
from tests.escalation.conftest import INCIDENTS, declare, make_policy
from tests.oncall.conftest import people  # noqa: F401
from warroom.change import Change
from warroom.cli.engine import build_engine
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.engine.loop import Engine
from warroom.notifications.models import Notification
from warroom.users.contacts import add_contact_method
from warroom.users.service import get_user

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def delivery_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:  # noqa: F811
    """Loopback allowed, SMTP to the test server, short timeouts."""
    return settings.model_copy(
        update={
            "egress_allow": "127.0.0.1",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_security": "none",
            "delivery_timeout": 1.0,
            "public_url": "https://warroom.example.com",
        }
    )


@pytest.fixture
def sender(engine: Database, clock: FakeClock, delivery_settings: Settings) -> Engine:
    """The engine ``warroom engine`` runs, waiting for its sends so tests can look at once."""
    loop = build_engine(engine, clock, delivery_settings, wait_for_sends=True)
    yield loop  # type: ignore[misc]
    loop.close()


AddMethod = Callable[..., int]


@pytest.fixture
def add_method(session: Session, change: Change, people: None) -> AddMethod:  # noqa: F811
    """Give a user a contact method (webhook secrets set directly); returns its id."""

    def add(handle: str, kind: str, address: str, secret: str | None = None) -> int:
        user = get_user(session, handle)
        method = add_contact_method(session, change=change, user=user, type=kind, address=address)
        method.secret = secret
        session.commit()
        return method.id

    return add


@pytest.fixture
def paged(client: TestClient, admin: dict[str, str], people: None) -> Callable[[], str]:  # noqa: F811
    """Declare a P1 on a service whose policy pages alice at once; returns its ref."""
    make_policy(client, admin, "alice-first", ("0s", ["alice"]))
    client.post(
        "/api/v1/services", json={"name": "web", "escalation_policy": "alice-first"}, headers=admin
    )

    def page() -> str:
        return declare(client, admin, service="web")

    return page


def notifications(client: TestClient, admin: dict[str, str], ref: str) -> list[dict[str, Any]]:
    """The incident's delivery log."""
    answer = client.get(f"{INCIDENTS}/{ref}/notifications", headers=admin)
    assert answer.status_code == 200
    return answer.json()["items"]  # type: ignore[no-any-return]


def statuses(engine: Database) -> list[str]:
    """Every notification's status, oldest first."""
    with engine.connect() as connection:
        return list(connection.scalars(select(Notification.status).order_by(Notification.id)))
