"""Durations summed up per group: how many, median and p90 (wall-clock and business hours), how many broke
the deadline, and the first-response distribution.

On PostgreSQL, for a range in the shop's time zone without tags, the database computes them
(`percentile_cont`, one grouped query per grouping); elsewhere Python does, from the facts
(`reports.query.durations_each`). Both interpolate between ranks alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, case, cast, func, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col

from reports.models import ReportEvent
from reports.query import (
    DIMENSION,
    TIME_GROUPS,
    GroupBy,
    Key,
    Range,
    Sample,
    day_bucket,
    durations_each,
    filters,
    ranked,
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


def _expression(name: str, q: Range) -> Any:
    e = ReportEvent
    if name == "time" or (name == "group" and q.group_by in TIME_GROUPS):
        return day_bucket("postgresql", col(e.day), q.time_group)
    return getattr(e, DIMENSION[q.group_by] if name == "group" else name)


def _summed(session: Session, q: Range, kind: str, bys: Sequence[Sequence[str]]) -> list[dict[Key, Spread]]:
    """Every grouping in one scan (GROUPING SETS); GROUPING() says which set a row belongs to."""
    e = ReportEvent
    start, end = q.bounds
    names = sorted({name for by in bys for name in by})
    keys = [_expression(name, q) for name in names]
    seconds = col(e.seconds)
    shares = postgresql.array([0.5, 0.9])
    hours = [func.sum(cast(case(((seconds >= low * 3600) & (seconds < (high or 10**9) * 3600), 1), else_=0),
                           Integer)) for _, low, high in BUCKETS]
    query = (select(*keys, func.count(), func.percentile_cont(shares).within_group(seconds),
                    func.percentile_cont(shares).within_group(col(e.business_seconds)),
                    func.sum(cast(case((col(e.value) > 0, 1), else_=0), Integer)), *hours)
             .where(col(e.kind) == kind, col(e.at) >= start, col(e.at) < end, *filters(q, e)))
    masks: dict[int, list[int]] = {}  # GROUPING() bit set: that key is not in the row's grouping
    for index, by in enumerate(bys):
        mask = sum(1 << (len(names) - 1 - i) for i, name in enumerate(names) if name not in by)
        masks.setdefault(mask, []).append(index)
    if keys:
        query = query.add_columns(func.grouping(*keys)).group_by(
            func.grouping_sets(*[tuple_(*[keys[names.index(name)] for name in by]) for by in bys]))
    found: list[dict[Key, Spread]] = [{} for _ in bys]
    for row in session.execute(query):
        mask = int(row[-1]) if keys else 0
        count, wall, business, flagged, *counts = row[len(keys):len(keys) + 4 + len(BUCKETS)]
        if not count:
            continue
        values = dict(zip(names, row[:len(keys)], strict=True))
        for index in masks.get(mask, []):
            found[index][tuple(values[name] for name in bys[index])] = Spread(
                count=int(count), median=wall[0], p90=wall[1], business_median=business[0],
                business_p90=business[1], flagged=int(flagged or 0),
                buckets={name: int(n or 0) for (name, _, _), n in zip(BUCKETS, counts, strict=True)})
    return found


def spreads_each(session: Session, q: Range, kind: str, bys: Sequence[Sequence[str]]) -> list[dict[Key, Spread]]:
    """Per grouping (`by` as in `reports.query.tally`, without the kind): each group's spread."""
    if _in_database(session, q, bys):
        return _summed(session, q, kind, bys)
    return [{key: of_sample(sample) for key, sample in per.items()} for per in durations_each(session, q, kind, bys)]
