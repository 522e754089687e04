"""Sales per currency (never summed across currencies), refunds counted on their own day, by agent and
channel; CSAT from hub.csat's events; campaigns side by side with their funnel and revenue."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient

from flows.campaigns.models import Campaign, Recipient
from hub import composition
from hub.runtime import events
from hub.runtime.db import session_scope
from reports import kinds
from reports.backfill import backfill
from tests.factories import token_for
from tests.reports.history import HK, History, Sale, in_range

FIRST, LAST = date(2026, 9, 21), date(2026, 10, 25)


def money(sales: list[Sale], first: date, last: date) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for sale in sales:
        entry = found.setdefault(sale.currency, {"orders": 0, "revenue_minor": 0, "refunds": 0, "refunded_minor": 0})
        if in_range(sale.paid, first, last, HK):
            entry["orders"] += 1
            entry["revenue_minor"] += sale.amount
        if sale.refunded and in_range(sale.refunded, first, last, HK):
            entry["refunds"] += 1
            entry["refunded_minor"] += sale.amount
    return {c: {**e, "net_minor": e["revenue_minor"] - e["refunded_minor"]} for c, e in found.items()
            if e["orders"] or e["refunds"]}


def test_sales_per_currency_with_refunds_on_their_own_day(world: tuple[TestClient, History]) -> None:
    client, history = world
    assert {s.currency for s in history.sales} == {"HKD", "JPY"} and any(s.refunded for s in history.sales)
    marketer = token_for(client, "market@reports.test")
    body = client.get("/api/v1/reports/sales", params={"from": str(FIRST), "to": str(LAST)}, headers=marketer).json()
    got = {m["currency"]: {k: v for k, v in m.items() if k != "currency"} for m in body["totals"]["currencies"]}
    assert got == money(history.sales, FIRST, LAST)
    refunded = next(s for s in history.sales if s.refunded)
    day = refunded.refunded.astimezone(HK).date()  # type: ignore[union-attr]
    narrow = client.get("/api/v1/reports/sales", params={"from": str(day), "to": str(day)}, headers=marketer).json()
    got = {m["currency"]: m for m in narrow["totals"]["currencies"]}
    assert got[refunded.currency]["refunds"] == money(history.sales, day, day)[refunded.currency]["refunds"]
    rows = client.get("/api/v1/reports/sales", params={"from": str(FIRST), "to": str(LAST), "group_by": "agent"},
                      headers=marketer).json()["rows"]
    for name, agent in history.agents.items():
        mine = money([s for s in history.sales if s.agent == agent], FIRST, LAST)
        for currency, figures in mine.items():
            row = next(r for r in rows if r["key"] == str(agent) and r["currency"] == currency)
            assert row["revenue_minor"] == figures["revenue_minor"], (name, currency)
    weekly = client.get("/api/v1/reports/sales", params={"from": str(FIRST), "to": str(LAST), "group_by": "week"},
                        headers=marketer).json()["series"]
    assert sum(p["orders"] for p in weekly if p["currency"] == "JPY") == money(history.sales, FIRST, LAST)["JPY"][
        "orders"]
    for group_by, key_of in (("week", lambda day: str(day - timedelta(days=day.weekday()))),  # its Monday
                             ("month", lambda day: day.strftime("%Y-%m"))):
        series = client.get("/api/v1/reports/sales", params={"from": str(FIRST), "to": str(LAST),
                                                             "group_by": group_by}, headers=marketer).json()["series"]
        orders: dict[tuple[str, str], int] = {}
        for sale in history.sales:
            day = sale.paid.astimezone(HK).date()
            if FIRST <= day <= LAST:
                orders[(key_of(day), sale.currency)] = orders.get((key_of(day), sale.currency), 0) + 1
        assert {(p["key"], p["currency"]): p["orders"] for p in series if p["orders"]} == orders, group_by


def test_agents_see_only_their_sales(world: tuple[TestClient, History]) -> None:
    client, history = world
    mei = token_for(client, "mei@reports.test")
    body = client.get("/api/v1/reports/sales", params={"from": str(FIRST), "to": str(LAST)}, headers=mei).json()
    hk, me = history.teams["hk"], history.agents["mei"]
    mine = money([s for s in history.sales if s.team == hk or s.agent == me], FIRST, LAST)
    got = {m["currency"]: {k: v for k, v in m.items() if k != "currency"} for m in body["totals"]["currencies"]}
    assert got == mine
    assert got != money(history.sales, FIRST, LAST)


def test_csat_score_and_response_rate_from_survey_events(world: tuple[TestClient, History]) -> None:
    client, history = world
    composition.wire()
    mei, yuki = history.agents["mei"], history.agents["yuki"]
    at = datetime(2026, 10, 5, 12, 0, tzinfo=HK)
    answers = {1: (mei, 5), 2: (mei, 4), 3: (mei, 2), 4: (yuki, 5), 5: (mei, None), 6: (yuki, None)}
    with session_scope() as session:
        for survey, (agent, rating) in answers.items():
            events.emit(session, kinds.CSAT_SENT, survey_id=survey, conversation_id=history.threads[survey].id,
                        agent_id=agent, team_id=None, channel_id=history.channels[0], at=at.isoformat())
            if rating:
                events.emit(session, kinds.CSAT_ANSWERED, survey_id=survey, conversation_id=history.threads[survey].id,
                            agent_id=agent, team_id=None, channel_id=history.channels[0], rating=rating,
                            comment="很好", at=(at + timedelta(minutes=5)).isoformat())
    admin = token_for(client, "boss@reports.test")
    body = client.get("/api/v1/reports/csat", params={"from": "2026-10-01", "to": "2026-10-31", "group_by": "agent"},
                      headers=admin).json()
    assert body["totals"]["sent"] == 6 and body["totals"]["responses"] == 4
    assert body["totals"]["score"] == 0.75 and body["totals"]["response_rate"] == round(4 / 6, 4)
    rows = {row["key"]: row for row in body["rows"]}
    assert rows[str(mei)]["score"] == round(2 / 3, 4) and rows[str(mei)]["response_rate"] == 0.75
    assert rows[str(yuki)]["score"] == 1.0 and rows[str(yuki)]["ratings"]["5"] == 1
    agents = client.get("/api/v1/reports/agents", params={"from": "2026-10-01", "to": "2026-10-31"},
                        headers=admin).json()  # the same ratings per agent, per day and in all, from one read
    by_agent = {row["key"]: row for row in agents["rows"]}
    assert (by_agent[str(mei)]["csat_responses"], by_agent[str(mei)]["csat_score"]) == (3, round(2 / 3, 4))
    assert (by_agent[str(yuki)]["csat_responses"], by_agent[str(yuki)]["csat_score"]) == (1, 1.0)
    assert (agents["totals"]["csat_responses"], agents["totals"]["csat_score"]) == (4, 0.75)
    assert {row["key"]: row["csat_responses"] for row in agents["series"] if row["csat_responses"]} == {
        "2026-10-05": 4}
    market = token_for(client, "market@reports.test")
    assert client.get("/api/v1/reports/csat", headers=market).status_code == 403


def test_campaigns_side_by_side(world: tuple[TestClient, History]) -> None:
    client, history = world
    launched = datetime(2026, 10, 2, 10, 0, tzinfo=HK)
    with session_scope() as session:
        ids = []
        for name in ("雙十一 A/B", "秋の新作"):
            campaign = Campaign(name=name, status="done", launched_at=launched, created_at=launched,
                                variants=[{"name": "A", "text": "hi"}, {"name": "B", "text": "hey"}])
            session.add(campaign)
            session.flush()
            ids.append(campaign.id or 0)
        contact_ids = [t for t in range(1, 21)]
        for n, contact in enumerate(contact_ids):
            session.add(Recipient(campaign_id=ids[0], contact_id=contact, variant="AB"[n % 2], state="sent",
                                  sent_at=launched, delivered_at=launched if n < 16 else None,
                                  read_at=launched if n < 10 else None, replied_at=launched if n < 4 else None,
                                  converted_at=launched if n in (0, 2, 3) else None))
        from catalog.models import Order

        session.add(Order(number="C-1", contact_id=1, campaign_id=ids[0], currency="HKD", total_minor=29600,
                          status="paid", paid_at=launched + timedelta(hours=1)))
        session.add(Order(number="C-2", contact_id=2, campaign_id=ids[0], currency="JPY", total_minor=5000,
                          status="paid", paid_at=launched + timedelta(hours=2)))
    backfill(say=lambda _: None)
    marketer = token_for(client, "market@reports.test")
    body = client.get("/api/v1/reports/campaigns", params={"from": "2026-10-01", "to": "2026-10-31"},
                      headers=marketer).json()
    rows = {row["label"]: row for row in body["rows"]}
    assert set(rows) == {"雙十一 A/B", "秋の新作"}
    funnel = {step["step"]: step["count"] for step in rows["雙十一 A/B"]["funnel"]}
    assert funnel == {"sent": 20, "delivered": 16, "read": 10, "clicked": 0, "replied": 4, "bought": 3}
    assert {m["currency"]: m["revenue_minor"] for m in rows["雙十一 A/B"]["revenue"]} == {"HKD": 29600, "JPY": 5000}
    assert rows["雙十一 A/B"]["ab_test"][0]["a"] == "A" and "p_value" in rows["雙十一 A/B"]["ab_test"][0]["replied"]
    assert body["totals"]["campaigns"] == 2
    only = client.get("/api/v1/reports/campaigns", params={"campaign_id": ids[1]}, headers=marketer).json()
    assert [row["label"] for row in only["rows"]] == ["秋の新作"]
    agent = token_for(client, "mei@reports.test")
    assert client.get("/api/v1/reports/campaigns", headers=agent).status_code == 403


def test_the_sales_csv_keeps_to_the_tag_filter_as_the_report_does(world: tuple[TestClient, History]) -> None:
    import csv
    import io

    from sqlmodel import select

    from catalog.models import Order

    client, history = world
    vip = {t.id for t in history.threads if "VIP" in t.tags}
    with session_scope() as session:
        in_vip = {int(o.id or 0) for o in session.exec(select(Order)) if o.conversation_id in vip}
    tagged = [s for s in history.sales if s.id in in_vip]
    marketer = token_for(client, "market@reports.test")
    params = {"from": str(FIRST), "to": str(LAST), "tag": "VIP"}
    sheet = client.get("/api/v1/reports/sales", params={**params, "format": "csv"}, headers=marketer)
    rows = list(csv.DictReader(io.StringIO(sheet.text.removeprefix("\ufeff"))))
    paid = sorted(int(r["order_id"]) for r in rows if r["event"] == "paid")
    assert paid == sorted(s.id for s in tagged if in_range(s.paid, FIRST, LAST, HK))
    assert 0 < len(paid) < len([s for s in history.sales if in_range(s.paid, FIRST, LAST, HK)])
    body = client.get("/api/v1/reports/sales", params=params, headers=marketer).json()
    assert sum(m["orders"] for m in body["totals"]["currencies"]) == len(paid)
