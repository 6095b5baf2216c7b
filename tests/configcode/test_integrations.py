"""Integrations and service grouping as code: idempotent apply, masked keys, export round trip."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.configcode.conftest import ApplyText, snapshot
from warroom.alerts import integrations
from warroom.clock import FakeClock
from warroom.configcode.export import export
from warroom.configcode.yamlreader import DocumentInvalid
from warroom.services.service import get_service

DOCUMENT = """\
services:
  - name: checkout
    grouping: {mode: content, labels: [alertname, cluster], window_seconds: 600}
  - {name: search}
integrations:
  - {name: prom, source: alertmanager, service: checkout, options: {rate_limit_per_minute: 60}}
  - name: pd
    source: pagerduty
    service: search
    key: 0123456789abcdef0123456789abcdef
  - {name: graf, source: grafana, service: checkout, secret: grafana-hmac-secret}
  - name: vendor
    source: statuspage
    service: search
    enabled: false
    options: {url: "https://status.vendor.example"}
"""
PD_KEY = "0123456789abcdef0123456789abcdef"


def test_applying_twice_is_idempotent(
    apply_text: ApplyText, session: Session, engine: Engine, clock: FakeClock
):
    assert apply_text(DOCUMENT).lines()[:7] == [
        "+ create service checkout",
        "+ create service search",
        "+ create integration prom",
        "+ create integration pd",
        "+ create integration graf",
        "+ create integration vendor",
        "= 0 unchanged",
    ]
    assert get_service(session, "checkout").grouping == {
        "mode": "content",
        "labels": ["alertname", "cluster"],
        "window_seconds": 600,
    }
    assert get_service(session, "search").grouping is None
    pd = integrations.find_by_key(session, PD_KEY)
    assert pd is not None
    assert pd.name == "pd"
    assert integrations.get_integration(session, "graf").secret == "grafana-hmac-secret"
    assert integrations.get_integration(session, "vendor").enabled is False
    before = snapshot(engine)
    clock.advance(minutes=5)
    assert apply_text(DOCUMENT).lines() == ["= 6 unchanged"]
    assert snapshot(engine) == before


def test_keys_change_only_when_given_and_are_masked(apply_text: ApplyText, session: Session):
    apply_text(DOCUMENT)
    prom_hash = integrations.get_integration(session, "prom").key_hash
    new_key = "fedcba9876543210fedcba9876543210"
    changed = DOCUMENT.replace(PD_KEY, new_key).replace("grafana-hmac-secret", "another-secret")
    dry = apply_text(changed, dry_run=True)
    text = "\n".join(dry.lines())
    assert dry.lines() == [
        "~ update integration pd: key=***",
        "~ update integration graf: secret=***",
        "= 4 unchanged",
    ]
    assert new_key not in text
    assert "another-secret" not in text
    session.expire_all()
    assert integrations.find_by_key(session, PD_KEY) is not None
    apply_text(changed)
    session.expire_all()
    assert integrations.find_by_key(session, new_key) is not None
    assert integrations.find_by_key(session, PD_KEY) is None
    assert integrations.get_integration(session, "prom").key_hash == prom_hash


def test_export_round_trips_without_keys(apply_text: ApplyText, session: Session):
    apply_text(DOCUMENT)
    exported = export(session)
    assert PD_KEY not in exported
    assert "grafana-hmac-secret" not in exported
    assert "  key:" not in exported
    assert "  secret:" not in exported
    assert "# Keys and secrets are never exported" in exported
    assert "window_seconds: 600" in exported
    assert "enabled: false" in exported
    assert "signature_header: X-Grafana-Alerting-Signature" in exported
    plan = apply_text(exported, dry_run=True)
    assert plan.lines() == [f"= {len(plan.items)} unchanged"]
    assert integrations.get_integration(session, "graf").secret == "grafana-hmac-secret"


def test_source_cannot_change(apply_text: ApplyText):
    apply_text(DOCUMENT)
    changed = DOCUMENT.replace("source: alertmanager", "source: generic")
    with pytest.raises(DocumentInvalid) as raised:
        apply_text(changed)
    assert raised.value.placed[0].field == "integrations[0].source"
    assert "cannot change" in raised.value.placed[0].message


def test_service_grouping_through_the_api(client: TestClient, admin: dict[str, str]):
    services = "/api/v1/services"
    created = client.post(services, json={"name": "checkout"}, headers=admin)
    assert created.json()["grouping"] == {
        "mode": "content",
        "labels": ["alertname"],
        "window_seconds": 1800,
    }
    body = {"grouping": {"mode": "time", "window_seconds": 300}}
    replaced = client.put(f"{services}/checkout", json=body, headers=admin)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["grouping"] == {
        "mode": "time",
        "labels": ["alertname"],
        "window_seconds": 300,
    }
    bad = client.put(
        f"{services}/checkout", json={"grouping": {"window_seconds": 5}}, headers=admin
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "grouping.window_seconds"
    audit = client.get("/api/v1/audit", params={"action": "service.replace"}, headers=admin)
    assert audit.json()["items"][0]["data"]["grouping"]["mode"] == "time"


def test_keys_generated_by_apply_are_shown_once(apply_text: ApplyText, session: Session):
    dry = apply_text(DOCUMENT, dry_run=True)
    assert dry.generated_keys == {}
    plan = apply_text(DOCUMENT)
    assert sorted(plan.generated_keys) == ["graf", "prom", "vendor"]  # pd's key was given
    line = next(x for x in plan.lines() if x.startswith("key of integration prom"))
    key = line.rsplit(" ", 1)[1]
    session.expire_all()
    assert integrations.find_by_key(session, key).name == "prom"  # type: ignore[union-attr]
    assert apply_text(DOCUMENT).generated_keys == {}  # nothing new: nothing shown again
