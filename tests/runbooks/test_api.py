"""Runbooks through the API: import and versions, structure, matching, checklists on incidents."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.runbooks.conftest import SEEDS

pytestmark = pytest.mark.usefixtures("seeds_present")

MARKDOWN = {"content-type": "text/markdown"}


def import_seeds(client: TestClient, headers: dict[str, str]) -> dict[str, int]:
    ids = {}
    for path in sorted(SEEDS.glob("*.txt")):
        response = client.post(
            f"/api/v1/runbooks?source=runbooks/{path.name}",
            content=path.read_bytes(),
            headers={**headers, **MARKDOWN},
        )
        assert response.status_code == 201, response.text
        ids[path.name] = response.json()["runbook"]["id"]
    return ids


def test_import_reimport_and_versions(client, admin):
    body = b"# Cache runbook\n\n## Common incidents\n\n### Redis down\n\n1. Restart redis\n"
    created = client.post(
        "/api/v1/runbooks?source=ops/cache.md", content=body, headers={**admin, **MARKDOWN}
    )
    assert created.status_code == 201
    runbook = created.json()["runbook"]
    assert (runbook["title"], runbook["file_name"], runbook["version"]) == (
        "Cache runbook",
        "cache.md",
        1,
    )
    assert runbook["incident_sections"] == 1

    same = client.post(
        "/api/v1/runbooks?source=ops/cache.md", content=body, headers={**admin, **MARKDOWN}
    )
    assert (same.status_code, same.json()["outcome"]) == (200, "unchanged")

    changed = body + b"2. Check memory\n"
    updated = client.post(
        "/api/v1/runbooks?source=ops/cache.md", content=changed, headers={**admin, **MARKDOWN}
    )
    assert (updated.status_code, updated.json()["outcome"]) == (200, "updated")
    assert updated.json()["runbook"]["version"] == 2
    versions = client.get(f"/api/v1/runbooks/{runbook['id']}/versions", headers=admin).json()
    assert [v["version"] for v in versions["items"]] == [1, 2]

    detail = client.get(f"/api/v1/runbooks/{runbook['id']}", headers=admin).json()
    redis = next(s for s in detail["sections"] if s["heading"] == "Redis down")
    assert redis["id"] == f"{runbook['id']}:cache-runbook/common-incidents/redis-down"
    assert [step["text"] for step in redis["checklist"]] == ["Restart redis", "Check memory"]
    assert [r["source"] for r in client.get("/api/v1/runbooks", headers=admin).json()["items"]] == [
        "ops/cache.md"
    ]


@pytest.mark.parametrize(
    ("url", "body", "status"),
    [
        ("/api/v1/runbooks?source=x.md", b"", 422),
        ("/api/v1/runbooks?source=x.md", b"   \n", 422),
        ("/api/v1/runbooks", b"# A\n", 422),
        ("/api/v1/runbooks?source=", b"# A\n", 422),
        (f"/api/v1/runbooks?source=dir/{'a' * 300}.md", b"# A\n", 422),
        ("/api/v1/runbooks?source=big.md", b"# A\n" + b"x" * (3 * 1024 * 1024), 413),
    ],
)
def test_bad_imports_are_refused(client, admin, url, body, status):
    assert client.post(url, content=body, headers={**admin, **MARKDOWN}).status_code == status
    assert client.get("/api/v1/runbooks", headers=admin).json()["items"] == []


def test_only_admins_import_and_unknown_runbooks_are_404(client, issue_token):
    responder = issue_token("responder")
    response = client.post(
        "/api/v1/runbooks?source=a.md", content=b"# A\n", headers={**responder, **MARKDOWN}
    )
    assert response.status_code == 403
    assert client.get("/api/v1/runbooks/99", headers=responder).status_code == 404


def test_match_endpoint_ranks_with_reasons_and_abstains(client, admin):
    import_seeds(client, admin)
    ranked = client.post(
        "/api/v1/runbooks/match",
        json={
            "title": "RedisOutOfMemory",
            "description": "Redis is running out of memory (> 90%)",
            "labels": {"alertname": "RedisOutOfMemory", "instance": "cache-01:9121"},
        },
        headers=admin,
    )
    top = ranked.json()["items"][0]
    assert (top["file"], top["heading"], top["line"]) == (
        "000_a25ff75ecb42e6d3.txt",
        "Redis High Memory (P2)",
        132,
    )
    assert 0 < top["score"] <= 1
    assert "redis" in top["reason"]
    assert "memory" in top["reason"]
    nothing = client.post(
        "/api/v1/runbooks/match",
        json={"title": "etcd cluster has high number of leader changes"},
        headers=admin,
    )
    assert nothing.json()["items"] == []
    assert (
        client.post("/api/v1/runbooks/match", json={"title": 5}, headers=admin).status_code == 422
    )


def test_incident_gets_suggestions_accepts_one_and_ticks_steps(client, admin, clock):
    import_seeds(client, admin)
    incident = client.post(
        "/api/v1/incidents",
        json={
            "title": "RedisOutOfMemory on cache-01",
            "severity": "P2",
            "summary": "Redis memory above 95%, evictions climbing",
        },
        headers=admin,
    ).json()
    ref = incident["ref"]
    state = client.get(f"/api/v1/incidents/{ref}/runbook", headers=admin).json()
    first = state["suggestions"][0]
    assert first["heading"] == "Redis High Memory (P2)"
    assert first["reason"].startswith("matched: ")
    assert state["checklist"] == []

    accepted = client.post(
        f"/api/v1/incidents/{ref}/runbook", json={"section": first["section_id"]}, headers=admin
    )
    assert accepted.status_code == 201
    items = accepted.json()["checklist"]
    assert [i["text"] for i in items] == [
        "Check Redis metrics",
        "Check cache hit rate",
        "Check key distribution",
        "Check TTL settings",
        "Increase Redis instance size",
        "Adjust eviction policy",
        "Reduce TTL for less critical keys",
        "Implement cache warming",
    ]
    assert [i["field"] for i in items][:5] == ["investigation"] * 4 + ["resolution"]

    clock.advance(minutes=3)
    for position in (1, 2):
        done = client.post(f"/api/v1/incidents/{ref}/checklist/{position}/done", headers=admin)
        assert done.json()["done_at"] == "2025-11-01T09:03:00Z"
    undone = client.delete(f"/api/v1/incidents/{ref}/checklist/2/done", headers=admin)
    assert undone.json()["done_at"] is None
    kinds = [
        (e["kind"], e["data"].get("item"))
        for e in client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    ]
    assert kinds == [
        ("declared", None),
        ("runbook_suggested", None),
        ("runbook_accepted", None),
        ("checklist_item_done", 1),
        ("checklist_item_done", 2),
        ("checklist_item_undone", 2),
    ]

    again = client.post(
        f"/api/v1/incidents/{ref}/runbook", json={"section": first["section_id"]}, headers=admin
    )
    assert again.status_code == 409
    assert (
        client.post(f"/api/v1/incidents/{ref}/checklist/99/done", headers=admin).status_code == 404
    )
    assert (
        client.post(
            f"/api/v1/incidents/{ref}/runbook", json={"section": "1:nope"}, headers=admin
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/incidents/{ref}/runbook", json={"section": "garbage"}, headers=admin
        ).status_code
        == 422
    )


def test_when_nothing_fits_the_timeline_says_so(client, admin):
    import_seeds(client, admin)
    ref = client.post(
        "/api/v1/incidents",
        json={"title": "NTP clock skew on build agents", "severity": "P4"},
        headers=admin,
    ).json()["ref"]
    entries = client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    assert entries[-1]["kind"] == "runbook_suggested"
    assert entries[-1]["data"] == {"suggestions": []}


def test_without_runbooks_incidents_get_no_suggestion_entry(client, admin):
    ref = client.post(
        "/api/v1/incidents", json={"title": "Redis down", "severity": "P2"}, headers=admin
    ).json()["ref"]
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{ref}/timeline", headers=admin).json()["items"]
    ]
    assert kinds == ["declared"]


SEVERITY_RUNBOOK = b"""# Major incident runbook

