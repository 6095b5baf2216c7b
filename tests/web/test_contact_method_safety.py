"""Contact-method secrets, masking and save-time egress refusals through the API."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.config import Settings
from warroom.users.models import AuditEntry, ContactMethod

USERS = "/api/v1/users"
URL = f"{USERS}/alice/contact-methods"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"


@pytest.fixture
def people(client, admin, fake_dns) -> None:
    """Alice and Bob."""
    for handle in ("alice", "bob"):
        body = {"handle": handle, "name": handle.title(), "email": f"{handle}@example.com"}
        assert client.post(USERS, json=body, headers=admin).status_code == 201


def audit_text(session: Session) -> str:
    return json.dumps([e.data for e in session.scalars(select(AuditEntry))])


def test_a_webhook_secret_is_stored_never_shown_and_rotated(client, admin, people, session):
    hook = {"type": "webhook", "address": "https://hooks.example.com/page", "secret": SECRET}
    created = client.post(URL, json=hook, headers=admin)
    assert created.status_code == 201, created.json()
    assert created.json()["has_secret"] is True
    assert "secret" not in created.json()
    method_id = created.json()["id"]
    rotate = client.patch(
        f"{URL}/{method_id}", json={"secret": f"{SECRET} {NEW_SECRET}"}, headers=admin
    )
    assert rotate.status_code == 200
    assert rotate.json()["has_secret"] is True
    assert session.get(ContactMethod, method_id).secret == f"{SECRET} {NEW_SECRET}"
    finish = client.patch(f"{URL}/{method_id}", json={"secret": NEW_SECRET}, headers=admin)
    assert finish.status_code == 200
    relabel = client.patch(f"{URL}/{method_id}", json={"label": "pager"}, headers=admin)
    assert relabel.json()["label"] == "pager"
    session.expire_all()
    assert session.get(ContactMethod, method_id).secret == NEW_SECRET
    cleared = client.patch(f"{URL}/{method_id}", json={"secret": None}, headers=admin)
    assert cleared.json()["has_secret"] is False
    listed = client.get(URL, headers=admin).text + client.get(f"{USERS}/alice", headers=admin).text
    audit = client.get("/api/v1/audit", headers=admin).text
    for text in (listed, audit, audit_text(session)):
        assert "whsec_" not in text
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target == "user:alice"))
    assert list(actions).count("user.contact_method.update") == 4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "webhook", "secret": "plain"}, "whsec_"),
        ({"type": "webhook", "secret": "whsec_!!!"}, "whsec_"),
        ({"type": "webhook", "secret": f"{SECRET} {SECRET} {SECRET}"}, "two"),
        ({"type": "email", "address": "a@example.com", "secret": SECRET}, "only webhook"),
        ({"type": "webhook", "delay_minutes": 1441}, "1440"),
        ({"type": "webhook", "delay_minutes": -1}, "1440"),
    ],
)
def test_bad_secrets_and_delays_are_refused(client, admin, people, body, message):
    body = {"address": "https://hooks.example.com/page", **body}
    refused = client.post(URL, json=body, headers=admin)
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == ("delay_minutes" if "delay_minutes" in body else "secret")
    assert message in error["message"]
    assert client.get(URL, headers=admin).json()["items"] == []


def test_a_secret_cannot_be_patched_onto_other_types(client, admin, people):
    created = client.post(URL, json={"type": "email", "address": "a@example.com"}, headers=admin)
    patched = client.patch(f"{URL}/{created.json()['id']}", json={"secret": SECRET}, headers=admin)
    assert patched.status_code == 422
    assert patched.json()["detail"] == "secret: only webhook contact methods take a secret"
    assert client.patch(f"{URL}/99", json={"label": "x"}, headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("kind", "address", "shown"),
    [
        (
            "slack",
            "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
            "https://hooks.slack.com/services/T000/B000/****",
        ),
        ("webhook", "https://bob:hunter2@hooks.example.com/x", "https://****@hooks.example.com/x"),
        (
            "webhook",
            "https://hooks.example.com/x?token=abc&team=ops",
            "https://hooks.example.com/x?token=****&team=****",
        ),
        ("apprise", "tgram://123456789:AAHdqTcvABCdef/98765", "tgram://****"),
    ],
)
def test_credentials_in_addresses_are_masked_everywhere(
    client, admin, people, session, kind, address, shown
):
    created = client.post(URL, json={"type": kind, "address": address}, headers=admin)
    assert created.status_code == 201, created.json()
    assert created.json()["address"] == shown
    assert client.get(URL, headers=admin).json()["items"][0]["address"] == shown
    secret_part = {"slack": "XXXXSECRET", "webhook": "abc" if "?" in address else "hunter2"}
    hidden = secret_part.get(kind, "ABCdef")
    assert hidden not in client.get(f"{USERS}/alice", headers=admin).text
    assert hidden not in audit_text(session)
    assert session.scalar(select(ContactMethod.address)) == address
    again = client.post(URL, json={"type": kind, "address": address}, headers=admin)
    assert again.status_code == 409
    assert hidden not in again.text


@pytest.mark.parametrize(
    ("kind", "address", "reason"),
    [
        ("webhook", "http://169.254.169.254/latest/meta-data", "169.254.169.254 is link-local"),
        ("webhook", "http://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("webhook", "http://[::1]:9000/hook", "::1 is loopback"),
        ("webhook", "http://localhost:9000/hook", "127.0.0.1 is loopback"),
        ("webhook", "https://inside.example.com/hook", "10.1.2.3 is a private address"),
        ("webhook", "https://nowhere.invalid/hook", "nowhere.invalid: no such host"),
        ("slack", "https://localhost/services/T/B/X", "127.0.0.1 is loopback"),
        ("apprise", "json://10.0.0.1/page", "10.0.0.1 is a private address"),
        ("apprise", "json://localhost:8080/page", "127.0.0.1 is loopback"),
    ],
)
def test_forbidden_addresses_are_refused_when_saved(client, admin, people, kind, address, reason):
    refused = client.post(URL, json={"type": kind, "address": address}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith(f"address: {reason}")
    assert refused.json()["errors"][0]["field"] == "address"
    assert client.get(URL, headers=admin).json()["items"] == []


def test_a_telegram_url_is_checked_against_telegram_not_its_numeric_bot_id(client, admin, people):
    address = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345"
    saved = client.post(URL, json={"type": "apprise", "address": address}, headers=admin)
    assert saved.status_code == 201, saved.text
    garbage = client.post(URL, json={"type": "apprise", "address": "nope://x"}, headers=admin)
    assert garbage.status_code == 422
    assert "not an Apprise URL" in garbage.json()["detail"]


def test_loopback_is_accepted_when_allowed(
    settings: Settings, engine, clock, fake_dns, issue_token
):
    from fastapi.testclient import TestClient

    from warroom.web.app import create_app

    allowed = settings.model_copy(update={"egress_allow": "127.0.0.1"})
    admin = issue_token("admin")
    with TestClient(create_app(allowed, clock=clock, engine=engine)) as client:
        body = {"handle": "alice", "name": "Alice", "email": "alice@example.com"}
        assert client.post(USERS, json=body, headers=admin).status_code == 201
        for address in ("http://localhost:9000/hook", "http://127.0.0.1:9000/hook"):
            added = client.post(URL, json={"type": "webhook", "address": address}, headers=admin)
            assert added.status_code == 201, added.json()
        refused = client.post(
            URL, json={"type": "webhook", "address": "http://10.0.0.1/"}, headers=admin
        )
        assert refused.status_code == 422
