"""Contact methods through the API: ordering, validation per type, permissions, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.config import Settings
from warroom.users.contacts import mask_address
from warroom.users.models import AuditEntry, ContactMethod

USERS = "/api/v1/users"


@pytest.fixture
def settings(settings: Settings, fake_dns) -> Settings:
    """Loopback receivers may be reached; test host names resolve without the network."""
    return settings.model_copy(update={"egress_allow": "127.0.0.1"})


@pytest.fixture
def people(client, admin) -> None:
    """Alice and Bob."""
    for handle in ("alice", "bob"):
        body = {"handle": handle, "name": handle.title(), "email": f"{handle}@example.com"}
        assert client.post(USERS, json=body, headers=admin).status_code == 201


def methods_of(client, headers, handle: str = "alice") -> list[tuple[int, str, str]]:
    response = client.get(f"{USERS}/{handle}/contact-methods", headers=headers)
    assert response.status_code == 200
    return [(m["position"], m["type"], m["address"]) for m in response.json()["items"]]


def test_add_list_order_and_remove(client, admin, people, issue_token, session: Session):
    url = f"{USERS}/alice/contact-methods"
    webhook = {"type": "webhook", "address": "http://127.0.0.1:9000/page", "label": "pager"}
    created = client.post(url, json=webhook, headers=admin)
    assert created.status_code == 201
    assert created.json()["position"] == 1
    assert created.json()["label"] == "pager"
    email = client.post(url, json={"type": "email", "address": "alice@example.com"}, headers=admin)
    slack = {"type": "slack", "address": "U0123ABCD", "position": 1}
    assert client.post(url, json=slack, headers=admin).status_code == 201
    viewer = issue_token("viewer")
    assert methods_of(client, viewer) == [
        (1, "slack", "U0123ABCD"),
        (2, "webhook", "http://127.0.0.1:9000/page"),
        (3, "email", "alice@example.com"),
    ]
    user = client.get(f"{USERS}/alice", headers=viewer).json()
    assert [m["type"] for m in user["contact_methods"]] == ["slack", "webhook", "email"]
    assert client.get(f"{USERS}/bob", headers=viewer).json()["contact_methods"] == []
    removed = client.delete(f"{url}/{created.json()['id']}", headers=admin)
    assert removed.status_code == 204
    assert methods_of(client, viewer) == [
        (1, "slack", "U0123ABCD"),
        (2, "email", "alice@example.com"),
    ]
    assert client.delete(f"{url}/{created.json()['id']}", headers=admin).status_code == 404
    assert (
        client.delete(
            f"{USERS}/bob/contact-methods/{email.json()['id']}", headers=admin
        ).status_code
        == 404
    )
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.target == "user:alice").order_by(AuditEntry.id)
    )
    assert list(actions) == ["user.create"] + ["user.contact_method.add"] * 3 + [
        "user.contact_method.remove"
    ]


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("email", "alice"),
        ("email", "alice@example"),
        ("slack", "alice"),
        ("slack", "u0123abcd"),
        ("slack", "#Bad Channel"),
        ("slack", "http://hooks.slack.com/services/T/B/X"),
        ("webhook", "ftp://example.com/page"),
        ("webhook", "https://"),
        ("webhook", "example.com/page"),
        ("webhook", "http://exa mple.com/"),
        ("apprise", "not a url"),
        ("apprise", "json:/127.0.0.1"),
    ],
)
def test_invalid_addresses_are_refused_per_type(client, admin, people, kind, address):
    url = f"{USERS}/alice/contact-methods"
    response = client.post(url, json={"type": kind, "address": address}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "address"
    assert methods_of(client, admin) == []


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("email", "pager+alice@example.co.uk"),
        ("slack", "W0123ABCD"),
        ("slack", "#payments-oncall"),
        ("slack", "https://hooks.slack.com/services/T000/B000/XXXX"),
        ("webhook", "https://hooks.example.com/page?x=1"),
        ("apprise", "json://127.0.0.1:8080/page"),
        ("apprise", "tgram://123456789:AAHdqTcvABCdef/98765"),
    ],
)
def test_valid_addresses_per_type(client, admin, people, kind, address):
    url = f"{USERS}/alice/contact-methods"
    response = client.post(url, json={"type": kind, "address": address}, headers=admin)
    assert response.status_code == 201, response.json()
    assert methods_of(client, admin) == [(1, kind, mask_address(kind, address))]


def test_bad_type_duplicate_and_unknown_user(client, admin, people, session: Session):
    url = f"{USERS}/alice/contact-methods"
    bad_type = client.post(url, json={"type": "pager", "address": "x"}, headers=admin)
    assert bad_type.status_code == 422
    assert bad_type.json()["errors"][0]["field"] == "type"
    body = {"type": "email", "address": "alice@example.com"}
    assert client.post(url, json=body, headers=admin).status_code == 201
    duplicate = client.post(url, json={**body, "address": " alice@example.com "}, headers=admin)
    assert duplicate.status_code == 409
    assert client.post(f"{USERS}/bob/contact-methods", json=body, headers=admin).status_code == 201
    missing = f"{USERS}/zoe/contact-methods"
    assert client.get(missing, headers=admin).status_code == 404
    assert client.post(missing, json=body, headers=admin).status_code == 404
    assert client.delete(f"{missing}/1", headers=admin).status_code == 404
    assert len(session.scalars(select(ContactMethod)).all()) == 2


def test_only_admins_or_the_user_themself_change_contact_methods(
    client, admin, people, issue_token
):
    body = {"type": "email", "address": "alice@example.com"}
    alice_url, bob_url = f"{USERS}/alice/contact-methods", f"{USERS}/bob/contact-methods"
    viewer = issue_token("viewer")
    assert client.post(alice_url, json=body, headers=viewer).status_code == 403
    alice = issue_token("responder", user="alice")
    assert client.post(alice_url, json=body, headers=alice).status_code == 201
    assert client.post(bob_url, json=body, headers=alice).status_code == 403
    unbound = issue_token("responder")
    assert client.post(bob_url, json=body, headers=unbound).status_code == 403
    bob_method = client.post(bob_url, json=body, headers=admin).json()["id"]
    assert client.delete(f"{bob_url}/{bob_method}", headers=alice).status_code == 403
    assert client.delete(f"{bob_url}/{bob_method}", headers=viewer).status_code == 403
    alice_method = methods_of(client, viewer)
    assert alice_method == [(1, "email", "alice@example.com")]
    own = client.get(alice_url, headers=viewer).json()["items"][0]["id"]
    assert client.delete(f"{alice_url}/{own}", headers=alice).status_code == 204
    assert methods_of(client, viewer) == []
    assert methods_of(client, viewer, "bob") == [(1, "email", "alice@example.com")]
    assert client.get(alice_url).status_code == 401
