"""Sales per currency: orders paid and refunded, by time and by who or what is credited (catalog's
attribution: channel, agent, campaign; flows when they credit orders; the store of a till sale)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from catalog.stores.models import Store
from flows.campaigns.models import Campaign
from flows.journeys.models import Flow
from reports import kinds
from reports.helpdesk import labels
from reports.query import DIMENSION, TIME_GROUPS, GroupBy, Key, Range, tally, tally_each
from reports.schemas import DateRange
from reports.schemas_sales import Money, SalesFigures, SalesPoint, SalesReport

KINDS = (kinds.ORDER_PAID, kinds.ORDER_REFUNDED)


def _money(counts: dict[Key, list[int]], by: Sequence[str]) -> dict[Key, Money]:
    """Keyed by (*by values, currency)."""
    found: dict[Key, Money] = {}
    for (kind, *rest), (count, amount) in counts.items():
        key = tuple(rest)
        money = found.setdefault(key, Money(currency=str(key[-1] or "")))
        if kind == kinds.ORDER_PAID:
            money.orders += count
            money.revenue_minor += amount
        else:
            money.refunds += count
            money.refunded_minor += amount
        money.net_minor = money.revenue_minor - money.refunded_minor
    return found


def _figures(counts: dict[Key, list[int]]) -> SalesFigures:
    money = _money(counts, ["currency"])
    return SalesFigures(currencies=[money[key] for key in sorted(money, key=str)])


def _names(session: Session, q: Range, keys: list[Any]) -> dict[Any, str]:
    if q.group_by == GroupBy.campaign:
        ids = [k for k in keys if isinstance(k, int)]
        return {int(i): str(n) for i, n in session.execute(select(col(Campaign.id), col(Campaign.name))
                                                             .where(col(Campaign.id).in_(ids)))} if ids else {}
    if q.group_by == GroupBy.flow:
        ids = [k for k in keys if isinstance(k, int)]
        return {int(i): str(n) for i, n in session.execute(select(col(Flow.id), col(Flow.name))
                                                             .where(col(Flow.id).in_(ids)))} if ids else {}
    if q.group_by == GroupBy.store:  # the row of no store (key "") is the orders made online
        ids = [k for k in keys if isinstance(k, int)]
        return {int(i): str(n) for i, n in session.execute(select(col(Store.id), col(Store.name))
                                                             .where(col(Store.id).in_(ids)))} if ids else {}
    return labels(session, q.group_by, keys)


def report(session: Session, q: Range) -> SalesReport:
    by_group = q.group_by not in TIME_GROUPS and q.group_by in DIMENSION
    totals, by_time, *by_dimension = tally_each(  # one read of the range for its three groupings
        session, q, KINDS, [["currency"], ["time", "currency"], *([["group", "currency"]] if by_group else [])])
    series = _money(by_time, ["time", "currency"])
    rows: dict[Key, Money] = _money(by_dimension[0], ["group", "currency"]) if by_group else {}
    names = _names(session, q, [key[0] for key in rows])
    order = sorted(rows, key=lambda key: (str(key[0] if key[0] is not None else ""), str(key[1])))
    return SalesReport(
        range=DateRange(from_=q.start, to=q.end, tz=q.tz),
        previous=_figures(tally(session, q.previous(), KINDS, ["currency"])),
        totals=_figures(totals),
        series=[SalesPoint(key=str(key[0]), **series[key].model_dump()) for key in sorted(series, key=str)],
        rows=[SalesPoint(key="" if key[0] is None else str(key[0]), label=names.get(key[0]),
                         **rows[key].model_dump()) for key in order])
