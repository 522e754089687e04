"""Every report route is in the API's documentation with its response model and an example."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from hub.composition import create_app
from tests.factories import make_user, token_for

ROUTES = ("service", "agents", "sales", "campaigns", "lifecycle", "csat")


def test_reports_are_documented(backend: Any) -> None:
    make_user("boss@reports.test", "admin")
    with TestClient(create_app()) as client:
        headers = token_for(client, "boss@reports.test")
        schema = client.get("/openapi.json", headers=headers).json()
    for name in ROUTES:
        operation = schema["paths"][f"/api/v1/reports/{name}"]["get"]
        assert operation["summary"] and operation["description"]
        model = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schema["components"]["schemas"][model].get("examples"), name
        params = {p["name"] for p in operation["parameters"]}
        assert {"from", "to", "tz", "group_by", "channel_id", "team_id", "agent_id", "tag"} <= params
    assert "text/csv" in schema["paths"]["/api/v1/reports/service"]["get"]["responses"]["200"]["content"]
    post = schema["paths"]["/api/v1/reports/lifecycle/cells/{cell}/segment"]["post"]
    assert "201" in post["responses"]
    cell = next(p for p in post["parameters"] if p["name"] == "cell")
    assert "$ref" in cell["schema"] or "enum" in cell["schema"]


def test_bad_ranges_are_refused_with_a_sentence(backend: Any) -> None:
    make_user("boss@reports.test", "admin")
    with TestClient(create_app()) as client:
        headers = token_for(client, "boss@reports.test")
        for params in ({"from": "0001-01-01", "to": "2026-01-01"}, {"from": "2026-02-01", "to": "2026-01-01"},
                       {"tz": "Mars/Olympus"}, {"from": "2020-01-01", "to": "2026-01-01"},
                       {"since": "0001-01-01"}):
            for name in ROUTES:
                answer = client.get(f"/api/v1/reports/{name}", params=params, headers=headers)
                assert answer.status_code == 422, (name, params, answer.text)
                assert answer.json()["detail"]
