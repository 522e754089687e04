"""Durations summed up per group: how many, median and p90 (wall-clock and business hours), how many broke
the deadline, and the first-response distribution.

For a range in the shop's time zone, without tags or an asker's scope, where a grouping and the filters
name at most one of agent, team and channel, the daily histograms answer (`reports.histogram`: medians and
p90 within 3.9 %; counts, deadlines and the distribution exact), whatever the database. Otherwise, on
PostgreSQL, for a range in the shop's time zone without tags, the database computes them from the facts
(`percentile_cont`, one grouped query per grouping); elsewhere Python does (`reports.query.durations_each`).
All interpolate between ranks alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import Integer, and_, case, cast, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col

from reports import histogram
from reports import months as months_of
from reports.models import DurationHistogram, ReportEvent
from reports.query import (
    DIMENSION,
    TIME_GROUPS,
    GroupBy,
    Key,
    Range,
    Sample,
    bucket,
    durations_each,
    filters,
    group_column,
    named,
    ranked,
    set_masks,
)
from reports.settings import get_report_settings

BUCKETS = (("0-1h", 0, 1), ("1-4h", 1, 4), ("4-8h", 4, 8), ("8-24h", 8, 24), (">24h", 24, None))


@dataclass
class Spread:
    count: int = 0
    median: float | None = None
    p90: float | None = None
    business_median: float | None = None
    business_p90: float | None = None
    flagged: int = 0
    buckets: dict[str, int] = field(default_factory=lambda: {name: 0 for name, _, _ in BUCKETS})


def of_sample(sample: Sample) -> Spread:
    wall, business = sorted(sample.seconds), sorted(sample.business)
    found = Spread(count=len(wall), flagged=sample.flagged)
    if wall:
        found.median, found.p90 = ranked(wall, 0.5), ranked(wall, 0.9)
        found.business_median, found.business_p90 = ranked(business, 0.5), ranked(business, 0.9)
    for seconds in wall:
        hours = seconds / 3600
        name = next(n for n, low, high in BUCKETS if hours >= low and (high is None or hours < high))
        found.buckets[name] += 1
    return found


def _in_database(session: Session, q: Range, bys: Sequence[Sequence[str]]) -> bool:
    return (session.get_bind().dialect.name == "postgresql" and q.tz == get_report_settings().timezone
            and q.tag is None and not (q.group_by == GroupBy.tag and any("group" in by for by in bys)))


def _summed(session: Session, q: Range, kind: str, bys: Sequence[Sequence[str]]) -> list[dict[Key, Spread]]:
    """Every grouping in one scan (GROUPING SETS); GROUPING() says which set a row belongs to."""
    e = ReportEvent
    start, end = q.bounds
    names = sorted({name for by in bys for name in by})
    keys = [group_column("postgresql", ReportEvent, name, q) for name in names]
    seconds = col(e.seconds)
    shares = postgresql.array([0.5, 0.9])
    hours = [func.sum(cast(case(((seconds >= low * 3600) & (seconds < (high or 10**9) * 3600), 1), else_=0),
                           Integer)) for _, low, high in BUCKETS]
    query = (select(*keys, func.count(), func.percentile_cont(shares).within_group(seconds),
                    func.percentile_cont(shares).within_group(col(e.business_seconds)),
                    func.sum(cast(case((col(e.value) > 0, 1), else_=0), Integer)), *hours)
             .where(col(e.kind) == kind, col(e.at) >= start, col(e.at) < end, *filters(q, e)))
    masks = set_masks(names, bys)
    if keys:
        query = query.add_columns(func.grouping(*keys)).group_by(
            func.grouping_sets(*[tuple_(*[keys[names.index(name)] for name in by]) for by in bys]))
    found: list[dict[Key, Spread]] = [{} for _ in bys]
    for row in session.connection().execute(query):
        mask = int(row[-1]) if keys else 0
        count, wall, business, flagged, *counts = row[len(keys):len(keys) + 4 + len(BUCKETS)]
        if not count:
            continue
        values = dict(zip(names, [named(value, q.time_group) for value in row[:len(keys)]], strict=True))
        for index in masks.get(mask, []):
            found[index][tuple(values[name] for name in bys[index])] = Spread(
                count=int(count), median=wall[0], p90=wall[1], business_median=business[0],
                business_p90=business[1], flagged=int(flagged or 0),
                buckets={name: int(n or 0) for (name, _, _), n in zip(BUCKETS, counts, strict=True)})
    return found


def _cut(q: Range, by: Sequence[str]) -> str | None:
    """The histogram cut that answers this grouping of this range, if one does."""
    if q.tz != get_report_settings().timezone or q.tag is not None or q.scope is not None:
        return None
    dims = {name for name in ("channel_id", "team_id", "agent_id") if getattr(q, name) is not None}
    for name in by:
        if name == "group" and q.group_by not in TIME_GROUPS:
            if q.group_by not in (GroupBy.agent, GroupBy.team, GroupBy.channel):
                return None
            dims.add(DIMENSION[q.group_by])
        elif name not in ("time", "group"):
            if name not in ("channel_id", "team_id", "agent_id"):
                return None
            dims.add(name)
    if len(dims) > 1:
        return None
    return dims.pop() if dims else "all"


Rows = list[tuple[Any, ...]]
"""A cut's histogram rows as stored: (day, dim_id, count, flagged, bands, wall, business), the last three encoded."""


