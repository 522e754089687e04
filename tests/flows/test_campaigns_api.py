"""The campaign routes: who may use them, drafts, launch, lifecycle, stats, CSV export and preview."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Contact
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_user, token_for

EVIL = "=cmd|' /C calc'!A0"


@pytest.fixture
def client(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    make_user("mika@shop.test", role="marketer")
    make_user("ann@shop.test")
    with TestClient(create_app()) as test_client:
        yield test_client


def body(channel_id: int, **extra: Any) -> dict[str, Any]:
    data = {"name": "春季特賣", "channel_ids": [channel_id], "coupon_prefix": "HK-",
            "variants": [{"name": "A", "weight": 50, "text": "{{ contact.name }}，{{ coupon }}",
                          "buttons": [{"title": "買", "url": "https://shop.example/sale"}, {"title": "不要"}]},
                         {"name": "B", "weight": 50, "text": "Hi {{ contact.first_name }}"}]}
    data.update(extra)
    return data


def test_agents_are_refused(client: Any) -> None:
    agent = token_for(client, "ann@shop.test")
    for method, path in [("get", ""), ("post", ""), ("get", "/1"), ("patch", "/1"), ("post", "/1/launch"),
                         ("post", "/1/pause"), ("post", "/1/cancel"), ("get", "/1/stats"),
                         ("post", "/1/resend-interrupted"),
                         ("get", "/1/recipients.csv"), ("post", "/1/preview")]:
        answer = client.request(method, f"/api/v1/campaigns{path}", json={}, headers=agent)
        assert answer.status_code == 403, (method, path)
    assert client.get("/api/v1/campaigns").status_code == 401


def test_a_campaign_from_draft_to_csv(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    channel_id = make_channel(kind="telegram", name="TG").id or 0
    with session_scope() as session:
        for n, name in enumerate([EVIL, "王小明", "@SUM(1+1)", "Ann"]):
            contact = Contact(name=name)
            session.add(contact)
            session.flush()
            session.add(ChannelIdentity(contact_id=contact.id or 0, kind="telegram", value=str(100 + n)))
        session.add(Contact(name="no address"))

    broken = client.post("/api/v1/campaigns", json=body(channel_id, variants=[{"name": "A", "text": "{{ oops "}]),
                         headers=marketer)
    assert broken.status_code == 422 and "variant A text" in broken.text
    created = client.post("/api/v1/campaigns", json=body(channel_id), headers=marketer)
    assert created.status_code == 201, created.text
    campaign = created.json()
    path = f"/api/v1/campaigns/{campaign['id']}"
    assert campaign["status"] == "draft" and campaign["variants"][1]["weight"] == 50

    changed = client.patch(path, json={"attribution_hours": 48}, headers=marketer)
    assert changed.status_code == 200 and changed.json()["attribution_hours"] == 48

    preview = client.post(f"{path}/preview", json={}, headers=marketer).json()["previews"][0]
    assert preview["text"].startswith("陳大文")
    assert preview["buttons"][1] == {"title": "不要", "id": f"campaign:{campaign['id']}:1"}

    launched = client.post(f"{path}/launch", headers=marketer)
    assert launched.status_code == 202 and launched.json()["status"] == "running"
    assert client.post(f"{path}/launch", headers=marketer).status_code == 202  # again: nothing changes
    assert client.patch(path, json={"name": "x"}, headers=marketer).status_code == 422

    stats = client.get(f"{path}/stats", headers=marketer).json()
    for name in ("recipients", "skipped", "queued", "sent", "delivered", "read", "failed", "replied", "clicked",
                 "converted"):
        assert name in stats and f"{name}_rate" in stats
    assert (stats["recipients"], stats["skipped"], stats["queued"]) == (5, 1, 4)
    assert set(stats["variants"]) <= {"A", "B"} and [step["step"] for step in stats["funnel"]][0] == "sent"

    assert client.post(f"{path}/pause", headers=marketer).json()["status"] == "paused"
    assert client.post(f"{path}/resume", headers=marketer).json()["status"] == "running"

    exported = client.get(f"{path}/recipients.csv", headers=marketer)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    raw = exported.content.decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    names = {row["contact_name"] for row in rows}
    assert "'" + EVIL in names and "'@SUM(1+1)" in names and "王小明" in names and EVIL not in names
    assert {row["state"] for row in rows} == {"pending", "skipped"}
    assert all(row["coupon_code"].startswith("HK-") for row in rows if row["state"] == "pending")

    cancelled = client.post(f"{path}/cancel", headers=marketer)
    assert cancelled.json()["status"] == "cancelled"
    after = client.get(f"{path}/stats", headers=marketer).json()
    assert (after["skipped"], after["queued"]) == (5, 0)
    assert client.post(f"{path}/resume", headers=marketer).status_code == 409
    assert after["interrupted"] == 0
    assert client.post(f"{path}/resend-interrupted", headers=marketer).status_code == 409  # cancelled
    assert client.post("/api/v1/campaigns/999999/resend-interrupted", headers=marketer).status_code == 404
    assert [c["id"] for c in client.get("/api/v1/campaigns", headers=marketer).json()] == [campaign["id"]]


def test_a_template_that_would_exhaust_a_worker_is_refused_on_save_and_previewed_inert(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    channel_id = make_channel(kind="telegram", name="TG").id or 0
    bomb = [{"name": "A", "text": "{{ 'ab' * 50000000 }}"}]
    refused = client.post("/api/v1/campaigns", json=body(channel_id, variants=bomb), headers=marketer)
    assert refused.status_code == 422 and "variant A text" in refused.text
    created = client.post("/api/v1/campaigns", json=body(channel_id), headers=marketer).json()
    assert client.patch(f"/api/v1/campaigns/{created['id']}", json={"variants": bomb},
                        headers=marketer).status_code == 422
    from flows.campaigns.models import Campaign

    with session_scope() as session:  # as if stored before the rule existed
        stored = session.get(Campaign, created["id"])
        assert stored is not None
        stored.variants = [{"name": "A", "text": "Hi {{ 'ab' * 50000000 }}"}]
        session.add(stored)
    preview = client.post(f"/api/v1/campaigns/{created['id']}/preview", json={"variant": "A"}, headers=marketer)
    assert preview.status_code == 200 and preview.json()["previews"][0]["text"] == "Hi "
