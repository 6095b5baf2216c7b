"""The OpenAPI description is served and documents every API route."""

from __future__ import annotations


def test_openapi_lists_the_api_and_docs_page_is_served(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/incidents",
        "/api/v1/incidents/{ref}",
        "/api/v1/incidents/{ref}/status",
        "/api/v1/incidents/{ref}/roles",
        "/api/v1/incidents/{ref}/notes",
        "/api/v1/incidents/{ref}/timeline",
        "/api/v1/severities",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path
    assert "IncidentCreate" in spec["components"]["schemas"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
