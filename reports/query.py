"""What every report asks: a date range in a time zone, a grouping, filters, and who is asking.

`tally` counts facts (and sums their amounts) per group: from the daily rollups when the range is in the
shop's time zone and no tag is involved, else from the facts themselves. `durations` reads the facts of
one kind (medians and percentiles do not add up across days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, or_, select, tuple_
from sqlmodel import Session, col

from hub.assignment.hours import zone
from hub.tags.models import ConversationTag, Tag
from reports.models import DailyRollup, ReportEvent
from reports.settings import get_report_settings


class GroupBy(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    agent = "agent"
    team = "team"
    channel = "channel"
    tag = "tag"
    campaign = "campaign"
    flow = "flow"
    store = "store"


TIME_GROUPS = (GroupBy.day, GroupBy.week, GroupBy.month)
DIMENSION = {GroupBy.agent: "agent_id", GroupBy.team: "team_id", GroupBy.channel: "channel_id",
             GroupBy.campaign: "campaign_id", GroupBy.flow: "flow_id",
             GroupBy.store: "store_id"}


@dataclass(frozen=True)
class Scope:
    """Whose figures a user may read: None for everyone's; else their own (agent_id) and their teams'."""

    agent_id: int
    team_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Range:
    start: date
    end: date
    tz: str
    group_by: GroupBy = GroupBy.day
    channel_id: int | None = None
    team_id: int | None = None
    agent_id: int | None = None
    tag: str | None = None
    scope: Scope | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        here = zone(self.tz)
        return (datetime.combine(self.start, time(0), tzinfo=here).astimezone(UTC),
                datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=here).astimezone(UTC))

    def previous(self) -> Range:
        """The period of the same length just before."""
        days = (self.end - self.start).days + 1
        return replace(self, start=self.start - timedelta(days=days), end=self.start - timedelta(days=1))

    @property
    def time_group(self) -> GroupBy:
        return self.group_by if self.group_by in TIME_GROUPS else GroupBy.day

    @property
    def from_rollups(self) -> bool:
        return (self.tz == get_report_settings().timezone and self.tag is None
                and self.group_by not in (GroupBy.tag, GroupBy.flow, GroupBy.store))  # nor tag, flow, store


def bucket(day: date, group: GroupBy) -> str:
    """The key of a day's week (its Monday) or month, or the day itself."""
    if group == GroupBy.week:
        return (day - timedelta(days=day.weekday())).isoformat()
    if group == GroupBy.month:
        return day.strftime("%Y-%m")
    return day.isoformat()


def filters(q: Range, table: Any) -> list[ColumnElement[bool]]:
    """Filters and the asker's scope, on the facts or on the rollups (where 0 is "none")."""
    found: list[ColumnElement[bool]] = []
    for name in ("channel_id", "team_id", "agent_id"):
        value = getattr(q, name)
        if value is not None:
            found.append(getattr(table, name) == value)
    if q.scope is not None:
        mine = table.agent_id == q.scope.agent_id
        found.append(or_(mine, table.team_id.in_(q.scope.team_ids)) if q.scope.team_ids else mine)
    return found