def _histogram_rows(session: Session, q: Range, kinds: Sequence[str], cuts: Sequence[str],
                    monthly: Sequence[str] = ()) -> dict[tuple[str, str], Rows]:
    """The range's histogram rows of these kinds and cuts, keyed by (kind, cut). For the `monthly` cuts (those
    no grouping splits by time), the closed months wholly inside the range come as one row per month and
    dimension where that row still adds up to its days (`reports.months`), else as their days."""
    h = DurationHistogram
    months = months_of.whole_months(q.start, q.end, months_of.today()) if monthly else []
    span = (months[0], months_of.next_month(months[-1]) - timedelta(days=1)) if months else None
    folded = [cut for cut in cuts if cut in monthly] if span else []

    def rows_of(*where: Any) -> Any:
        query = select(col(h.kind), col(h.cut), col(h.day), col(h.dim_id), col(h.count), col(h.flagged),
                       col(h.bands), col(h.wall), col(h.business)).where(col(h.kind).in_(list(kinds)),
                                                                         col(h.count) > 0, *where)
        for cut in cuts:
            if cut != "all" and getattr(q, cut) is not None:
                query = query.where(col(h.dim_id) == getattr(q, cut))
        return session.connection().execute(query)

    whole = [cut for cut in cuts if cut not in folded]
    in_range = [col(h.day) >= q.start, col(h.day) <= q.end]
    parts = [and_(col(h.cut).in_(whole), *in_range)] if whole else []
    if span:
        parts.append(and_(col(h.cut).in_(folded), *in_range, or_(col(h.day) < span[0], col(h.day) > span[1])))
        parts.append(and_(col(h.cut).in_([months_of.month_cut(c) for c in folded]), col(h.day).in_(months)))
    found: dict[tuple[str, str], Rows] = {}
    month_rows: list[tuple[Any, ...]] = []
    for kind, cut, *row in rows_of(or_(*parts)):  # the days and the month rows in one read
        if cut.startswith(months_of.PREFIX):
            month_rows.append((kind, cut, *row))
        else:
            found.setdefault((kind, cut), []).append(tuple(row))
    if not span:
        return found
    days = months_of.day_sums(session, kinds, folded, *span)
    days = {key: n for key, n in days.items()  # the range's filter on a cut's dimension, as on its rows
            if key[1] == "all" or getattr(q, key[1]) is None or key[3] == getattr(q, key[1])}
    good: set[tuple[str, str, str, int]] = set()
    for kind, cut, day, *row in month_rows:
        key = (kind, cut.removeprefix(months_of.PREFIX), day.strftime("%Y-%m"), int(row[0]))
        if days.get(key) == row[1]:
            good.add(key)
            found.setdefault(key[:2], []).append((day, *row))
    late = {key[:3] for key in days.keys() - good}  # (kind, cut, month) with a day not folded: read its days
    if late:
        for kind, cut, day, *row in rows_of(col(h.cut).in_(folded), col(h.day) >= span[0], col(h.day) <= span[1]):
            if (kind, cut, day.strftime("%Y-%m")) in late and (kind, cut, day.strftime("%Y-%m"), row[0]) not in good:
                found.setdefault((kind, cut), []).append((day, *row))
    return found


