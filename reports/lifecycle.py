"""The 3 x 3 lifecycle matrix (purchase count x time since the last purchase) and how customers moved.

A cell here is the segment's cell: today's counts are `flows.segments`' own count of `{"lifecycle": [cell]}`,
with the thresholds it uses (`catalog.behaviour.BehaviourSettings`). A past matrix (the start of a
transition) counts the orders paid by then, refunds after then not yet undone, with the same bands
(`catalog.behaviour.cell`).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from catalog.behaviour import COUNT_BANDS, LIFECYCLE, RECENCY_BANDS, BehaviourSettings, cell
from catalog.models import Order, OrderEvent, OrderStatus
from flows.segments import service as segments
from hub.assignment.hours import zone
from hub.runtime.db import as_utc, utcnow
from reports.schemas_lifecycle import Cell, CellFigures, LifecycleReport, Matrix, Transition
from reports.settings import get_report_settings

CELLS = tuple(f"{count} {recency}" for count in COUNT_BANDS for recency in RECENCY_BANDS)


def moment_after(day: date, tz: str) -> datetime:
    """The end of a day in a time zone (a matrix "on" a day is the one at its midnight), never past now."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz)).astimezone(UTC)
    return min(end, utcnow())


def current(session: Session, at: datetime, settings: BehaviourSettings) -> dict[str, int]:
    """Per cell, as the segment of that cell counts at `at`."""
    return {name: segments.count(session, {"lifecycle": [name]}, at, settings=settings) for name in CELLS}


def cells_at(session: Session, at: datetime, settings: BehaviourSettings) -> dict[int, str]:
    """Each customer's cell at a past moment: orders paid by then that were not refunded by then."""
    refunded_by_then = (select(col(OrderEvent.order_id)).where(col(OrderEvent.kind) == "refunded",
                                                                col(OrderEvent.created_at) <= at))
    rows = session.execute(
        select(col(Order.contact_id), func.count(), func.max(col(Order.paid_at)))
        .where(col(Order.paid_at).is_not(None), col(Order.paid_at) <= at,
               or_(col(Order.status) == OrderStatus.paid.value,
                   (col(Order.status) == OrderStatus.refunded.value) & col(Order.id).not_in(refunded_by_then)))
        .group_by(col(Order.contact_id))).all()
    found: dict[int, str] = {}
    for contact_id, count, last in rows:
        name = cell(int(count), (at - as_utc(last)).days, settings)
        if name:
            found[int(contact_id)] = name.removeprefix(LIFECYCLE)
    return found


def _matrix(counts: dict[str, int], target: float) -> Matrix:
    customers = sum(counts.values())
    active = sum(count for name, count in counts.items() if name.endswith(" active"))
    share = round(active / customers, 4) if customers else 0.0
    return Matrix(customers=customers, active=active, active_share=share, target=target,
                  above_target=share >= target,
                  cells=[CellFigures(cell=Cell(name.replace(" ", "-")), count=counts[name],
                                     share=round(counts[name] / customers, 4) if customers else 0.0)
                         for name in CELLS])


def report(session: Session, *, start: date, end: date, tz: str, since: date | None) -> LifecycleReport:
    settings = BehaviourSettings()
    target = get_report_settings().active_target
    at = moment_after(end, tz)
    before = moment_after(start - timedelta(days=1), tz)
    origin = moment_after((since or start) - timedelta(days=1), tz)
    live = end >= datetime.now(zone(tz)).date()  # today's matrix: the segments' own counts
    now_counts = current(session, at, settings) if live else _counts(cells_at(session, at, settings))
    then = cells_at(session, origin, settings)
    later = cells_at(session, at, settings)
    moved = Counter((then.get(contact), later.get(contact)) for contact in set(then) | set(later))
    transitions = [Transition(from_cell=Cell(a.replace(" ", "-")) if a else None,
                              to_cell=Cell(b.replace(" ", "-")) if b else None, count=count)
                   for (a, b), count in sorted(moved.items(), key=lambda item: (str(item[0][0]), str(item[0][1])))]
    return LifecycleReport(
        range={"from": start, "to": end, "tz": tz},
        previous=_matrix(_counts(cells_at(session, before, settings)), target),
        totals=_matrix(now_counts, target), series=[], rows=_matrix(now_counts, target).cells,
        since=since or start, transitions=transitions, thresholds=_thresholds(settings))


def _counts(cells: dict[int, str]) -> dict[str, int]:
    counted = Counter(cells.values())
    return {name: counted.get(name, 0) for name in CELLS}


def _thresholds(settings: BehaviourSettings) -> dict[str, Any]:
    return {"repeat_from": settings.repeat_from, "loyal_from": settings.loyal_from,
            "active_days": settings.active_days, "sleeping_days": settings.sleeping_days}
