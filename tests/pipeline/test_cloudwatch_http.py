"""CloudWatch over HTTP: SNS signatures checked, confirmations queued for the engine, alarms in."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.sources.test_sns import CERT_URL, TOPIC, cert_dir, confirmation, envelope, key  # noqa: F401
from warroom.alerts.models import Alert, Integration
from warroom.clock import FakeClock
from warroom.config import Settings
from warroom.sources.sns import parse_envelope, string_to_sign
from warroom.web.app import create_app

from .conftest import add_route

ALARM = {
    "AlarmName": "orders-db-cpu",
    "AlarmDescription": None,
    "AWSAccountId": "123456789012",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 1 datapoint [97.0] was greater than 90.0",
    "StateChangeTime": "2025-11-01T08:59:30.000+0000",
    "Region": "EU (Ireland)",
    "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-db-cpu",
    "OldStateValue": "OK",
    "Trigger": {
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/RDS",
        "Dimensions": [{"value": "orders-db", "name": "DBInstanceIdentifier"}],
    },
}


@pytest.fixture
def sns_client(
    settings: Settings,
    clock: FakeClock,
    engine: Engine,
    cert_dir: Path,  # noqa: F811
) -> Iterator[TestClient]:
    """The app reading SNS certificates from a local directory (WARROOM_SNS_CERT_DIR)."""
    configured = settings.model_copy(update={"sns_cert_dir": str(cert_dir)})
    with TestClient(create_app(configured, clock=clock, engine=engine)) as client:
        yield client


def _signed(key: rsa.RSAPrivateKey, document: dict[str, Any]) -> bytes:  # noqa: F811
    message = parse_envelope({}, json.dumps(document).encode())
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), hashes.SHA1())
    signed = replace(message, signature=base64.b64encode(signature).decode())
    return json.dumps({**document, "Signature": signed.signature}).encode()


def _headers(kind: str) -> dict[str, str]:
    return {"content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": kind}


def test_a_signed_alarm_becomes_an_alert_and_a_forged_one_is_refused(
    sns_client: TestClient,
    session: Session,
    clock: FakeClock,
    key: rsa.RSAPrivateKey,  # noqa: F811
) -> None:
    add_route(session, clock, name="cw-key", source="cloudwatch")
    document = envelope(Message=json.dumps(ALARM), Timestamp="2025-11-01T08:59:31.000Z")
    body = _signed(key, document)
    answer = sns_client.post(
        "/ingest/cloudwatch/cw-key", content=body, headers=_headers("Notification")
    )
    assert answer.status_code == 200, answer.text
    alert = session.scalars(select(Alert)).one()
    assert (alert.title, alert.severity, alert.resource) == ("orders-db-cpu", "P2", "orders-db")
    retry = sns_client.post(
        "/ingest/cloudwatch/cw-key", content=body, headers=_headers("Notification")
    )
    assert retry.json()["ignored"] == 1  # the same MessageId again: applied once
    forged = body.replace(b"97.0", b"12.0")
    refused = sns_client.post(
        "/ingest/cloudwatch/cw-key", content=forged, headers=_headers("Notification")
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


def test_a_subscription_confirmation_is_queued_for_the_engine(
    sns_client: TestClient,
    session: Session,
    clock: FakeClock,
    key: rsa.RSAPrivateKey,  # noqa: F811
) -> None:
    add_route(session, clock, name="cw-key", source="cloudwatch")
    document = confirmation(Timestamp="2025-11-01T08:59:31.000Z")
    answer = sns_client.post(
        "/ingest/cloudwatch/cw-key",
        content=_signed(key, document),
        headers=_headers("SubscriptionConfirmation"),
    )
    assert answer.status_code == 200, answer.text
    integration = session.scalars(select(Integration)).one()
    session.refresh(integration)
    (pending,) = integration.poll_state["sns_pending"]
    assert pending["topic_arn"] == TOPIC
    assert pending["subscribe_url"].startswith("https://sns.eu-west-1.amazonaws.com/")
    assert integration.next_poll_at is not None
    assert session.scalars(select(Alert)).all() == []


def test_a_topic_outside_the_allow_list_is_refused(
    sns_client: TestClient,
    session: Session,
    clock: FakeClock,
    key: rsa.RSAPrivateKey,  # noqa: F811
) -> None:
    add_route(session, clock, name="cw-key", source="cloudwatch")
    session.execute(
        Integration.__table__.update().values(options={"topic_arns": ["arn:aws:sns:x:1:other"]})
    )
    session.commit()
    document = envelope(Message=json.dumps(ALARM), Timestamp="2025-11-01T08:59:31.000Z")
    answer = sns_client.post(
        "/ingest/cloudwatch/cw-key",
        content=_signed(key, document),
        headers=_headers("Notification"),
    )
    assert answer.status_code == 403
    assert "not allowed" in answer.json()["detail"]