def _group_keys(q: Range, rows: Rows, by: Sequence[str]) -> tuple[list[Key], np.ndarray]:
    """Each row's group under `by`: the groups' keys (in the order they first appear), and each row's index into
    them. A column of values per name, then one dictionary pass: no key tuple per row unless `by` names two."""
    if not by:
        return [()], np.zeros(len(rows), dtype=np.int64)
    columns: list[list[Any]] = []
    for name in by:
        if name == "time" or (name == "group" and q.group_by in TIME_GROUPS):
            names = {day: bucket(day, q.time_group) for day in {row[0] for row in rows}}
            columns.append([names[row[0]] for row in rows])
        else:
            columns.append([row[1] or None for row in rows])
    values: Sequence[Any] = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
    index: dict[Any, int] = {}
    groups = np.fromiter((index.setdefault(value, len(index)) for value in values), dtype=np.int64, count=len(rows))
    return ([(value,) for value in index] if len(columns) == 1 else list(index)), groups


def _from_histograms(q: Range, rows: Rows, bys: Sequence[Sequence[str]]) -> list[dict[Key, Spread]]:
    """Each grouping's spreads from a cut's rows in the range: the rows are decoded once, and each grouping sums
    them into its groups in a few array operations."""
    if not rows:
        return [{} for _ in bys]
    counts = np.fromiter((row[2] for row in rows), dtype=np.int64, count=len(rows))
    flagged = np.fromiter((row[3] for row in rows), dtype=np.int64, count=len(rows))
    bands = histogram.fixed([row[4] for row in rows], len(BUCKETS))
    wall = histogram.packed([row[5] for row in rows])
    business = histogram.packed([row[6] for row in rows])
    found: list[dict[Key, Spread]] = []
    for by in bys:
        keys, groups = _group_keys(q, rows, by)
        size = len(keys)
        count_of = np.bincount(groups, weights=counts, minlength=size)
        flagged_of = np.bincount(groups, weights=flagged, minlength=size)
        bands_of = np.zeros((size, len(BUCKETS)), dtype=np.int64)
        np.add.at(bands_of, groups, bands)
        walls = histogram.row_percentiles(histogram.sums(wall, groups, size), (0.5, 0.9))
        businesses = histogram.row_percentiles(histogram.sums(business, groups, size), (0.5, 0.9))
        spreads: dict[Key, Spread] = {}
        for n, key in enumerate(keys):
            (median, p90), (business_median, business_p90) = walls[n], businesses[n]
            spreads[key] = Spread(count=int(count_of[n]), median=median, p90=p90, business_median=business_median,
                                  business_p90=business_p90, flagged=int(flagged_of[n]),
                                  buckets={name: int(v) for (name, _, _), v in zip(BUCKETS, bands_of[n], strict=True)})
        found.append(spreads)
    return found


def spreads_kinds(session: Session, q: Range, kinds: Sequence[str], bys: Sequence[Sequence[str]]
                  ) -> dict[str, list[dict[Key, Spread]]]:
    """`spreads_each` of several kinds; from one read of the histograms when they answer every grouping."""
    cuts = [_cut(q, by) for by in bys]
    if not all(cut is not None for cut in cuts):
        return {kind: spreads_each(session, q, kind, bys) for kind in kinds}
    timed = {cut for cut, by in zip(cuts, bys, strict=True)
             if "time" in by or ("group" in by and q.group_by in TIME_GROUPS)}
    rows = _histogram_rows(session, q, kinds, [str(cut) for cut in dict.fromkeys(cuts)],
                           monthly=[str(cut) for cut in dict.fromkeys(cuts) if cut not in timed])
    found: dict[str, list[dict[Key, Spread]]] = {}
    for kind in kinds:
        found[kind] = [{} for _ in bys]
        for cut in dict.fromkeys(cuts):  # each cut's rows serve every grouping it answers
            indexes = [i for i, other in enumerate(cuts) if other == cut]
            for i, spreads in zip(indexes, _from_histograms(q, rows.get((kind, str(cut)), []),
                                                            [bys[i] for i in indexes]), strict=True):
                found[kind][i] = spreads
    return found


def spreads_each(session: Session, q: Range, kind: str, bys: Sequence[Sequence[str]]) -> list[dict[Key, Spread]]:
    """Per grouping (`by` as in `reports.query.tally`, without the kind): each group's spread."""
    if all(_cut(q, by) is not None for by in bys):
        return spreads_kinds(session, q, [kind], bys)[kind]
    if _in_database(session, q, bys):
        return _summed(session, q, kind, bys)
    return [{key: of_sample(sample) for key, sample in per.items()} for per in durations_each(session, q, kind, bys)]