def tags_of(session: Session, conversation_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each conversation's tags now (a tag report groups by them)."""
    ids = sorted(set(conversation_ids))
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        for cid, name in session.execute(
                select(col(ConversationTag.conversation_id), col(Tag.name))
                .join(Tag, col(Tag.id) == col(ConversationTag.tag_id))
                .where(col(ConversationTag.conversation_id).in_(ids[start:start + 5000]))):
            found[int(cid)].append(str(name))
    return found


Key = tuple[Any, ...]


def tally(session: Session, q: Range, kinds: Sequence[str], by: Sequence[str]) -> dict[Key, list[int]]:
    """[count, amount] per (kind, *by): `by` names "time" (the range's time group), "group" (the range's
    group_by: time or dimension or tag), or a dimension column (channel_id, currency...)."""
    return tally_each(session, q, kinds, [by])[0]


def tally_each(session: Session, q: Range, kinds: Sequence[str], bys: Sequence[Sequence[str]]
               ) -> list[dict[Key, list[int]]]:
    """`tally` for several groupings from one read (the totals, the series and the rows of one report)."""
    if q.from_rollups:
        return _tally_rollups(session, q, kinds, bys)
    return _tally_events(session, q, kinds, bys)


def _columns(bys: Sequence[Sequence[str]], q: Range) -> list[str]:
    wanted: set[str] = set()
    for by in bys:
        for name in by:
            if name == "group" and q.group_by in DIMENSION:
                wanted.add(DIMENSION[q.group_by])
            elif name not in ("time", "group"):
                wanted.add(name)
    return sorted(wanted)


def _value(name: str, q: Range, day: date, row: Any, tags: list[str] | None) -> Any:
    if name == "time" or (name == "group" and q.group_by in TIME_GROUPS):
        return bucket(day, q.time_group)
    if name == "group":
        return tags if q.group_by == GroupBy.tag else (getattr(row, DIMENSION[q.group_by]) or None)
    value = getattr(row, name)
    return value or None


def _keys(prefix: Any, values: list[Any]) -> list[Key]:
    expanded: list[list[Any]] = [[prefix]]
    for value in values:  # a tag group: one key per tag the conversation has (none: "")
        options = (value or [""]) if isinstance(value, list) else [value]
        expanded = [[*head, option] for head in expanded for option in options]
    return [tuple(key) for key in expanded]


def _add(found: dict[Key, list[int]], kind: str, values: list[Any], count: int, amount: int) -> None:
    for key in _keys(kind, values):
        entry = found.setdefault(key, [0, 0])
        entry[0] += count
        entry[1] += amount


def day_bucket(dialect: str, day: Any, group: GroupBy) -> Any:
    """SQL for `bucket`: a date column as its day, its week's Monday (YYYY-MM-DD) or its month (YYYY-MM). On
    PostgreSQL a date (the day, its week's Monday, its month's first day), which `named` turns into the key after
    the fetch: grouping thousands of rows by a date costs half what grouping them by its text does."""
    if dialect == "postgresql":
        if group == GroupBy.day:
            return day
        return cast(func.date_trunc(group.value, day), Date)
    if group == GroupBy.week:  # SQLite: %w is 0 on Sunday
        return func.date(day, func.printf("-%d days", (func.strftime("%w", day) + 6) % 7))
    return func.strftime("%Y-%m" if group == GroupBy.month else "%Y-%m-%d", day)


def named(value: Any, group: GroupBy) -> Any:
    """A grouping's value as its key: a date from `day_bucket` becomes `bucket`'s text; anything else is kept."""
    return bucket(value, group) if isinstance(value, date) else value


def group_column(dialect: str, table: Any, name: str, q: Range) -> Any:
    """The SQL of one name of a grouping (`by` as in `tally`) on the facts or the rollups: the range's time
    bucket of the row's day, the range's dimension, or the column of that name."""
    if name == "time" or (name == "group" and q.group_by in TIME_GROUPS):
        return day_bucket(dialect, table.day, q.time_group)
    return getattr(table, DIMENSION[q.group_by] if name == "group" else name)


def _tally_rollups(session: Session, q: Range, kinds: Sequence[str], bys: Sequence[Sequence[str]]
                   ) -> list[dict[Key, list[int]]]:
    """The database sums the days into the groups (weeks, months, dimensions): on PostgreSQL every grouping in
    one scan (GROUPING SETS), elsewhere one grouped query per grouping."""
    r = DailyRollup
    names = sorted({name for by in bys for name in by})
    keys = {name: group_column(session.get_bind().dialect.name, r, name, q) for name in names}
    where = [col(r.kind).in_(kinds), col(r.day) >= q.start, col(r.day) <= q.end, *filters(q, r)]
    sums = [func.sum(col(r.count)), func.sum(col(r.amount_minor))]
    if session.get_bind().dialect.name == "postgresql" and len(bys) > 1:
        columns = [keys[name] for name in names]
        query = (select(col(r.kind), *columns, *sums, func.grouping(col(r.kind), *columns)).where(*where)
                 .group_by(func.grouping_sets(*[tuple_(col(r.kind), *[keys[name] for name in by]) for by in bys])))
        return _split_sets(session.connection().execute(query).all(), names, bys, q.time_group)
    found: list[dict[Key, list[int]]] = []
    for by in bys:
        columns = [keys[name] for name in by]
        rows = session.connection().execute(
            select(col(r.kind), *columns, *sums).where(*where).group_by(col(r.kind), *columns))
        into: dict[Key, list[int]] = {}
        for kind, *values in rows:
            _add_sums(into, (kind, *[named(value, q.time_group) for value in values[:-2]]), values[-2], values[-1])
        found.append(into)
    return found


def _add_sums(into: dict[Key, list[int]], key: Key, count: Any, amount: Any) -> None:
    key = (key[0], *[value or None for value in key[1:]])  # 0 and "" stand for "none" in rollups
    entry = into.setdefault(key, [0, 0])
    entry[0] += int(count or 0)
    entry[1] += int(amount or 0)


def set_masks(names: Sequence[str], bys: Sequence[Sequence[str]], after: int = 0) -> dict[int, list[int]]:
    """GROUPING(*names, *`after` more columns in every set) of each grouping's rows: which groupings a row with
    that value belongs to."""
    masks: dict[int, list[int]] = {}
    for index, by in enumerate(bys):
        masks.setdefault(sum(1 << (len(names) - 1 - i + after) for i, name in enumerate(names) if name not in by),
                         []).append(index)
    return masks


def _split_sets(rows: Sequence[Any], names: Sequence[str], bys: Sequence[Sequence[str]], group: GroupBy
                ) -> list[dict[Key, list[int]]]:
    """Rows of a GROUPING SETS query over (kind, *names) back into one dict per grouping: GROUPING() has a bit
    set for each column that is not in the row's set (the kind, first, is in every set)."""
    masks = set_masks(names, bys)
    found: list[dict[Key, list[int]]] = [{} for _ in bys]
    for kind, *values in rows:
        count, amount, mask = values[len(names):]
        by_name = dict(zip(names, [named(value, group) for value in values[:len(names)]], strict=True))
        for index in masks.get(int(mask), []):
            _add_sums(found[index], (kind, *[by_name[name] for name in bys[index]]), count, amount)
    return found


def _tagged(q: Range, bys: Sequence[Sequence[str]]) -> bool:
    return q.tag is not None or (q.group_by == GroupBy.tag and any("group" in by for by in bys))


def _local_day(q: Range) -> Any:
    """The day of a fact in the range's zone: stored already when it is the shop's."""
    if q.tz == get_report_settings().timezone:
        return lambda row: row.day
    here = zone(q.tz)
    return lambda row: row.at.astimezone(here).date()


def _tally_events(session: Session, q: Range, kinds: Sequence[str], bys: Sequence[Sequence[str]]
                  ) -> list[dict[Key, list[int]]]:
    e = ReportEvent
    start, end = q.bounds
    query = (select(col(e.at), col(e.day), col(e.kind), col(e.conversation_id), col(e.amount_minor),
                    *[getattr(e, name) for name in _columns(bys, q)])
             .where(col(e.kind).in_(kinds), col(e.at) >= start, col(e.at) < end, *filters(q, e)))
    rows = session.connection().execute(query).all()
    tags = tags_of(session, (r.conversation_id for r in rows if r.conversation_id)) if _tagged(q, bys) else {}
    day_of = _local_day(q)
    found: list[dict[Key, list[int]]] = [{} for _ in bys]
    for row in rows:
        conversation_tags = tags.get(row.conversation_id or 0, [])
        if q.tag is not None and q.tag not in conversation_tags:
            continue
        day = day_of(row)
        for by, into in zip(bys, found, strict=True):
            _add(into, row.kind, [_value(name, q, day, row, conversation_tags) for name in by], 1,
                 int(row.amount_minor or 0))
    return found


@dataclass
class Sample:
    """Durations of one kind in one group: wall-clock and business-hours seconds, and the flags."""

    seconds: list[float] = field(default_factory=list)
    business: list[float] = field(default_factory=list)
    flagged: int = 0


def durations(session: Session, q: Range, kind: str, by: Sequence[str], *, value_as_seconds: bool = False
              ) -> dict[Key, Sample]:
    """The durations of one kind of fact per group (`by` as in `tally`, without the kind); with
    `value_as_seconds`, the facts' values instead (CSAT ratings)."""
    return durations_each(session, q, kind, [by], value_as_seconds=value_as_seconds)[0]


def durations_each(session: Session, q: Range, kind: str, bys: Sequence[Sequence[str]], *,
                   value_as_seconds: bool = False) -> list[dict[Key, Sample]]:
    """`durations` for several groupings from one read."""
    e = ReportEvent
    start, end = q.bounds
    rows = session.connection().execute(
        select(col(e.at), col(e.day), col(e.conversation_id), col(e.seconds), col(e.business_seconds),
               col(e.value), *[getattr(e, name) for name in _columns(bys, q)])
        .where(col(e.kind) == kind, col(e.at) >= start, col(e.at) < end, *filters(q, e))).all()
    tags = tags_of(session, (r.conversation_id for r in rows if r.conversation_id)) if _tagged(q, bys) else {}
    day_of = _local_day(q)
    found: list[dict[Key, Sample]] = [{} for _ in bys]
    for row in rows:
        conversation_tags = tags.get(row.conversation_id or 0, [])
        if q.tag is not None and q.tag not in conversation_tags:
            continue
        day = day_of(row)
        seconds = float((row.value if value_as_seconds else row.seconds) or 0.0)
        business = float(row.business_seconds or 0.0)
        for by, into in zip(bys, found, strict=True):
            for key in _keys(kind, [_value(name, q, day, row, conversation_tags) for name in by]):
                sample = into.get(key[1:])
                if sample is None:
                    sample = into[key[1:]] = Sample()
                sample.seconds.append(seconds)
                sample.business.append(business)
                sample.flagged += 1 if row.value else 0
    return found


def percentile(values: Sequence[float], share: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont); None for no values."""
    if not values:
        return None
    return ranked(sorted(values), share)


def ranked(ordered: Sequence[float], share: float) -> float:
    """`percentile` of values sorted already."""
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)




def ratings_each(session: Session, q: Range, kind: str, bys: Sequence[Sequence[str]]
                 ) -> list[dict[Key, dict[int, int]]]:
    """How many facts of one kind carry each value (CSAT ratings), per group, for several groupings: counted by
    the database (one grouped query per grouping) unless tags are involved or the range is in another zone."""
    if not q.from_rollups or _tagged(q, bys):
        found: list[dict[Key, dict[int, int]]] = []
        for per in durations_each(session, q, kind, bys, value_as_seconds=True):
            into: dict[Key, dict[int, int]] = {}
            for key, sample in per.items():
                counts = into.setdefault(key, {})
                for rating in sample.seconds:
                    counts[int(rating)] = counts.get(int(rating), 0) + 1
            found.append(into)
        return found
    e = ReportEvent
    start, end = q.bounds
    dialect = session.get_bind().dialect.name
    names = sorted({name for by in bys for name in by})
    keys = {name: group_column(dialect, e, name, q) for name in names}
    where = [col(e.kind) == kind, col(e.at) >= start, col(e.at) < end, *filters(q, e)]
    results: list[dict[Key, dict[int, int]]] = [{} for _ in bys]

    def add(into: dict[Key, dict[int, int]], values: Sequence[Any], rating: Any, count: Any) -> None:
        counts = into.setdefault(tuple(named(value, q.time_group) or None for value in values), {})
        counts[int(rating or 0)] = counts.get(int(rating or 0), 0) + int(count)

    if dialect == "postgresql" and len(bys) > 1:  # every grouping in one scan
        columns = [keys[name] for name in names]
        masks = set_masks(names, bys, after=1)
        for *values, rating, count, mask in session.connection().execute(
                select(*columns, col(e.value), func.count(), func.grouping(*columns, col(e.value))).where(*where)
                .group_by(func.grouping_sets(*[tuple_(*[keys[name] for name in by], col(e.value)) for by in bys]))):
            by_name = dict(zip(names, values, strict=True))
            for index in masks.get(int(mask), []):
                add(results[index], [by_name[name] for name in bys[index]], rating, count)
        return results
    for by, into in zip(bys, results, strict=True):
        columns = [keys[name] for name in by]
        for *values, rating, count in session.connection().execute(
                select(*columns, col(e.value), func.count()).where(*where).group_by(*columns, col(e.value))):
            add(into, values, rating, count)
    return results
