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
