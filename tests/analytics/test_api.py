"""GET /api/v1/analytics: viewers read it, bad parameters are 422 problems naming them."""

from __future__ import annotations

import pytest

from tests.analytics.conftest import END, NOW, START, DataSet
from warroom.analytics import service
from warroom.severity import DEFAULT_SCHEME

ANALYTICS = "/api/v1/analytics"


def test_a_viewer_reads_the_report(client, issue_token, session, dataset: DataSet):
    response = client.get(
        ANALYTICS, params={"from": START, "to": END}, headers=issue_token("viewer")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    query = service.parse_query(scheme=DEFAULT_SCHEME, now=NOW, start=START, end=END)
    expected = service.build_report(session, scheme=DEFAULT_SCHEME, query=query, now=NOW)
    assert body == expected.model_dump(mode="json", by_alias=True)
    assert (body["from"], body["to"]) == ("2026-11-04T00:00:00Z", "2026-11-18T12:00:00Z")
    assert body["incidents"]["total"] == 9
    assert body["mttr"]["overall"]["p90_seconds"] == 93600.0


def test_defaults_to_the_last_thirty_days(client, admin, dataset: DataSet):
    body = client.get(ANALYTICS, headers=admin).json()
    assert (body["from"], body["to"]) == ("2026-10-20T10:00:00Z", "2026-11-19T10:00:00Z")
    assert body["incidents"]["total"] == 11  # X and Y are inside these 30 days
    assert body["incidents"]["by_week"][0]["week"] == "2026-W43"
    assert body["incidents"]["by_week"][-1]["week"] == "2026-W47"


def test_filters_and_an_offset_sent_with_an_unencoded_plus(client, admin, dataset: DataSet):
    # 13:00+01:00 is 12:00Z; an unencoded '+' reaches the server as a space.
    url = f"{ANALYTICS}?from={START}&to=2026-11-18T13:00:00+01:00&service=checkout&severity=sev1"
    body = client.get(url, headers=admin).json()
    assert body["to"] == "2026-11-18T12:00:00Z"
    assert body["filters"] == {"service": "checkout", "severity": "P1"}
    assert body["incidents"]["total"] == 3  # A B E


def test_an_empty_range_is_zeros_and_nulls(client, admin, dataset: DataSet):
    response = client.get(
        ANALYTICS, params={"from": "2026-01-01", "to": "2026-01-02"}, headers=admin
    )
    assert response.status_code == 200
    body = response.json()
    assert body["incidents"]["total"] == 0
    assert body["incidents"]["by_week"] == [
        {"week": "2026-W01", "starts_at": "2025-12-29T00:00:00Z", "count": 0}
    ]
    assert body["mtta"]["overall"] == {
        "count": 0,
        "mean_seconds": None,
        "p50_seconds": None,
        "p90_seconds": None,
        "unacknowledged": 0,
    }
    assert [s["compliance_pct"] for s in body["sla"]["ack"]] == [None] * 4
    assert (body["oncall"], body["noisy_alerts"]) == ([], [])


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": "last tuesday"}, "from", "ISO-8601"),
        ({"to": "2026-02-30"}, "to", "ISO-8601"),
        ({"from": ""}, "from", "ISO-8601"),
        ({"from": "2026-11-05", "to": "2026-11-05"}, "from", "before to"),
        ({"from": "2026-11-06", "to": "2026-11-05T23:00:00Z"}, "from", "before to"),
        ({"from": "2025-01-01", "to": "2026-01-03"}, "to", "366 days"),
        ({"to": "2026-11-01"}, None, None),  # the 30 days before: fine
        ({"severity": "urgent"}, "severity", "P1 (SEV1"),
    ],
)
def test_bad_parameters_are_422_problems(client, admin, params, field, words):
    response = client.get(ANALYTICS, params=params, headers=admin)
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["errors"][0]["field"] == field
    assert problem["detail"].startswith(f"{field}: ")
    assert words in problem["detail"]


def test_no_token_is_401(client):
    response = client.get(ANALYTICS)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_it_is_in_the_openapi_document(client):
    parameters = client.get("/openapi.json").json()["paths"][ANALYTICS]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"from", "to", "service", "severity"}
