"""The updates API: post from a body or a template, list, and every way to get it wrong."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.escalation.conftest import INCIDENTS

from .conftest import Post, declare, timeline

TEMPLATES = "/api/v1/update-templates"


def test_a_body_update_is_stored_listed_and_on_the_timeline(client, admin, incident, post, clock):
    answer = post(incident, audience="internal", body="  Rolled back release 42.  ")

    assert answer.status_code == 201, answer.json()
    posted = answer.json()
    assert posted["body"] == "Rolled back release 42."
    assert (posted["audience"], posted["status"], posted["template"]) == ("internal", None, None)
    assert posted["author"] == "token:admin-token"
    assert posted["created_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert sorted(posted["notified"]) == ["alice", "bob"]
    [entry] = timeline(client, admin, incident, "status_update")
    assert entry["update_id"] == posted["id"]
    assert (entry["audience"], entry["body"], entry["template"]) == (
        "internal",
        "Rolled back release 42.",
        None,
    )
    audit = client.get("/api/v1/audit", params={"target": incident}, headers=admin).json()
    assert "incident.status_update" in [a["action"] for a in audit["items"]]


def test_updates_are_listed_newest_first_with_a_cursor(client, admin, incident, post, clock):
    for number in range(3):
        assert post(incident, audience="internal", body=f"update {number}").status_code == 201
        clock.advance(timedelta(minutes=1))

    first = client.get(f"{INCIDENTS}/{incident}/updates?limit=2", headers=admin).json()
    assert [u["body"] for u in first["items"]] == ["update 2", "update 1"]
    rest = client.get(
        f"{INCIDENTS}/{incident}/updates",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=admin,
    ).json()
    assert [u["body"] for u in rest["items"]] == ["update 0"]
    assert rest["next_cursor"] is None
    assert rest["items"][0]["notified"] is None


def test_the_list_filters_by_audience(client, admin, incident, post):
    post(incident, audience="internal", body="inside")
    post(incident, audience="public", body="outside")

    answer = client.get(f"{INCIDENTS}/{incident}/updates?audience=public", headers=admin)

    assert [u["body"] for u in answer.json()["items"]] == ["outside"]


def test_an_internal_template_is_filled_from_the_incident_and_vars(
    client, admin, incident, post, clock
):
    clock.advance(timedelta(minutes=20))
    answer = post(
        incident,
        audience="internal",
        template="update",
        status="identified",
        vars={"actions": "- rolled back\n- flushed the cache", "cause": "bad release"},
    )

    assert answer.status_code == 201, answer.json()
    body = answer.json()["body"]
    assert body.startswith(f"Update on {incident} (P1 Critical): Checkout is down")
    assert "Status: identified at 2025-11-01 09:20 UTC, 20m after detection" in body
    assert "Impact: Card payments fail for every customer" in body
    assert "Cause: bad release" in body
    assert "- rolled back\n- flushed the cache" in body
    assert "Workaround" not in body
    # P1: internal updates every 15 minutes.
    assert "Next internal update by 2025-11-01 09:35 UTC." in body
    assert answer.json()["vars"] == {
        "actions": "- rolled back\n- flushed the cache",
        "cause": "bad release",
    }


def test_a_public_update_defaults_to_the_incidents_public_status(client, admin, incident, post):
    client.post(f"{INCIDENTS}/{incident}/status", json={"status": "acknowledged"}, headers=admin)

    answer = post(incident, audience="public", template="initial")

    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "investigating"
    assert answer.json()["published"] is True
    assert answer.json()["body"].startswith("Investigating: Checkout is down")


def test_the_resolution_template_defaults_to_resolved(client, admin, incident, post):
    answer = post(incident, audience="public", template="resolution", vars={"details": "Fixed."})

    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "resolved"
    assert "We will post another update" not in answer.json()["body"]


def test_a_missing_template_variable_is_named(incident, post):
    answer = post(incident, audience="internal", template="update", vars={"cause": "x"})

    assert answer.status_code == 422
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "actions" in problem["detail"]
    assert problem["errors"] == [
        {"field": "vars.actions", "message": "the update template needs it"}
    ]


def test_an_unknown_template_lists_the_known_ones(incident, post):
    answer = post(incident, audience="public", template="apology")

    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        "template: unknown template 'apology' for public updates; "
        "use one of initial, resolution, update"
    )


def test_bad_input_is_a_clear_422_and_writes_nothing(client, admin, incident, post: Post):
    cases = [
        ({"audience": "internal"}, "body"),
        ({"audience": "internal", "body": "x", "template": "update"}, "body"),
        ({"audience": "internal", "body": "   "}, "body"),
        ({"audience": "internal", "body": "x" * 10_001}, "body"),
        ({"audience": "everyone", "body": "x"}, "audience"),
        ({"audience": "public", "body": "x", "status": "fine"}, "status"),
        ({"audience": "internal", "body": "x", "vars": {"cause": "y"}}, "vars"),
        ({"audience": "internal", "template": "update", "vars": {"ref": "fake"}}, "vars.ref"),
        ({"audience": "internal", "template": "update", "vars": {"Bad-Name": "y"}}, "vars"),
        ({"audience": "internal", "template": "update", "vars": {"actions": 3}}, "vars.actions"),
        ({"audience": "internal", "body": "x", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = post(incident, **body)
        assert answer.status_code == 422, (body, answer.json())
        assert field in [e["field"] for e in answer.json().get("errors", [])] or answer.json()[
            "detail"
        ].startswith(field), (body, answer.json())
    listed = client.get(f"{INCIDENTS}/{incident}/updates", headers=admin).json()
    assert listed["items"] == []
    assert timeline(client, admin, incident, "status_update") == []


def test_a_closed_incident_takes_no_updates(client, admin, people, post):
    ref = declare(client, admin, severity="P4")
    for status in ("resolved", "closed"):
        moved = client.post(f"{INCIDENTS}/{ref}/status", json={"status": status}, headers=admin)
        assert moved.status_code == 200, moved.json()

    answer = post(ref, audience="internal", body="too late")

    assert answer.status_code == 409
    assert "closed" in answer.json()["detail"]


def test_unknown_incident_is_404_and_viewers_cannot_post(client, admin, incident, issue_token):
    missing = client.post(
        f"{INCIDENTS}/incident-2025-11-01-999/updates",
        json={"audience": "internal", "body": "x"},
        headers=admin,
    )
    assert missing.status_code == 404
    viewer = issue_token("viewer")
    refused = client.post(
        f"{INCIDENTS}/{incident}/updates",
        json={"audience": "internal", "body": "x"},
        headers=viewer,
    )
    assert refused.status_code == 403
    assert client.get(f"{INCIDENTS}/{incident}/updates", headers=viewer).status_code == 200
    unauthenticated = client.get(f"{INCIDENTS}/{incident}/updates")
    assert unauthenticated.status_code == 401


def test_templates_are_listed_with_their_variables(client: TestClient, admin):
    answer = client.get(TEMPLATES, headers=admin)

    assert answer.status_code == 200
    items = {(t["audience"], t["name"]): t for t in answer.json()["items"]}
    assert sorted(items) == [
        ("internal", "initial"),
        ("internal", "resolution"),
        ("internal", "update"),
        ("public", "initial"),
        ("public", "resolution"),
        ("public", "update"),
    ]
    assert items["internal", "update"]["required"] == ["actions"]
    assert items["internal", "update"]["optional"] == ["cause", "eta", "workaround"]
    assert items["public", "update"]["required"] == ["details"]


def test_subscribers_can_be_added_listed_and_removed(client, admin, incident, issue_token):
    url = f"{INCIDENTS}/{incident}/subscribers"
    created = client.post(url, json={"user": "carol"}, headers=admin)
    again = client.post(url, json={"user": "carol"}, headers=admin)
    assert (created.status_code, again.status_code) == (201, 200)
    assert created.json()["user"] == "carol"
    dave = issue_token("viewer", user="dave")
    assert client.post(url, json={}, headers=dave).status_code == 201
    assert client.post(url, json={"user": "bob"}, headers=dave).status_code == 403

    listed = client.get(url, headers=admin).json()["items"]
    assert [s["user"] for s in listed] == ["carol", "dave"]

    assert client.delete(f"{url}/carol", headers=admin).status_code == 204
    gone = client.request("DELETE", url, json={"user": "dave"}, headers=admin)
    assert gone.status_code == 204
    assert client.get(url, headers=admin).json()["items"] == []
    assert client.delete(f"{url}/carol", headers=admin).status_code == 404
    kinds = [
        e["kind"]
        for e in client.get(f"{INCIDENTS}/{incident}/timeline", headers=admin).json()["items"]
    ]
    assert kinds.count("subscribed") == 2
    assert kinds.count("unsubscribed") == 2


def test_subscribing_needs_a_known_user(client, admin, incident):
    url = f"{INCIDENTS}/{incident}/subscribers"
    unknown = client.post(url, json={"user": "zed"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "user", "message": "no user with handle 'zed'"}]
    nobody = client.post(url, json={}, headers=admin)
    assert nobody.status_code == 422
