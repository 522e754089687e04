"""The 3 x 3 lifecycle matrix (purchase count x time since the last purchase) and how customers moved.

A cell here is the segment's cell: each is counted with `flows.segments.compile.lifecycle_cell`, the very
predicate a `{"lifecycle": [cell]}` segment uses, with the thresholds it uses (`BehaviourSettings`), all nine
in one grouped query. Today's matrix counts paid orders as the segment does; a past one (the start of the
range, or of the transitions) counts the orders paid by then that were not refunded by then.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, literal, or_, select, union_all
from sqlmodel import Session, col

from catalog.behaviour import COUNT_BANDS, RECENCY_BANDS, BehaviourSettings
from catalog.models import Order, OrderEvent, OrderStatus
from flows.segments.compile import lifecycle_cell
from hub.assignment.hours import zone
from hub.runtime.db import utcnow
from reports.schemas_lifecycle import Cell, CellFigures, LifecycleReport, Matrix, Transition
from reports.settings import get_report_settings

CELLS = tuple(f"{count} {recency}" for count in COUNT_BANDS for recency in RECENCY_BANDS)


def moment_after(day: date, tz: str) -> datetime:
    """The end of a day in a time zone (a matrix "on" a day is the one at its midnight), never past now."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz)).astimezone(UTC)
    return min(end, utcnow())


def _cells(session: Session, at: datetime, settings: BehaviourSettings, *, live: bool) -> Any:
    """(contact_id, cell) of every customer at `at`: `live`, the orders paid now (the segment's own reading);
    else the orders paid by `at` and not refunded by then."""
    cell = case(*[(lifecycle_cell(session, name, at, settings=settings), name) for name in CELLS], else_=None)
    query = select(col(Order.contact_id).label("contact_id"), cell.label("cell"))
    if live:
        query = query.where(col(Order.status) == OrderStatus.paid.value)
    else:
        refunded_by_then = select(col(OrderEvent.order_id)).where(col(OrderEvent.kind) == "refunded",
                                                                  col(OrderEvent.created_at) <= at)
        query = query.where(col(Order.paid_at).is_not(None), col(Order.paid_at) <= at, or_(
            col(Order.status) == OrderStatus.paid.value,
            (col(Order.status) == OrderStatus.refunded.value) & col(Order.id).not_in(refunded_by_then)))
    return query.group_by(col(Order.contact_id))


def counts(session: Session, at: datetime, settings: BehaviourSettings, *, live: bool) -> dict[str, int]:
    """Customers per cell at `at`, in one grouped query."""
    cells = _cells(session, at, settings, live=live).subquery()
    found = dict(session.execute(select(cells.c.cell, func.count()).group_by(cells.c.cell)).tuples().all())
    return {name: int(found.get(name, 0)) for name in CELLS}


def moves(session: Session, then: datetime, now: datetime, settings: BehaviourSettings, *, live: bool
          ) -> dict[tuple[str | None, str | None], int]:
    """Customers per (cell at `then`, cell at `now`); None: no purchase yet (or none left)."""
    before = _cells(session, then, settings, live=False).subquery()
    after = _cells(session, now, settings, live=live).subquery()
    sides = union_all(select(before.c.contact_id, before.c.cell.label("before"), literal(None).label("after")),
                      select(after.c.contact_id, literal(None), after.c.cell)).subquery()
    pairs = (select(func.max(sides.c.before).label("before"), func.max(sides.c.after).label("after"))
             .group_by(sides.c.contact_id).subquery())
    rows = session.execute(select(pairs.c.before, pairs.c.after, func.count())
                           .group_by(pairs.c.before, pairs.c.after)).all()
    return {(before_cell, after_cell): int(n) for before_cell, after_cell, n in rows}


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
    now_counts = counts(session, at, settings, live=live)
    moved = moves(session, moment_after((since or start) - timedelta(days=1), tz), at, settings, live=live)
    transitions = [Transition(from_cell=_cell(a), to_cell=_cell(b), count=n)
                   for (a, b), n in sorted(moved.items(), key=lambda item: (str(item[0][0]), str(item[0][1])))
                   if a or b]
    totals = _matrix(now_counts, target)
    return LifecycleReport(
        range={"from": start, "to": end, "tz": tz},
        previous=_matrix(counts(session, moment_after(start - timedelta(days=1), tz), settings, live=False), target),
        totals=totals, series=[], rows=totals.cells, since=since or start, transitions=transitions,
        thresholds={"repeat_from": settings.repeat_from, "loyal_from": settings.loyal_from,
                    "active_days": settings.active_days, "sleeping_days": settings.sleeping_days})