## SEV-1 checklist

- [ ] Page the incident commander
- [ ] Open the bridge call
- [ ] Post the first status update within 15 minutes

## P3 Checklist

1. Note the ticket in the weekly review
"""


def test_severity_checklists_attach_by_severity_on_declare_and_on_upgrade(client, admin):
    imported = client.post(
        "/api/v1/runbooks?source=major.md", content=SEVERITY_RUNBOOK, headers={**admin, **MARKDOWN}
    )
    assert imported.status_code == 201
    p1 = client.post(
        "/api/v1/incidents", json={"title": "Everything is down", "severity": "P1"}, headers=admin
    ).json()["ref"]
    items = client.get(f"/api/v1/incidents/{p1}/runbook", headers=admin).json()["checklist"]
    assert [i["text"] for i in items] == [
        "Page the incident commander",
        "Open the bridge call",
        "Post the first status update within 15 minutes",
    ]
    p2 = client.post(
        "/api/v1/incidents", json={"title": "Checkout slow", "severity": "P2"}, headers=admin
    ).json()["ref"]
    assert client.get(f"/api/v1/incidents/{p2}/runbook", headers=admin).json()["checklist"] == []
    client.patch(f"/api/v1/incidents/{p2}", json={"severity": "SEV1"}, headers=admin)
    upgraded = client.get(f"/api/v1/incidents/{p2}/runbook", headers=admin).json()["checklist"]
    assert len(upgraded) == 3
    client.patch(f"/api/v1/incidents/{p2}", json={"severity": "P3"}, headers=admin)
    client.patch(f"/api/v1/incidents/{p2}", json={"severity": "P1"}, headers=admin)
    again = client.get(f"/api/v1/incidents/{p2}/runbook", headers=admin).json()["checklist"]
    assert [i["text"] for i in again][-1] == "Note the ticket in the weekly review"
    assert len(again) == 4
