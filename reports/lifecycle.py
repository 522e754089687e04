"""The 3 x 3 lifecycle matrix (purchase count x time since the last purchase) and how customers moved.

A cell here is the segment's cell: `flows.segments.compile.lifecycle_cell_number_of` bands each contact with the
bounds a `{"lifecycle": [cell]}` segment's predicate uses, and its thresholds (`BehaviourSettings`). The orders
are read once per report: one pass groups them by contact with the purchase count and the last purchase at
each moment the report needs (the end of the range, the start of the transitions, the start of the range),
and one grouped query counts the combinations of cells. Today's matrix counts paid orders as the segment does;
a past one (the start of the range, or of the transitions) counts the orders paid by then that were not
refunded by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session, col

from catalog.behaviour import COUNT_BANDS, RECENCY_BANDS, BehaviourSettings
from catalog.models import Order, OrderEvent, OrderStatus
from flows.segments.compile import lifecycle_cell_number_of
from hub.assignment.hours import zone
from hub.runtime.db import utcnow
from reports.schemas_lifecycle import Cell, CellFigures, LifecycleReport, Matrix, Transition
from reports.settings import get_report_settings

CELLS = tuple(f"{count} {recency}" for count in COUNT_BANDS for recency in RECENCY_BANDS)


def moment_after(day: date, tz: str) -> datetime:
    """The end of a day in a time zone (a matrix "on" a day is the one at its midnight), never past now."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz)).astimezone(UTC)
    return min(end, utcnow())


def _kept(at: datetime | None, refunded_at: Any) -> Any:
    """An order that counts at `at`: None, paid now (the segment's reading); else paid by then and not refunded
    by then (a refunded order without a refund event counts, as it always has)."""
    if at is None:
        return col(Order.status) == OrderStatus.paid.value
    return and_(col(Order.paid_at).is_not(None), col(Order.paid_at) <= at, or_(
        col(Order.status) == OrderStatus.paid.value,
        and_(col(Order.status) == OrderStatus.refunded.value, or_(refunded_at.is_(None), refunded_at > at))))


def cells_at(session: Session, moments: Sequence[tuple[datetime, bool]], settings: BehaviourSettings
             ) -> dict[tuple[str | None, ...], int]:
    """Customers per combination of their cells at several moments ((moment, live) each: live, the orders paid
    now, else those paid by then and not refunded by then), reading the orders once: one pass groups them by
    contact with the purchase count and the last purchase at every moment, then the combinations are counted.
    A refund's moment is looked up only for a refunded order (a join would visit every order)."""
    refunded_at = case((col(Order.status) == OrderStatus.refunded.value,
                        select(func.min(col(OrderEvent.created_at)))
                        .where(col(OrderEvent.order_id) == col(Order.id), col(OrderEvent.kind) == "refunded")
                        .scalar_subquery()), else_=None)
    columns: list[Any] = []
    for n, (at, live) in enumerate(moments):
        kept = _kept(None if live else at, refunded_at)
        columns.append(func.count().filter(kept).label(f"count{n}"))
        columns.append(func.max(col(Order.paid_at)).filter(kept).label(f"last{n}"))
    per_contact = (select(*columns).select_from(Order)
                   .where(col(Order.paid_at).is_not(None) | (col(Order.status) == OrderStatus.paid.value))
                   .group_by(col(Order.contact_id)).subquery())
    cells = [lifecycle_cell_number_of(session, at, per_contact.c[f"count{n}"], per_contact.c[f"last{n}"],
                                      settings=settings).label(f"cell{n}") for n, (at, _) in enumerate(moments)]
    rows = session.execute(select(*cells, func.count()).group_by(*cells)).all()
    return {tuple(None if number is None else CELLS[int(number)] for number in row[:-1]): int(row[-1])
            for row in rows}


def _sum(found: dict[tuple[str | None, ...], int], index: int) -> dict[str, int]:
    counts = dict.fromkeys(CELLS, 0)
    for key, n in found.items():
        if key[index] is not None:
            counts[str(key[index])] += n
    return counts


def _pairs(found: dict[tuple[str | None, ...], int], before: int, after: int
           ) -> dict[tuple[str | None, str | None], int]:
    pairs: dict[tuple[str | None, str | None], int] = {}
    for key, n in found.items():
        pairs[(key[before], key[after])] = pairs.get((key[before], key[after]), 0) + n
    return pairs


def _cell(name: str | None) -> Cell | None:
    return Cell(name.replace(" ", "-")) if name else None


def _matrix(found: dict[str, int], target: float) -> Matrix:
    customers = sum(found.values())
    active = sum(count for name, count in found.items() if name.endswith(" active"))
    share = round(active / customers, 4) if customers else 0.0
    return Matrix(customers=customers, active=active, active_share=share, target=target,
                  above_target=share >= target,
                  cells=[CellFigures(cell=Cell(name.replace(" ", "-")), count=found[name],
                                     share=round(found[name] / customers, 4) if customers else 0.0)
                         for name in CELLS])


def report(session: Session, *, start: date, end: date, tz: str, since: date | None) -> LifecycleReport:
    settings = BehaviourSettings()
    target = get_report_settings().active_target
    at = moment_after(end, tz)
    live = end >= datetime.now(zone(tz)).date()  # today's matrix: the segments' own reading
    then = moment_after((since or start) - timedelta(days=1), tz)
    previous_at = moment_after(start - timedelta(days=1), tz)
    moments = [(at, live), (then, False), *([(previous_at, False)] if previous_at != then else [])]
    found = cells_at(session, moments, settings)  # the orders read once for the three matrices
    now_counts = _sum(found, 0)
    moved = _pairs(found, 1, 0)
    transitions = [Transition(from_cell=_cell(a), to_cell=_cell(b), count=n)
                   for (a, b), n in sorted(moved.items(), key=lambda item: (str(item[0][0]), str(item[0][1])))
                   if a or b]
    totals = _matrix(now_counts, target)
    return LifecycleReport(
        range={"from": start, "to": end, "tz": tz},
        previous=_matrix(_sum(found, len(moments) - 1), target),
        totals=totals, series=[], rows=totals.cells, since=since or start, transitions=transitions,
        thresholds={"repeat_from": settings.repeat_from, "loyal_from": settings.loyal_from,
                    "active_days": settings.active_days, "sleeping_days": settings.sleeping_days})
