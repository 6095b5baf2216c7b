"""Tokens and roles: viewer < responder < admin; expired and revoked tokens stop at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from warroom.incidents.models import Incident

INCIDENTS = "/api/v1/incidents"
DECLARE = {"title": "Disk full on db-1", "severity": "P2"}


def test_no_token_is_401_with_a_bearer_challenge(client):
    response = client.get(INCIDENTS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "wr_abc"])
def test_malformed_authorization_header_is_401(client, header):
    assert client.get(INCIDENTS, headers={"Authorization": header}).status_code == 401


def test_unknown_token_is_401(client):
    response = client.get(INCIDENTS, headers={"Authorization": "Bearer wr_not-a-real-token"})
    assert response.status_code == 401
    assert response.json()["detail"] == "the API token is not valid"


def test_viewer_reads_but_cannot_write(client, issue_token, engine):
    viewer = issue_token("viewer")
    assert client.get(INCIDENTS, headers=viewer).status_code == 200
    assert client.get("/api/v1/severities", headers=viewer).status_code == 200
    response = client.post(INCIDENTS, json=DECLARE, headers=viewer)
    assert response.status_code == 403
    assert "responder" in response.json()["detail"]
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Incident)) == 0


def test_responder_acts_on_incidents_but_cannot_administer(client, issue_token):
    responder = issue_token("responder")
    assert client.post(INCIDENTS, json=DECLARE, headers=responder).status_code == 201
    user = {"handle": "eve", "name": "Eve", "email": "eve@example.com"}
    assert client.post("/api/v1/users", json=user, headers=responder).status_code == 403
    assert client.get("/api/v1/audit", headers=responder).status_code == 403
    assert client.get("/api/v1/tokens", headers=responder).status_code == 403
    token = {"name": "escalate", "role": "admin"}
    assert client.post("/api/v1/tokens", json=token, headers=responder).status_code == 403


def test_expired_token_stops_working_at_its_expiry(client, issue_token, clock):
    expiring = issue_token("responder", expires_at=clock.now() + timedelta(hours=1))
    assert client.get(INCIDENTS, headers=expiring).status_code == 200
    clock.advance(hours=1)
    response = client.post(INCIDENTS, json=DECLARE, headers=expiring)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_revoked_token_is_refused_at_once_and_secrets_are_never_listed(client, admin):
    issued = client.post("/api/v1/tokens", json={"name": "ci", "role": "responder"}, headers=admin)
    assert issued.status_code == 201
    secret = issued.json()["token"]
    assert secret.startswith("wr_")
    ci = {"Authorization": f"Bearer {secret}"}
    assert client.post(INCIDENTS, json=DECLARE, headers=ci).status_code == 201

    listed = client.get("/api/v1/tokens", headers=admin)
    assert secret not in listed.text
    assert all("token" not in item for item in listed.json()["items"])

    token_id = issued.json()["id"]
    revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    response = client.post(INCIDENTS, json=DECLARE, headers=ci)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    actions = [a["action"] for a in client.get("/api/v1/audit", headers=admin).json()["items"]]
    assert actions[:3] == ["token.revoke", "incident.declare", "token.create"]


def test_token_bound_to_a_user_acts_as_that_user(client, admin, issue_token):
    user = {"handle": "zoe", "name": "Zoe", "email": "zoe@example.com"}
    client.post("/api/v1/users", json=user, headers=admin)
    issued = client.post(
        "/api/v1/tokens",
        json={"name": "zoe laptop", "role": "responder", "user": "zoe"},
        headers=admin,
    ).json()
    assert issued["user"] == "zoe"
    zoe = {"Authorization": f"Bearer {issued['token']}"}
    incident = client.post(INCIDENTS, json=DECLARE, headers=zoe).json()
    assert incident["created_by"] == "user:zoe"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "x", "role": "superuser"}, 422),
        ({"name": "x", "role": "viewer", "user": "nobody"}, 404),
        ({"name": "x", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}, 422),
        ({"name": "", "role": "viewer"}, 422),
    ],
)
def test_bad_token_requests(client, admin, body, status):
    assert client.post("/api/v1/tokens", json=body, headers=admin).status_code == status
    assert len(client.get("/api/v1/tokens", headers=admin).json()["items"]) == 1


def test_revoking_an_unknown_token_is_404(client, admin):
    assert client.delete("/api/v1/tokens/999", headers=admin).status_code == 404
