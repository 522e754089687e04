"""Daily sums of the facts per dimension, added to in the transaction that writes the facts.

Set-based: the facts of one write are summed in memory per key, then one INSERT ... ON CONFLICT adds each
sum to its row. `rebuild` recomputes every row from the facts (the backfill, or after a change of time zone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, literal_column, select
from sqlmodel import Session, col

from hub.runtime.upsert import from_arrays, upsert
from reports import histogram, kinds, retention
from reports.models import CampaignTotal, DailyRollup, DurationHistogram, ReportEvent

KEY = ("day", "kind", "channel_id", "team_id", "agent_id", "campaign_id", "currency")
SUMS = ("count", "amount_minor", "seconds", "business_seconds")
ADD_SUMS = (f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
            + ", ".join(f"{name} = report_rollup.{name} + EXCLUDED.{name}" for name in SUMS))


def _key(fact: Mapping[str, Any]) -> tuple[Any, ...]:
    return (fact["day"], fact["kind"], fact.get("channel_id") or 0, fact.get("team_id") or 0,
            fact.get("agent_id") or 0, fact.get("campaign_id") or 0, fact.get("currency") or "")


def add(session: Session, facts: Iterable[Mapping[str, Any]]) -> int:
    """Add newly written facts to their days' rows (and histograms, and campaign totals); how many rows were
    touched."""
    facts = list(facts)
    add_histograms(session, facts)
    add_campaign_totals(session, facts)
    sums: dict[tuple[Any, ...], list[float]] = {}
    for fact in facts:
        entry = sums.setdefault(_key(fact), [0, 0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += fact.get("amount_minor") or 0
        entry[2] += fact.get("seconds") or 0.0
        entry[3] += fact.get("business_seconds") or 0.0
    if not sums:
        return 0
    table = DailyRollup.__table__  # type: ignore[attr-defined]
    rows = [dict(zip(KEY, key, strict=True)) | dict(zip(SUMS, values, strict=True))
            for key, values in sorted(sums.items(), key=lambda item: tuple(map(str, item[0])))]
    if session.get_bind().dialect.name == "postgresql":  # one statement of arrays (the keys are distinct)
        from_arrays(session, table, rows, tail=ADD_SUMS)
        return len(rows)
    for start in range(0, len(rows), 500):
        upsert(session, table, rows[start:start + 500], key=list(KEY),
               update={name: table.c[name] + _excluded(session, table, name) for name in SUMS})
    return len(rows)


def _excluded(session: Session, table: Any, name: str) -> Any:
    from hub.runtime.upsert import dialect_insert

    return dialect_insert(session, table).excluded[name]


CUTS = ("all", "agent_id", "team_id", "channel_id")
BANDS = (3600, 4 * 3600, 8 * 3600, 24 * 3600)  # the first-response distribution's bounds (reports.spread.BUCKETS)


class _Tally:
    """One histogram row being summed in memory."""

    __slots__ = ("count", "flagged", "bands", "wall", "business")

    def __init__(self) -> None:
        self.count, self.flagged = 0, 0
        self.bands = [0, 0, 0, 0, 0]
        self.wall: dict[int, int] = {}
        self.business: dict[int, int] = {}

    def add(self, seconds: float, business: float, value: int | None) -> None:
        self.count += 1
        self.flagged += 1 if value else 0
        self.bands[sum(1 for bound in BANDS if seconds >= bound)] += 1
        b = histogram.bucket(seconds)
        self.wall[b] = self.wall.get(b, 0) + 1
        b = histogram.bucket(business)
        self.business[b] = self.business.get(b, 0) + 1


def _histogram_tallies(facts: Iterable[Mapping[str, Any]]) -> dict[tuple[Any, ...], _Tally]:
    tallies: dict[tuple[Any, ...], _Tally] = {}
    for fact in facts:
        if fact["kind"] not in kinds.DURATIONS:
            continue
        seconds, business = float(fact.get("seconds") or 0.0), float(fact.get("business_seconds") or 0.0)
        for cut in CUTS:
            key = (fact["kind"], cut, fact["day"], 0 if cut == "all" else fact.get(cut) or 0)
            entry = tallies.get(key)
            if entry is None:
                entry = tallies[key] = _Tally()
            entry.add(seconds, business, fact.get("value"))
    return tallies


def add_histograms(session: Session, facts: Iterable[Mapping[str, Any]]) -> int:
    """Add duration facts to their histogram rows: each row is created if missing, then locked (FOR UPDATE on
    PostgreSQL; SQLite holds the write lock already), merged and written back, in key order."""
    tallies = _histogram_tallies(facts)
    if not tallies:
        return 0
    h = DurationHistogram
    table = h.__table__  # type: ignore[attr-defined]
    keys = sorted(tallies, key=lambda key: tuple(map(str, key)))
    names = ("kind", "cut", "day", "dim_id")
    for start in range(0, len(keys), 200):
        chunk = keys[start:start + 200]
        upsert(session, table, [dict(zip(names, key, strict=True)) for key in chunk], key=list(names))
        for kind, cut in sorted({(key[0], key[1]) for key in chunk}):
            days = {key[2] for key in chunk if key[0] == kind and key[1] == cut}
            dims = {key[3] for key in chunk if key[0] == kind and key[1] == cut}
            rows = session.execute(
                select(table).where(table.c.kind == kind, table.c.cut == cut, table.c.day.in_(days),
                                    table.c.dim_id.in_(dims)).order_by(table.c.id).with_for_update()).mappings().all()
            for row in rows:
                entry = tallies.get((kind, cut, row["day"], row["dim_id"]))
                if entry is None:
                    continue
                histogram.add_into(entry.wall, histogram.loads(row["wall"]))
                histogram.add_into(entry.business, histogram.loads(row["business"]))
                bands = [a + b for a, b in zip(histogram.loads(row["bands"]), entry.bands, strict=True)]
                session.execute(table.update().where(table.c.id == row["id"]).values(
                    count=row["count"] + entry.count, flagged=row["flagged"] + entry.flagged,
                    bands=histogram.dumps(bands), wall=histogram.dumps(histogram.of_counts(entry.wall)),
                    business=histogram.dumps(histogram.of_counts(entry.business))))
    return len(keys)


def add_campaign_totals(session: Session, facts: Iterable[Mapping[str, Any]]) -> int:
    sums: dict[tuple[Any, ...], list[int]] = {}
    for fact in facts:
        if fact["kind"] in (kinds.ORDER_PAID, kinds.ORDER_REFUNDED) and fact.get("campaign_id"):
            entry = sums.setdefault((fact["campaign_id"], fact["kind"], fact.get("currency") or ""), [0, 0])
            entry[0] += 1
            entry[1] += int(fact.get("amount_minor") or 0)
    if not sums:
        return 0
    table = CampaignTotal.__table__  # type: ignore[attr-defined]
    names = ("campaign_id", "kind", "currency")
    rows = [dict(zip(names, key, strict=True)) | {"count": n, "amount_minor": amount}
            for key, (n, amount) in sorted(sums.items(), key=lambda item: tuple(map(str, item[0])))]
    upsert(session, table, rows, key=list(names),
           update={name: table.c[name] + _excluded(session, table, name) for name in ("count", "amount_minor")})
    return len(rows)


def rebuild_histograms(session: Session, first_day: date | None = None) -> int:
    """Recompute the histogram rows from `first_day` on (all: None) from the duration facts (streamed, summed in
    memory); how many rows."""
    e, h = ReportEvent, DurationHistogram
    session.execute(delete(h).where(*_from(col(h.day), first_day)))
    facts = session.execute(
        select(col(e.kind), col(e.day), col(e.seconds), col(e.business_seconds), col(e.value), col(e.agent_id),
               col(e.team_id), col(e.channel_id))
        .where(col(e.kind).in_(kinds.DURATIONS), *_from(col(e.day), first_day))
        .execution_options(yield_per=20000)).mappings()
    tallies = _histogram_tallies(cast(Iterable[Mapping[str, Any]], facts))
    table = DurationHistogram.__table__  # type: ignore[attr-defined]
    rows = [{"kind": kind, "cut": cut, "day": day, "dim_id": dim, "count": t.count, "flagged": t.flagged,
             "bands": histogram.dumps(t.bands), "wall": histogram.dumps(histogram.of_counts(t.wall)),
             "business": histogram.dumps(histogram.of_counts(t.business))}
            for (kind, cut, day, dim), t in tallies.items()]
    for start in range(0, len(rows), 5000):
        session.execute(table.insert(), rows[start:start + 5000])
    return len(rows)


def rebuild_campaign_totals(session: Session, first_day: date | None = None) -> int:
    """Recompute the all-time totals of the campaigns whose facts are all kept: with a `first_day`, a campaign
    with daily rollups before it had facts retention dropped, and its totals stay as they are."""
    e, t, r = ReportEvent, CampaignTotal, DailyRollup
    older = select(col(r.campaign_id)).where(*_before(col(r.day), first_day), col(r.campaign_id) != 0).distinct()
    whole = [] if first_day is None else [col(e.campaign_id).not_in(older)]
    session.execute(delete(t).where(*([] if first_day is None else [col(t.campaign_id).not_in(older)])))
    grouped = (select(col(e.campaign_id), col(e.kind), func.coalesce(col(e.currency), literal_column("''")),
                      func.count(), func.coalesce(func.sum(col(e.amount_minor)), literal_column("0")))
               .where(col(e.campaign_id).is_not(None), col(e.kind).in_((kinds.ORDER_PAID, kinds.ORDER_REFUNDED)),
                      *whole)
               .group_by(col(e.campaign_id), col(e.kind), func.coalesce(col(e.currency), literal_column("''"))))
    table = CampaignTotal.__table__  # type: ignore[attr-defined]
    session.execute(table.insert().from_select(["campaign_id", "kind", "currency", "count", "amount_minor"],
                                               grouped))
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def rebuild(session: Session) -> int:
    """Recompute the rollup rows from the facts, in one grouped INSERT ... SELECT, then the histograms and the
    campaign totals; how many rows (of all three). Only the days whose facts are all kept: the rows of the
    months retention dropped (HUB_REPORT_EVENTS_RETENTION_MONTHS) are the only record of them left."""
    since = retention.cutoff()
    first_day = since.date() + timedelta(days=1) if since else None  # the cutoff's own day may straddle it
    return (_rebuild_daily(session, first_day) + rebuild_histograms(session, first_day)
            + rebuild_campaign_totals(session, first_day))


def _from(day: Any, first_day: date | None) -> list[Any]:
    return [] if first_day is None else [day >= first_day]


def _before(day: Any, first_day: date | None) -> list[Any]:
    return [] if first_day is None else [day < first_day]


def _rebuild_daily(session: Session, first_day: date | None) -> int:
    session.execute(delete(DailyRollup).where(*_from(col(DailyRollup.day), first_day)))
    e = ReportEvent
    zero: Any = literal_column("0")
    empty: Any = literal_column("''")  # inline, so GROUP BY repeats the same expressions
    dims = [col(e.day), col(e.kind), *[func.coalesce(column, zero) for column in
                                       (col(e.channel_id), col(e.team_id), col(e.agent_id), col(e.campaign_id))],
            func.coalesce(col(e.currency), empty)]
    grouped = (select(*dims, func.count(), func.coalesce(func.sum(col(e.amount_minor)), zero),
                      func.coalesce(func.sum(col(e.seconds)), zero),
                      func.coalesce(func.sum(col(e.business_seconds)), zero))
               .where(*_from(col(e.day), first_day))
               .group_by(*dims))
    table = DailyRollup.__table__  # type: ignore[attr-defined]
    session.execute(table.insert().from_select([*KEY, *SUMS], grouped))
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())
