"""Campaigns side by side: each one's funnel (sent → delivered → read → clicked → replied → bought), its
revenue per currency and its A/B test, from flows' own recipient counts (`flows.campaigns.stats`, one
grouped query for all the campaigns) and the per-campaign totals of the order facts credited to them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from catalog.stores import coupons
from flows.campaigns import stats
from flows.campaigns.models import Campaign
from reports import kinds
from reports.models import CampaignTotal
from reports.query import Range, tally
from reports.schemas import DateRange
from reports.schemas_sales import CampaignRow, CampaignsReport, CampaignTotals, FunnelStep, Money

STEPS = (("sent", "sent"), ("delivered", "delivered"), ("read", "read"), ("clicked", "clicked"),
         ("replied", "replied"), ("bought", "converted"))
MESSAGES = (kinds.MESSAGE_SENT, kinds.MESSAGE_DELIVERED, kinds.MESSAGE_READ, kinds.MESSAGE_FAILED)


def chosen(session: Session, q: Range, ids: Sequence[int]) -> list[Campaign]:
    """The campaigns asked for, else those launched (or, never launched, created) in the range."""
    query = select(Campaign).order_by(col(Campaign.id))
    if ids:
        return list(session.execute(query.where(col(Campaign.id).in_(list(ids)))).scalars())
    start, end = q.bounds
    launched = col(Campaign.launched_at)
    return list(session.execute(query.where(or_(
        (launched >= start) & (launched < end),
        launched.is_(None) & (col(Campaign.created_at) >= start) & (col(Campaign.created_at) < end)))).scalars())


def _revenue(session: Session, campaign_ids: list[int]) -> dict[int, dict[str, Money]]:
    found: dict[int, dict[str, Money]] = {}
    if not campaign_ids:
        return found
    t = CampaignTotal
    for campaign_id, kind, currency, count, amount in session.execute(
            select(col(t.campaign_id), col(t.kind), col(t.currency), col(t.count), col(t.amount_minor))
            .where(col(t.campaign_id).in_(campaign_ids))):
        money = found.setdefault(int(campaign_id), {}).setdefault(str(currency), Money(currency=str(currency)))
        if kind == kinds.ORDER_PAID:
            money.orders += int(count)
            money.revenue_minor += int(amount or 0)
        else:
            money.refunds += int(count)
            money.refunded_minor += int(amount or 0)
        money.net_minor = money.revenue_minor - money.refunded_minor
    return found


def _funnel(numbers: dict[str, Any]) -> list[FunnelStep]:
    return [FunnelStep(step=step, count=int(numbers[name]), rate=float(numbers[f"{name}_rate"]))
            for step, name in STEPS]


def _rows(session: Session, campaigns: list[Campaign]) -> list[CampaignRow]:
    revenue = _revenue(session, [c.id or 0 for c in campaigns])
    visits = coupons.visits(session=session, campaign_ids=[c.id or 0 for c in campaigns])
    numbered = stats.counts_of(session, [c.id or 0 for c in campaigns])
    rows = []
    for campaign in campaigns:
        numbers, variants = numbered[campaign.id or 0]
        rows.append(CampaignRow(
            key=str(campaign.id), label=campaign.name, status=campaign.status,
            launched_at=campaign.launched_at.isoformat() if campaign.launched_at else None,
            recipients=int(numbers["recipients"]), skipped=int(numbers["skipped"]), funnel=_funnel(numbers),
            revenue=sorted(revenue.get(campaign.id or 0, {}).values(), key=lambda m: m.currency),
            store_visits=visits.get(campaign.id or 0, 0),
            stores=coupons.visits_by_store(session=session, campaign_id=campaign.id or 0),
            variants=variants, ab_test=stats.ab_comparison(variants)))
    return rows


def _totals(rows: list[CampaignRow]) -> CampaignTotals:
    counts = {step: sum(next(s.count for s in row.funnel if s.step == step) for row in rows) for step, _ in STEPS}
    base = sum(row.recipients - row.skipped for row in rows)
    money: dict[str, Money] = {}
    for row in rows:
        for item in row.revenue:
            total = money.setdefault(item.currency, Money(currency=item.currency))
            for name in ("orders", "revenue_minor", "refunds", "refunded_minor", "net_minor"):
                setattr(total, name, getattr(total, name) + getattr(item, name))
    return CampaignTotals(campaigns=len(rows), recipients=sum(row.recipients for row in rows),
                          funnel=[FunnelStep(step=step, count=count, rate=round(count / base, 4) if base else 0.0)
                                  for step, count in counts.items()],
                          revenue=sorted(money.values(), key=lambda m: m.currency),
                          store_visits=sum(row.store_visits for row in rows))


def report(session: Session, q: Range, campaign_ids: Sequence[int]) -> CampaignsReport:
    rows = _rows(session, chosen(session, q, campaign_ids))
    before = _rows(session, chosen(session, q.previous(), ())) if not campaign_ids else []
    series: dict[str, dict[str, int | str]] = {}
    for kind, key, count in _sent(session, q, [int(row.key) for row in rows] if campaign_ids else None):
        point = series.setdefault(key, {"key": key, "sent": 0, "delivered": 0, "read": 0, "failed": 0})
        point[kind.split(".")[1]] = int(point[kind.split(".")[1]]) + count
    return CampaignsReport(range=DateRange(from_=q.start, to=q.end, tz=q.tz), previous=_totals(before),
                           totals=_totals(rows), series=[series[key] for key in sorted(series)], rows=rows)


def _sent(session: Session, q: Range, wanted: list[int] | None) -> list[tuple[str, str, int]]:
    """(kind, day / week / month, count) of the campaigns' messages (all campaigns', or those `wanted`), with
    the range's filters (from the rollups where they serve)."""
    return [(kind, key, count) for (kind, key, campaign_id), (count, _) in
            tally(session, q, MESSAGES, ["time", "campaign_id"]).items()
            if campaign_id and (wanted is None or campaign_id in wanted)]
