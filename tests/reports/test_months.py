"""Month histograms: a quarter's service and agents reports read closed months as one row per agent, and say
exactly what the days say, also when a fact arrives late into a month that was folded already."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import col, select

from reports import helpdesk, kinds, months, record
from reports.models import DurationHistogram
from reports.query import GroupBy, Range
from reports.settings import get_report_settings

TODAY = date(2026, 12, 7)
START = date(2026, 9, 9)  # a 90-day range: September's end, October and November whole, December's start


def _facts(rng: random.Random, count: int, first: date, last: date, prefix: str) -> list[dict[str, Any]]:
    span = (last - first).days + 1
    facts = []
    for n in range(count):
        kind = rng.choice(sorted(kinds.DURATIONS))
        seconds = rng.choice([0.0, 0.4, 59.0, 3600.0, rng.expovariate(1 / 5000)])
        at = datetime.combine(first + timedelta(days=rng.randrange(span)), time(3, 0), tzinfo=UTC)
        facts.append({"kind": kind, "source_key": f"{prefix}:{n}", "at": at + timedelta(minutes=rng.randrange(600)),
                      "agent_id": rng.choice([None, 1, 2, 3]), "team_id": rng.choice([None, 5, 6]),
                      "channel_id": rng.choice([9, 10]), "seconds": seconds, "business_seconds": seconds * 0.5,
                      "value": rng.choice([0, 1]) if kind == kinds.FIRST_RESPONSE else None})
    return facts


def _reports(session: Any) -> list[str]:
    ranges = [Range(start=START, end=TODAY, tz=get_report_settings().timezone, group_by=group_by)
              for group_by in (GroupBy.agent, GroupBy.team, GroupBy.channel)]
    return [*(helpdesk.service(session, q).model_dump_json() for q in ranges),
            helpdesk.agents(session, ranges[0]).model_dump_json()]


def _month_rows(session: Any) -> int:
    return len(session.execute(select(DurationHistogram).where(col(DurationHistogram.cut).like("m:%"))).all())


def test_folded_months_answer_exactly_as_their_days_and_a_late_fact_counts_at_once(backend: Any, monkeypatch: Any
                                                                                     ) -> None:
    from hub.runtime.db import session_scope

    get_report_settings.cache_clear()
    monkeypatch.setattr(months, "today", lambda: TODAY)
    rng = random.Random(11)
    with session_scope() as session:
        record.record_facts(session, _facts(rng, 900, date(2026, 8, 20), TODAY, "t"))
    with session_scope() as session:
        from_days = _reports(session)
        assert months.stale(session, TODAY) == sorted(
            (kind, month) for kind in kinds.DURATIONS for month in (date(2026, 8, 1), date(2026, 9, 1),
                                                                     date(2026, 10, 1), date(2026, 11, 1)))
    with session_scope() as session:
        written = months.fold(session, TODAY)
    with session_scope() as session:
        rows = _month_rows(session)
        assert written == rows > 0
        assert months.stale(session, TODAY) == []
        assert not any(day >= date(2026, 12, 1) for day in session.execute(
            select(col(DurationHistogram.day)).where(col(DurationHistogram.cut).like("m:%"))).scalars())
        assert _reports(session) == from_days  # the same medians, p90s, counts and bands, to the last digit
    with session_scope() as session:
        assert months.fold(session, TODAY) == 0  # nothing stale: nothing rewritten
        assert _month_rows(session) == rows

    late = _facts(random.Random(12), 40, date(2026, 10, 3), date(2026, 10, 27), "late")
    with session_scope() as session:
        record.record_facts(session, late)
    with session_scope() as session:
        with_late = _reports(session)
        assert with_late != from_days
        assert sorted(month for _, month in months.stale(session, TODAY)) == [date(2026, 10, 1)] * len(
            {fact["kind"] for fact in late})
    with session_scope() as session:  # the same figures read from the days alone
        session.execute(DurationHistogram.__table__.delete().where(  # type: ignore[attr-defined]
            col(DurationHistogram.cut).like("m:%")))
    with session_scope() as session:
        assert _reports(session) == with_late
        months.fold(session, TODAY)
    with session_scope() as session:
        assert months.stale(session, TODAY) == []
        assert _reports(session) == with_late


def test_whole_months_are_the_closed_ones_inside_the_range() -> None:
    assert months.whole_months(date(2026, 9, 9), date(2026, 12, 7), date(2026, 12, 7)) == [
        date(2026, 10, 1), date(2026, 11, 1)]
    assert months.whole_months(date(2026, 10, 1), date(2026, 11, 30), date(2026, 11, 30)) == [date(2026, 10, 1)]
    assert months.whole_months(date(2026, 10, 1), date(2026, 11, 30), date(2026, 12, 1)) == [
        date(2026, 10, 1), date(2026, 11, 1)]
    assert months.whole_months(date(2026, 10, 2), date(2026, 10, 31), date(2027, 1, 1)) == []
