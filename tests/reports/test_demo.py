"""`hub demo` leaves the reports with the demo's history: after every package's demo, facts and rollups exist,
and loading the demo again records nothing twice."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from hub import composition
from hub.runtime.db import session_scope
from reports.models import DailyRollup, ReportEvent


def _count(model: type) -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_the_demo_records_its_history_once(backend: Any) -> None:
    said = composition.load_demo()
    assert any(line.startswith("reports:") for line in said)
    facts, rollups = _count(ReportEvent), _count(DailyRollup)
    assert facts > 0 and rollups > 0
    composition.load_demo()
    assert (_count(ReportEvent), _count(DailyRollup)) == (facts, rollups)
