"""Action items through the API, auth on every route, and safe exports."""

from __future__ import annotations

from datetime import timedelta

from .conftest import INCIDENTS, ITEMS, declare, resolved_p1


def add_item(client, headers, ref, **fields):
    body = {"title": "Add alarms", "owner": "bob", "due": "2025-11-10", **fields}
    answer = client.post(f"{INCIDENTS}/{ref}/action-items", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_action_items_are_created_filtered_paginated_and_completed(
    client, admin, responder, clock, ticker
):
    ref = resolved_p1(client, admin, clock)
    other = declare(client, admin, severity="P3", title="Slow search")
    first = add_item(client, responder, ref, priority="high", description="pool size alarm")
    assert first["due_at"] == "2025-11-10T22:59:00Z"  # the end of the day in Berlin
    assert (first["status"], first["priority"], first["postmortem_url"]) == ("open", "high", None)
    ticker.tick()  # drafts the postmortem and links the item to it
    linked = client.get(f"{ITEMS}/{first['id']}", headers=admin).json()
    assert linked["postmortem_url"] == f"{INCIDENTS}/{ref}/postmortem"
    body = client.get(f"{INCIDENTS}/{ref}/postmortem", headers=admin).json()["body"]
    assert (
        f"| {first['id']} | Add alarms | bob | high | 2025-11-10 23:59:00 +01:00 | open |" in body
    )
    second = add_item(client, responder, ref, owner="carol", due="2025-11-02T09:00:00Z")
    third = add_item(client, responder, other, priority="LOW")

    def ids(query: str) -> list[int]:
        answer = client.get(f"{ITEMS}{query}", headers=admin)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert ids("") == [third["id"], second["id"], first["id"]]
    assert ids("?owner=bob") == [third["id"], first["id"]]
    assert ids(f"?incident={ref}") == [second["id"], first["id"]]
    assert ids("?overdue=true") == []
    clock.set(clock.now().replace(day=2, hour=9))
    assert ids("?overdue=true") == [second["id"]]
    page = client.get(f"{ITEMS}?limit=2", headers=admin).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = client.get(f"{ITEMS}?limit=2&cursor={page['next_cursor']}", headers=admin).json()
    assert [i["id"] for i in rest["items"]] == [first["id"]]
    assert rest["next_cursor"] is None

    done = client.patch(f"{ITEMS}/{second['id']}", json={"status": "done"}, headers=responder)
    assert done.json()["completed_at"] == "2025-11-02T09:00:00Z"
    assert ids("?status=done") == [second["id"]]
    assert ids("?status=open,done") == [third["id"], second["id"], first["id"]]
    reopened = client.patch(
        f"{ITEMS}/{second['id']}", json={"status": "in-progress"}, headers=responder
    ).json()
    assert (reopened["status"], reopened["completed_at"]) == ("in_progress", None)
    entries = client.get(f"{INCIDENTS}/{ref}/timeline", headers=admin).json()["items"]
    updates = [e["data"] for e in entries if e["kind"] == "action_item_updated"]
    assert [u["changes"]["status"] for u in updates] == [
        {"from": "open", "to": "done"},
        {"from": "done", "to": "in_progress"},
    ]
    audit = client.get("/api/v1/audit?action=action_item.update", headers=admin).json()["items"]
    assert len(audit) == 2


def test_bad_action_item_input_names_the_field(client, admin, responder, clock):
    ref = declare(client, admin)
    good = {"title": "Fix it", "owner": "bob", "due": "2025-11-10"}
    cases = [
        ({"owner": "nobody"}, "owner"),
        ({"due": "next week"}, "due"),
        ({"due": "2025-13-40"}, "due"),
        ({"due": "2025-11-10T10:00:00"}, "due"),
        ({"due": "2025-10-01"}, "due"),
        ({"priority": "P0"}, "priority"),
        ({"title": "  "}, "title"),
        ({"extra": True}, "extra"),
    ]
    for change, field in cases:
        answer = client.post(
            f"{INCIDENTS}/{ref}/action-items", json={**good, **change}, headers=responder
        )
        assert answer.status_code == 422, change
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == [field], change
    item = add_item(client, responder, ref)
    for change, field in [({"status": "finished"}, "status"), ({"owner": None}, "owner")]:
        answer = client.patch(f"{ITEMS}/{item['id']}", json=change, headers=responder)
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    for query, field in [("?status=nope", "status"), ("?owner=nobody", "owner")]:
        answer = client.get(f"{ITEMS}{query}", headers=admin)
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert client.get(f"{ITEMS}?incident=incident-1999-01-01-001", headers=admin).status_code == 422
    assert client.get(f"{ITEMS}/999", headers=admin).status_code == 404
    assert (
        client.post(
            f"{INCIDENTS}/incident-1999-01-01-001/action-items", json=good, headers=responder
        ).status_code
        == 404
    )
    assert client.get(f"{ITEMS}?limit=0", headers=admin).status_code == 422


def test_viewers_read_responders_write(client, admin, issue_token, clock, ticker):
    ref = resolved_p1(client, admin, clock)
    ticker.tick()
    item = add_item(client, admin, ref)
    viewer = issue_token("viewer")
    responder = issue_token("responder")
    reads = [
        f"{INCIDENTS}/{ref}/postmortem",
        f"{INCIDENTS}/{ref}/postmortem/export?format=html",
        ITEMS,
        f"{ITEMS}/{item['id']}",
    ]
    for url in reads:
        assert client.get(url, headers=viewer).status_code == 200, url
        assert client.get(url).status_code == 401, url
    writes = [
        ("put", f"{INCIDENTS}/{ref}/postmortem", {"status": "in_review"}),
        (
            "post",
            f"{INCIDENTS}/{ref}/action-items",
            {"title": "x", "owner": "bob", "due": "2025-12-01"},
        ),
        ("patch", f"{ITEMS}/{item['id']}", {"priority": "low"}),
    ]
    for method, url, body in writes:
        refused = client.request(method, url, json=body, headers=viewer)
        assert refused.status_code == 403, url
        assert "responder" in refused.json()["detail"]
        assert client.request(method, url, json=body, headers=responder).status_code in (200, 201)
    other = declare(client, admin, severity="P4")
    assert client.post(f"{INCIDENTS}/{other}/postmortem", headers=viewer).status_code == 403
    assert client.post(f"{INCIDENTS}/{other}/postmortem", headers=responder).status_code == 201


def test_exports_keep_untrusted_text_inert(client, admin, clock, ticker):
    ref = resolved_p1(client, admin, clock, title="DB <script>alert(1)</script> down")
    client.post(
        f"{INCIDENTS}/{ref}/notes",
        json={
            "text": "<script>steal()</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"
        },
        headers=admin,
    )
    ticker.tick()
    page = client.get(f"{INCIDENTS}/{ref}/postmortem/export?format=html", headers=admin)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["content-disposition"] == f'attachment; filename="{ref}-postmortem.html"'
    html = page.text.lower()
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = client.get(f"{INCIDENTS}/{ref}/postmortem/export", headers=admin)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith(r"# Postmortem: DB \<script\>alert(1)\</script\> down")
    assert (
        client.get(f"{INCIDENTS}/{ref}/postmortem/export?format=pdf", headers=admin).status_code
        == 422
    )
    clock.advance(timedelta(days=3))
    assert client.get(f"{INCIDENTS}/{ref}/postmortem", headers=admin).json()["overdue"] is True
