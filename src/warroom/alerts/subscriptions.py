"""SNS subscription confirmations: recorded in the request, confirmed later by the engine."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from warroom.alerts.models import Integration
from warroom.db import transaction
from warroom.sources.sns import SnsMessage


def record_subscription(
    sessions: sessionmaker[Session], integration_id: int, message: SnsMessage
) -> None:
    """Queue the SubscribeURL for the engine to visit (fetching it here would block the sender)."""
    with transaction(sessions) as session:
        # Lock the integration row only: PostgreSQL refuses FOR UPDATE on its outer-joined service.
        integration = session.get(Integration, integration_id, with_for_update={"of": Integration})
        if integration is None:
            return
        state = dict(integration.poll_state or {})
        pending = [p for p in state.get("sns_pending", []) if p["topic_arn"] != message.topic_arn]
        pending.append(
            {
                "topic_arn": message.topic_arn,
                "subscribe_url": message.subscribe_url,
                "message_id": message.message_id,
            }
        )
        state["sns_pending"] = pending
        integration.poll_state = state
        integration.next_poll_at = message.sent_at
