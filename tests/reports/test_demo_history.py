"""`make run`'s demo shop has months of history: every report shows real figures through the API (customers
in all nine lifecycle cells, conversations answered by people and by the bot, CSAT, campaigns with buyers,
sales by channel, agent, campaign and flow in three currencies, store visits), recorded as facts and daily
rollups, and loading the demo again adds nothing. At its full length (`make run`'s), on both backends: the
other tests that load the demo make five weeks of it (tests/conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from catalog.models import Order
from hub import composition
from hub.composition import create_app
from hub.conversations.models import Conversation, Message
from hub.runtime.db import session_scope
from reports.demo_history import DAYS
from reports.models import DailyRollup, ReportEvent
from reports.settings import get_report_settings
from tests.factories import token_for

PASSWORD = "hub-demo-password"


def _counts() -> tuple[int, ...]:
    with session_scope() as session:
        return tuple(int(session.execute(select(func.count()).select_from(model)).scalar_one())
                     for model in (Conversation, Message, Order, ReportEvent, DailyRollup))


def _get(client: TestClient, report: str, headers: dict[str, str], **params: Any) -> Any:
    today = date.today()
    answer = client.get(f"/api/v1/reports/{report}", headers=headers,
                        params={"from": str(today - timedelta(days=DAYS)), "to": str(today), **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_demo_history_fills_every_report_once(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DEMO_HISTORY_DAYS", str(DAYS))
    get_report_settings.cache_clear()
    said = composition.load_demo()
    assert any(line.startswith("reports: history generated") for line in said), said
    first = _counts()
    assert first[-2] > 0 and first[-1] > 0  # facts and daily rollups
    again = composition.load_demo()
    assert not any("history generated" in line for line in again)
    assert _counts() == first  # nothing new the second time `hub run` starts

    with TestClient(create_app()) as client:
        admin = token_for(client, "admin@hub.local", PASSWORD)
        marketer = token_for(client, "marketing@hub.local", PASSWORD)

        cells = {c["cell"]: c["count"] for c in _get(client, "lifecycle", marketer)["totals"]["cells"]}
        assert len(cells) == 9 and all(count > 0 for count in cells.values()), cells

        service = _get(client, "service", admin)["totals"]
        assert service["conversations"] > 100 and service["resolved"] > 100
        assert service["first_response"]["count"] > 0 and service["first_response"]["business_median_seconds"]
        assert service["bot_contained"] > 0 and service["bot_handoffs"] > 0 and 0 < service["bot_containment"] < 1

        agents = _get(client, "agents", admin)["rows"]
        assert {row["label"] for row in agents} >= {"陳美玲 Mei", "佐藤由紀 Yuki", "Sam Taylor"}
        assert all(row["replies"] > 0 and row["csat_responses"] > 0 for row in agents)

        csat = _get(client, "csat", admin)["totals"]
        assert csat["responses"] > 0 and 0 < csat["score"] <= 1 and csat["response_rate"] > 0

        sales = _get(client, "sales", marketer)["totals"]["currencies"]
        assert {m["currency"] for m in sales} == {"HKD", "JPY", "TWD"}
        assert all(m["orders"] > 0 for m in sales) and any(m["refunds"] for m in sales)
        for group_by in ("channel", "agent", "campaign", "flow"):
            rows = _get(client, "sales", marketer, group_by=group_by)["rows"]
            assert any(row["label"] and row["orders"] > 0 for row in rows), group_by

        campaigns = _get(client, "campaigns", marketer)["rows"]
        bought = [step["count"] for row in campaigns for step in row["funnel"] if step["step"] == "bought"]
        assert len(campaigns) >= 5 and sum(bought) > 0
        assert sum(row["store_visits"] for row in campaigns) > 0  # coupons redeemed at the demo store
