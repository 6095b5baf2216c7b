"""Integrations through the API and the service: keys shown once, options, conflicts, roles."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alerts.conftest import INTEGRATIONS, add_alert, add_integration
from warroom.alerts import integrations
from warroom.alerts.models import Integration
from warroom.change import Change
from warroom.clock import FakeClock
from warroom.configcode.export import export
from warroom.users.models import AuditEntry

PD_KEY = "0123456789abcdef0123456789abcdef"


def base(client: TestClient) -> str:
    return str(client.app.state.settings.base_url)  # type: ignore[attr-defined]


def create(client: TestClient, admin: dict[str, str], **body: object):  # type: ignore[no-untyped-def]
    fields = {"name": "prom", "source": "alertmanager", "service": "checkout", **body}
    return client.post(INTEGRATIONS, json=fields, headers=admin)


def audit_text(session: Session) -> str:
    session.expire_all()
    return json.dumps([e.data for e in session.scalars(select(AuditEntry))])


def test_create_generates_a_key_shown_once(client, admin, checkout, session: Session):
    answer = create(client, admin)
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"{INTEGRATIONS}/prom"
    created = answer.json()
    key = created["key"]
    assert len(key) == 32
    assert int(key, 16) >= 0
    assert created["ingest_url"] == f"{base(client)}/ingest/alertmanager/{key}"
    assert created["key_hint"] == key[-4:]
    assert (created["enabled"], created["has_secret"], created["options"]) == (True, False, {})
    shown = client.get(f"{INTEGRATIONS}/prom", headers=admin).json()
    assert "key" not in shown
    assert shown["ingest_url"] == f"{base(client)}/ingest/alertmanager"
    listed = client.get(INTEGRATIONS, headers=admin)
    assert key not in listed.text
    assert key not in shown["ingest_url"]
    assert [i["name"] for i in listed.json()["items"]] == ["prom"]
    row = session.scalar(select(Integration))
    assert row is not None
    assert row.key_hash != key
    assert key not in row.key_hash
    assert key not in audit_text(session)
    assert "integration.create" in [e.action for e in session.scalars(select(AuditEntry))]
    assert key not in export(session)
    found = integrations.find_by_key(session, key)
    assert found is not None
    assert found.name == "prom"
    assert integrations.find_by_key(session, key + "x") is None


def test_a_supplied_key_is_kept(client, admin, checkout, session: Session):
    answer = create(client, admin, key="migrated-key-1234")
    assert answer.status_code == 201, answer.text
    assert answer.json()["key"] == "migrated-key-1234"
    assert answer.json()["key_hint"] == "1234"
    assert integrations.find_by_key(session, "migrated-key-1234") is not None


@pytest.mark.parametrize(
    ("source", "key", "message"),
    [
        ("pagerduty", PD_KEY[:-1], "exactly 32 characters"),
        ("alertmanager", "short", "8-256 printable"),
        ("alertmanager", "has a space", "8-256 printable"),
        ("alertmanager", "x" * 257, "256"),
    ],
)
def test_bad_supplied_keys_are_refused(client, admin, checkout, source, key, message):
    answer = create(client, admin, source=source, key=key)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"].endswith("key")
    assert message in answer.text


def test_each_source_gets_its_url(client, admin, checkout, clock: FakeClock, session: Session):
    pagerduty = create(client, admin, name="pd", source="pagerduty", key=PD_KEY).json()
    assert pagerduty["ingest_url"] == f"{base(client)}/v2/enqueue"
    opsgenie = create(client, admin, name="og", source="opsgenie").json()
    assert opsgenie["ingest_url"] == f"{base(client)}/v2/alerts"
    page = create(
        client,
        admin,
        name="vendor",
        source="statuspage",
        options={"url": "https://status.vendor.example"},
    ).json()
    assert page["ingest_url"] is None
    assert page["options"] == {"url": "https://status.vendor.example", "poll_interval_seconds": 60}
    row = integrations.get_integration(session, "vendor")
    assert row.next_poll_at == clock.now()


def test_options_are_validated_per_source(client, admin, checkout):
    grafana = create(client, admin, name="graf", source="grafana", secret="s3cret-value")
    assert grafana.status_code == 201, grafana.text
    assert grafana.json()["has_secret"] is True
    assert grafana.json()["options"] == {"signature_header": "X-Grafana-Alerting-Signature"}
    assert "s3cret-value" not in grafana.text
    arns = ["arn:aws:sns:eu-west-1:123456789012:alarms"]
    cloudwatch = create(client, admin, name="cw", source="cloudwatch", options={"topic_arns": arns})
    assert cloudwatch.json()["options"] == {"topic_arns": arns}
    limited = create(client, admin, name="lim", options={"rate_limit_per_minute": 0})
    assert limited.json()["options"] == {"rate_limit_per_minute": 0}


@pytest.mark.parametrize(
    ("source", "extra", "field", "words"),
    [
        ("alertmanager", {"options": {"url": "x"}}, "options.url", "unknown option"),
        ("alertmanager", {"options": {"rate_limit_per_minute": -1}}, "options.rate", ">= 0"),
        ("alertmanager", {"options": {"rate_limit_per_minute": "9"}}, "options.rate", "whole"),
        ("cloudwatch", {"options": {"topic_arns": ["arn:aws:sqs:x"]}}, "options.topic", "SNS"),
        ("statuspage", {}, "options.url", "needs a url"),
        ("statuspage", {"options": {"url": "ftp://x.example"}}, "options.url", "http(s)"),
        (
            "statuspage",
            {"options": {"url": "https://s.example", "poll_interval_seconds": 5}},
            "options.poll_interval_seconds",
            "30 to 86400",
        ),
        ("grafana", {"secret": "short"}, "secret", "8-256"),
        ("datadog", {"secret": "long-enough-secret"}, "secret", "only grafana"),
        ("nagios", {}, "source", "alertmanager, cloudwatch, datadog"),
        ("alertmanager", {"service": "nope"}, "service", "no service called 'nope'"),
        ("alertmanager", {"name": "Bad Name!"}, "name", "lowercase"),
    ],
)
def test_bad_integrations_name_the_field(client, admin, checkout, source, extra, field, words):
    answer = create(client, admin, source=source, **extra)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"].startswith(field)
    assert words in answer.json()["detail"]


def test_duplicate_name_and_key_conflict(client, admin, checkout):
    assert create(client, admin, key="shared-key-0001").status_code == 201
    again = create(client, admin, key="other-key-00001")
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]
    same_key = create(client, admin, name="prom2", key="shared-key-0001")
    assert same_key.status_code == 409
    assert "already uses this key" in same_key.json()["detail"]


def test_rotate_replaces_the_key(client, admin, checkout, session: Session):
    old = create(client, admin).json()["key"]
    rotated = client.post(f"{INTEGRATIONS}/prom/rotate-key", json={}, headers=admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["key"]
    assert new != old
    assert rotated.json()["ingest_url"].endswith(new)
    assert integrations.find_by_key(session, old) is None
    assert integrations.find_by_key(session, new) is not None
    chosen = client.post(
        f"{INTEGRATIONS}/prom/rotate-key", json={"key": "chosen-key-42"}, headers=admin
    )
    assert chosen.json()["key"] == "chosen-key-42"
    assert "chosen-key-42" not in audit_text(session)
    assert new not in audit_text(session)


def test_patch_disables_and_changes_the_secret(client, admin, checkout, session: Session):
    create(client, admin, name="graf", source="grafana", secret="first-secret")
    patched = client.patch(f"{INTEGRATIONS}/graf", json={"enabled": False}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["enabled"], patched.json()["has_secret"]) == (False, True)
    cleared = client.patch(f"{INTEGRATIONS}/graf", json={"clear_secret": True}, headers=admin)
    assert cleared.json()["has_secret"] is False
    client.patch(f"{INTEGRATIONS}/graf", json={"secret": "second-secret"}, headers=admin)
    assert "second-secret" not in audit_text(session)
    assert "first-secret" not in audit_text(session)
    bad = client.patch(f"{INTEGRATIONS}/graf", json={"options": {"x": 1}}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "options.x"
    missing = client.patch(f"{INTEGRATIONS}/nope", json={}, headers=admin)
    assert missing.status_code == 404


def test_delete_refuses_an_integration_with_alerts(
    client, admin, checkout, session: Session, change: Change
):
    create(client, admin, name="empty")
    assert client.delete(f"{INTEGRATIONS}/empty", headers=admin).status_code == 204
    assert client.get(f"{INTEGRATIONS}/empty", headers=admin).status_code == 404
    used = add_integration(session, change, name="used")
    add_alert(session, change, used)
    refused = client.delete(f"{INTEGRATIONS}/used", headers=admin)
    assert refused.status_code == 409
    assert "enabled: false" in refused.json()["detail"]


def test_roles_credentials_and_bad_json(client, admin, checkout, issue_token):
    viewer = issue_token("viewer")
    assert create(client, viewer).status_code == 403
    assert client.get(INTEGRATIONS, headers=viewer).status_code == 200
    assert client.post(INTEGRATIONS, json={}).status_code == 401
    bad = client.post(
        INTEGRATIONS,
        content=b'{"name": ',
        headers={**admin, "content-type": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
