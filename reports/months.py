"""Month histograms: a closed month's daily duration histograms summed once per kind, cut and dimension, so a
report over a quarter reads one row per month and agent instead of one per day.

A month row is a `DurationHistogram` row whose `cut` is "m:" + the day rows' cut and whose `day` is the month's
first day. A report uses it only while its count equals the sum of the counts of the month's day rows: facts are
only ever added to a day, so a fact recorded into a month after it was folded (a late webhook, a till's
imported sales) makes the report read that month's days again, until the next fold. `fold` runs every few hours
in the maintenance pool and after a rebuild; it folds the closed months whose rows are missing or no longer add
up. Safe in N copies and to run again: each month of a kind is replaced in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from hub.assignment.hours import zone
from hub.runtime import Periodic
from hub.runtime.db import session_scope, utcnow
from reports import histogram
from reports.models import DurationHistogram
from reports.query import GroupBy, day_bucket, named
from reports.settings import get_report_settings

PREFIX = "m:"
BANDS = 5  # reports.spread.BUCKETS


def month_cut(cut: str) -> str:
    return PREFIX + cut


def first_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def today() -> date:
    return utcnow().astimezone(zone(get_report_settings().timezone)).date()


def whole_months(start: date, end: date, now: date) -> list[date]:
    """The first days of the months that lie wholly inside [start, end] and ended before `now`."""
    month = first_of(start) if start.day == 1 else next_month(start)
    found = []
    while next_month(month) - timedelta(days=1) <= end and next_month(month) <= now:
        found.append(month)
        month = next_month(month)
    return found


def _month(session: Session) -> Any:
    return day_bucket(session.get_bind().dialect.name, col(DurationHistogram.day), GroupBy.month)


def day_sums(session: Session, kinds: Sequence[str], cuts: Sequence[str], first: date, last: date
             ) -> dict[tuple[str, str, str, int], int]:
    """The day rows' counts from `first` to `last` (inclusive) summed per (kind, cut, "YYYY-MM", dim_id)."""
    h = DurationHistogram
    month = _month(session)
    rows = session.connection().execute(
        select(col(h.kind), col(h.cut), month, col(h.dim_id), func.sum(col(h.count)))
        .where(col(h.kind).in_(list(kinds)), col(h.cut).in_(list(cuts)), col(h.day) >= first, col(h.day) <= last)
        .group_by(col(h.kind), col(h.cut), month, col(h.dim_id)))
    return {(kind, cut, str(named(m, GroupBy.month)), int(dim)): int(n or 0) for kind, cut, m, dim, n in rows}


def _merged(rows: Sequence[Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """Day rows (cut, dim_id, count, flagged, bands, wall, business) summed per (cut, dim_id)."""
    index: dict[tuple[str, int], int] = {}
    groups = np.fromiter((index.setdefault((row[0], int(row[1])), len(index)) for row in rows), dtype=np.int64,
                         count=len(rows))
    size = len(index)
    counts = np.bincount(groups, weights=[row[2] for row in rows], minlength=size)
    flagged = np.bincount(groups, weights=[row[3] for row in rows], minlength=size)
    bands = np.zeros((size, BANDS), dtype=np.int64)
    np.add.at(bands, groups, histogram.fixed([row[4] for row in rows], BANDS))
    walls = histogram.sums(histogram.packed([row[5] for row in rows]), groups, size)
    businesses = histogram.sums(histogram.packed([row[6] for row in rows]), groups, size)
    return {key: {"count": int(counts[n]), "flagged": int(flagged[n]), "bands": histogram.dumps(bands[n].tolist()),
                  "wall": histogram.dumps(histogram.of_dense(walls[n])),
                  "business": histogram.dumps(histogram.of_dense(businesses[n]))}
            for key, n in index.items()}


def fold_month(session: Session, kind: str, month: date) -> int:
    """Replace a month's rows of one kind with the sums of its day rows; how many rows."""
    h = DurationHistogram
    last = next_month(month) - timedelta(days=1)
    query = (select(col(h.cut), col(h.dim_id), col(h.count), col(h.flagged), col(h.bands), col(h.wall),
                    col(h.business))
             .where(col(h.kind) == kind, col(h.cut).not_like(f"{PREFIX}%"), col(h.day) >= month, col(h.day) <= last,
                    col(h.count) > 0))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)  # a fact added meanwhile waits, and then no longer adds up
    rows = session.execute(query).all()
    session.execute(delete(h).where(col(h.kind) == kind, col(h.cut).like(f"{PREFIX}%"), col(h.day) == month))
    if not rows:
        return 0
    merged = _merged(rows)
    table = h.__table__  # type: ignore[attr-defined]
    session.execute(table.insert(), [{"kind": kind, "cut": month_cut(cut), "day": month, "dim_id": dim, **values}
                                     for (cut, dim), values in sorted(merged.items())])
    return len(merged)


def stale(session: Session, now: date) -> list[tuple[str, date]]:
    """The closed months (kind, first day) whose month rows are missing or no longer add up to their days'."""
    h = DurationHistogram
    current = first_of(now)
    days = {(kind, cut, m, dim): n for (kind, cut, m, dim), n in day_sums(
        session, *_present(session), date(1, 1, 1), current - timedelta(days=1)).items() if n}
    months = {(kind, cut.removeprefix(PREFIX), day.strftime("%Y-%m"), int(dim)): int(n)
              for kind, cut, day, dim, n in session.execute(
                  select(col(h.kind), col(h.cut), col(h.day), col(h.dim_id), col(h.count))
                  .where(col(h.cut).like(f"{PREFIX}%")))}
    found = {(key[0], key[2]) for key in days.keys() | months.keys() if days.get(key) != months.get(key)}
    return sorted((kind, date(int(m[:4]), int(m[5:7]), 1)) for kind, m in found)


def _present(session: Session) -> tuple[list[str], list[str]]:
    h = DurationHistogram
    kinds = list(session.execute(select(col(h.kind)).distinct()).scalars())
    cuts = [c for c in session.execute(select(col(h.cut)).distinct()).scalars() if not c.startswith(PREFIX)]
    return kinds, cuts


def fold(session: Session, now: date | None = None) -> int:
    """Fold every stale closed month; how many month rows were written."""
    return sum(fold_month(session, kind, month) for kind, month in stale(session, now or today()))


def fold_job() -> int:
    """Job: each stale month in a transaction of its own."""
    written = 0
    with session_scope() as session:
        todo = stale(session, today())
    for kind, month in todo:
        with session_scope() as session:
            written += fold_month(session, kind, month)
    return written


EVERY_FEW_HOURS = Periodic(fold_job, every=timedelta(hours=3), timeout=600)
