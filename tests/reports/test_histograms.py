"""The duration histograms and campaign totals kept as facts are recorded equal those the backfill rebuilds from
the facts, and a report read from them gives medians within the stated error of the exact ones."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlmodel import select

from reports import histogram, kinds, record, rollup
from reports.models import CampaignTotal, DurationHistogram
from reports.query import ranked
from reports.settings import get_report_settings

ORIGIN = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _stored(session: Any) -> tuple[dict[Any, Any], dict[Any, Any]]:
    hist = {(r.kind, r.cut, r.day, r.dim_id): (r.count, r.flagged, histogram.loads(r.bands),
                                               histogram.loads(r.wall), histogram.loads(r.business))
            for r in session.execute(select(DurationHistogram)).scalars()}
    totals = {(r.campaign_id, r.kind, r.currency): (r.count, r.amount_minor)
              for r in session.execute(select(CampaignTotal)).scalars()}
    return hist, totals


def test_histograms_kept_live_equal_the_rebuilt_ones(backend: Any) -> None:
    from hub.runtime.db import session_scope

    get_report_settings.cache_clear()
    rng = random.Random(7)
    facts = []
    for n in range(600):
        kind = rng.choice([*kinds.DURATIONS, kinds.ORDER_PAID, kinds.ORDER_REFUNDED])
        seconds = rng.choice([0.0, 0.4, 59.0, 3600.0, rng.expovariate(1 / 5000)])
        money = kind.startswith("order.")
        facts.append({"kind": kind, "source_key": f"t:{n}", "at": ORIGIN + timedelta(hours=rng.randrange(0, 96)),
                      "agent_id": rng.choice([None, 1, 2]), "team_id": rng.choice([None, 5]), "channel_id": 9,
                      "campaign_id": rng.choice([None, 3, 4]) if money else None,
                      "currency": rng.choice(["HKD", "JPY"]) if money else None,
                      "amount_minor": rng.randrange(100, 9000) if money else None,
                      "seconds": None if money else seconds, "business_seconds": None if money else seconds * 0.5,
                      "value": rng.choice([0, 1]) if kind == kinds.FIRST_RESPONSE else None})
    with session_scope() as session:  # in three writes, some rows added to more than once
        for start in (0, 200, 400):
            record.record_facts(session, facts[start:start + 200])
    with session_scope() as session:
        live = _stored(session)
        rollup.rebuild(session)
    with session_scope() as session:
        assert _stored(session) == live
    hist, totals = live
    assert totals and sum(count for count, _ in totals.values()) == sum(
        1 for f in facts if f["campaign_id"] is not None)
    durations = sorted(f["seconds"] for f in facts if f["kind"] == kinds.REPLY)
    summed = histogram.merged([wall for (kind, cut, _, _), (_, _, _, wall, _) in hist.items()
                               if kind == kinds.REPLY and cut == "all"])
    median, p90 = histogram.percentiles(summed, (0.5, 0.9))
    exact_median, exact_p90 = statistics.median(durations), statistics.quantiles(durations, n=10,
                                                                                    method="inclusive")[8]
    assert abs((median or 0) - exact_median) <= histogram.ERROR * exact_median + 1
    assert abs((p90 or 0) - exact_p90) <= histogram.ERROR * exact_p90 + 1


def test_the_percentiles_of_many_groups_at_once_are_each_group_s_own() -> None:
    rng = random.Random(7)
    groups = [[rng.choice([0, 0, 1, 3, 40]) for _ in range(60)] for _ in range(25)]
    groups[3] = [0] * 60  # a group with no durations has no median
    groups[4] = [5] + [0] * 59  # all under one second
    groups[5] = [0] * 59 + [1]  # one duration, in the last bucket
    shares = (0.0, 0.5, 0.9, 1.0)
    together = histogram.row_percentiles(np.array(groups, dtype=np.int64), shares)
    for mine, counts in zip(together, groups, strict=True):  # each group's durations as read back, ranked exactly
        values = [histogram.value(bucket) for bucket, n in enumerate(counts) for _ in range(n)]
        exact = [ranked(values, share) if values else None for share in shares]
        assert [None if v is None else pytest.approx(v, rel=1e-12) for v in exact] == mine
        assert histogram.percentiles([0, *counts], shares) == mine  # one histogram alone: the same
    assert together[3] == [None] * 4 and together[4] == [0.0] * 4 and together[5][0] == histogram.value(59)
