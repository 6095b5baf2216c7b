"""Nothing internal (notes, internal updates, people, alert payloads) reaches a public endpoint."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.statuspage.conftest import DeclareIncident
from warroom.alerts.integrations import create_integration
from warroom.alerts.models import Alert
from warroom.change import Change
from warroom.config import Settings
from warroom.incidents import service as incidents
from warroom.incidents import timeline
from warroom.notifications.models import Broadcast
from warroom.services.service import create_service
from warroom.severity import DEFAULT_SCHEME
from warroom.statuspage import service, subscribers
from warroom.statuspage.models import StatusComponent, StatusSubscriber
from warroom.statuspage.page import PageInfo, load_page
from warroom.statuspage.subscribers import notify_update
from warroom.users.service import create_user

SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
PUBLIC_BODY = "We are investigating errors at checkout."
SECRETS = [
    SECRET,
    "Carol Oncall",
    "carol.oncall",
    "carol@corp.example",
    "db-primary-7 ran out of connections",
    "internal-only summary",
    "revenue impact 40k",
    "incident-2025-11-01-001",
    "HighErrorRate",
    "shhh-internal-status-note",
]
PUBLIC_PATHS = [
    "/status",
    "/status/history",
    "/status/history.atom",
    "/status/history.rss",
    "/status/subscribe",
    "/status/api/v2/summary.json",
    "/status/api/v2/status.json",
    "/status/api/v2/components.json",
    "/status/api/v2/incidents.json",
    "/status/api/v2/incidents/unresolved.json",
    "/status/api/v2/scheduled-maintenances.json",
    "/status/api/v2/scheduled-maintenances/upcoming.json",
    "/status/api/v2/scheduled-maintenances/active.json",
]


def test_no_internal_detail_appears_on_any_public_endpoint_or_message(
    client: TestClient,
    settings: Settings,
    session: Session,
    change: Change,
    checkout: StatusComponent,
    declare_incident: DeclareIncident,
):
    incident = declare_incident(
        title="Checkout errors",
        severity="P1",
        summary=f"internal-only summary; token {SECRET}",
        impact="revenue impact 40k",
        tags=["HighErrorRate"],
    )
    carol = create_user(
        session,
        change=change,
        handle="carol.oncall",
        name="Carol Oncall",
        email="carol@corp.example",
    )
    incidents.assign_role(
        session,
        change=change,
        incident=incident,
        role="incident_commander",
        user_handle=carol.handle,
    )
    incidents.add_note(
        session, change=change, incident=incident, text="db-primary-7 ran out of connections"
    )
    timeline.append(
        session,
        change=change,
        incident=incident,
        kind="status_update",
        data={"text": "shhh-internal-status-note", "audience": "internal"},
    )
    create_service(session, change=change, name="checkout")
    integration, _ = create_integration(
        session, change=change, name="prom", source="alertmanager", service="checkout"
    )
    now = change.now()
    session.add(
        Alert(
            integration_id=integration.id,
            incident_id=incident.id,
            source_format="alertmanager",
            dedup_key="k1",
            status="firing",
            severity="P1",
            title="HighErrorRate",
            description=f"password={SECRET}",
            labels={"alertname": "HighErrorRate", "token": SECRET},
            links=[],
            started_at=now,
            last_event_at=now,
            event_count=1,
            raw={"secret": SECRET},
            created_at=now,
            updated_at=now,
        )
    )
    session.commit()
    update = service.publish_incident_update(
        session,
        change=change,
        incident=incident,
        status="investigating",
        body=PUBLIC_BODY,
        scheme=DEFAULT_SCHEME,
    )
    session.commit()
    public_id = update.incident.public_id

    pages = {path: client.get(path) for path in [*PUBLIC_PATHS, f"/status/incidents/{public_id}"]}
    info = PageInfo.from_settings(settings)
    subscribers.subscribe(session, info=info, now=now, endpoint="https://hooks.example.com/x")
    subscribers.subscribe(session, info=info, now=now, email="reader@example.com")
    hooks = list(session.scalars(select(StatusSubscriber)))
    for hook in hooks:
        hook.confirmed_at = now
    notify_update(session, state=load_page(session, info, now), update=update, subscribers=hooks)
    session.commit()
    messages = [json.dumps(b.message) for b in session.scalars(select(Broadcast))]

    assert all(answer.status_code == 200 for answer in pages.values())
    assert PUBLIC_BODY in pages["/status"].text
    assert len(messages) == 3  # a confirmation, then the update to both subscribers
    texts = [*((path, a.text) for path, a in pages.items()), *(("message", m) for m in messages)]
    for where, text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked on {where}"
