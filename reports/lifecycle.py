"""The 3 x 3 lifecycle matrix (purchase count x time since the last purchase) and how customers moved.

A cell here is the segment's cell: `flows.segments.compile.lifecycle_cell_number_of` bands each contact with the
bounds a `{"lifecycle": [cell]}` segment's predicate uses, and its thresholds (`BehaviourSettings`). The orders
are read once per report: one pass groups them by contact with the purchase count and the last purchase at
each moment the report needs (the end of the range, the start of the transitions, the start of the range),
and one grouped query counts the combinations of cells; on PostgreSQL that query counts ranges of contacts side
by side (a worker each) and sums them. Today's matrix counts paid orders as the segment does; a past one (the
start of the range, or of the transitions) counts the orders paid by then that were not refunded by then
(`Order.refunded_at`, read from the covering index with the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, cast, func, or_, select, true, union_all
from sqlmodel import Session, col

from catalog.behaviour import COUNT_BANDS, RECENCY_BANDS, BehaviourSettings
from catalog.models import Order, OrderStatus
from flows.segments.compile import lifecycle_cell_number_of
from hub.assignment.hours import zone
from hub.runtime.db import utcnow
from reports.schemas_lifecycle import Cell, CellFigures, LifecycleReport, Matrix, Transition
from reports.settings import get_report_settings

CELLS = tuple(f"{count} {recency}" for count in COUNT_BANDS for recency in RECENCY_BANDS)
MOST_PARTS = 8
"""The most ranges of contacts one report splits its count into, whatever the server's workers."""


def moment_after(day: date, tz: str) -> datetime:
    """The end of a day in a time zone (a matrix "on" a day is the one at its midnight), never past now."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz)).astimezone(UTC)
    return min(end, utcnow())


def _kept(at: datetime | None) -> Any:
    """An order that counts at `at`: None, paid now (the segment's reading); else paid by then and not refunded
    by then (a refunded order with no refund moment counts, as it always has)."""
    if at is None:
        return col(Order.status) == OrderStatus.paid.value
    return and_(col(Order.paid_at).is_not(None), col(Order.paid_at) <= at, or_(
        col(Order.status) == OrderStatus.paid.value,
        and_(col(Order.status) == OrderStatus.refunded.value,
             or_(col(Order.refunded_at).is_(None), col(Order.refunded_at) > at))))


def _combinations(session: Session, moments: Sequence[tuple[datetime, bool]], settings: BehaviourSettings,
                  contacts: ColumnElement[bool]) -> Select[Any]:
    """Customers per combination of cells, for the contacts `contacts` picks."""
    columns: list[Any] = []
    for n, (at, live) in enumerate(moments):
        kept = _kept(None if live else at)
        columns.append(func.count().filter(kept).label(f"count{n}"))
        columns.append(func.max(col(Order.paid_at)).filter(kept).label(f"last{n}"))
    per_contact = (select(*columns).select_from(Order)
                   .where(col(Order.paid_at).is_not(None) | (col(Order.status) == OrderStatus.paid.value))
                   .where(contacts)
                   .group_by(col(Order.contact_id)).subquery())
    cells = [lifecycle_cell_number_of(session, at, per_contact.c[f"count{n}"], per_contact.c[f"last{n}"],
                                      settings=settings).label(f"cell{n}") for n, (at, _) in enumerate(moments)]
    return select(*cells, func.count().label("customers")).group_by(*cells)


def _contact_ranges(session: Session) -> list[ColumnElement[bool]]:
    """The contacts split into ranges of ids, one per worker PostgreSQL may give a query
    (`max_parallel_workers_per_gather`, 2 by default), which counts each range in a worker of its own (Parallel
    Append); a contact's orders are all in one range. At 200,000 orders on two cores the report's query took 57 ms
    in two parts against 78 in one (three parts: 62). SQLite, no workers or no orders: one part, everyone."""
    if session.get_bind().dialect.name != "postgresql":
        return [true()]
    workers = cast(func.current_setting("max_parallel_workers_per_gather"), Integer)
    low, high, parts = session.execute(
        select(func.min(col(Order.contact_id)), func.max(col(Order.contact_id)), workers)).one()
    parts = min(int(parts or 0), MOST_PARTS)
    if low is None or parts < 2 or high - low < parts:
        return [true()]
    bounds = [low + (high - low + 1) * k // parts for k in range(1, parts)]
    contact = col(Order.contact_id)
    return [contact < bounds[0], *(and_(contact >= a, contact < b) for a, b in pairwise(bounds)),
            contact >= bounds[-1]]


def cells_at(session: Session, moments: Sequence[tuple[datetime, bool]], settings: BehaviourSettings
             ) -> dict[tuple[str | None, ...], int]:
    """Customers per combination of their cells at several moments ((moment, live) each: live, the orders paid
    now, else those paid by then and not refunded by then), reading the orders once: one pass groups them by
    contact with the purchase count and the last purchase at every moment, then the combinations are counted,
    in parts of the contacts that PostgreSQL may count side by side, then summed."""
    parts = [_combinations(session, moments, settings, contacts) for contacts in _contact_ranges(session)]
    if len(parts) == 1:
        query = parts[0]
    else:
        each = union_all(*parts).subquery()
        cells = [each.c[f"cell{n}"] for n in range(len(moments))]
        query = select(*cells, func.sum(each.c.customers)).group_by(*cells)
    rows = session.execute(query).all()
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
