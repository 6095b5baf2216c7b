"""Users through the API."""

from __future__ import annotations

import pytest

USERS = "/api/v1/users"


def test_create_list_and_get_users(client, admin, issue_token):
    body = {
        "handle": "Alice",
        "name": "Alice Moreau",
        "email": "alice@example.com",
        "time_zone": "Europe/Paris",
    }
    created = client.post(USERS, json=body, headers=admin)
    assert created.status_code == 201
    assert created.json()["handle"] == "alice"
    viewer = issue_token("viewer")
    assert [u["handle"] for u in client.get(USERS, headers=viewer).json()["items"]] == ["alice"]
    assert client.get(f"{USERS}/alice", headers=viewer).json()["time_zone"] == "Europe/Paris"
    assert client.get(f"{USERS}/bob", headers=viewer).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"handle": "bad handle", "name": "x", "email": "x@example.com"}, 422, "handle"),
        ({"handle": "x", "name": "x", "email": "not-an-email"}, 422, "email"),
        (
            {"handle": "x", "name": "x", "email": "x@example.com", "time_zone": "Mars/Olympus"},
            422,
            "time_zone",
        ),
        ({"handle": "x", "name": "  ", "email": "x@example.com"}, 422, "name"),
        ({"handle": "x", "email": "x@example.com"}, 422, "name"),
    ],
)
def test_invalid_users_are_refused(client, admin, body, status, field):
    response = client.post(USERS, json=body, headers=admin)
    assert response.status_code == status
    assert response.json()["errors"][0]["field"] == field
    assert client.get(USERS, headers=admin).json()["items"] == []


def test_duplicate_handle_or_email_is_409(client, admin):
    body = {"handle": "sam", "name": "Sam", "email": "sam@example.com"}
    assert client.post(USERS, json=body, headers=admin).status_code == 201
    assert client.post(USERS, json=body, headers=admin).status_code == 409
    other = {**body, "handle": "sam2"}
    response = client.post(USERS, json=other, headers=admin)
    assert response.status_code == 409
    assert "email" in response.json()["detail"]
    assert len(client.get(USERS, headers=admin).json()["items"]) == 1


def test_a_user_has_a_web_role_responder_unless_given(client, admin):
    plain = {"handle": "rita", "name": "Rita", "email": "rita@example.com"}
    assert client.post(USERS, json=plain, headers=admin).json()["role"] == "responder"
    viewer = {"handle": "vic", "name": "Vic", "email": "vic@example.com", "role": "viewer"}
    assert client.post(USERS, json=viewer, headers=admin).json()["role"] == "viewer"
    boss = {"handle": "bo", "name": "Bo", "email": "bo@example.com", "role": "boss"}
    refused = client.post(USERS, json=boss, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "role"
    assert client.get(f"{USERS}/bo", headers=admin).status_code == 404
