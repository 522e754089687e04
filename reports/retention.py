"""Report facts' months: the coming ones made and those past `HUB_REPORT_EVENTS_RETENTION_MONTHS` dropped, daily.

On PostgreSQL report_event is partitioned by the month of `at`: an old month goes as a table, with its keys in
report_event_key; on SQLite old facts are deleted row by row. The daily rollups stay, so a report over an old
range still has its counts and sums; what goes is the facts behind them (the CSV export's rows, the spreads).
Safe in N workers and to run again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col

from hub.runtime import Periodic, partitions
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from reports.models import PARTITIONS, ReportEvent


def cutoff(now: datetime | None = None) -> datetime | None:
    """The first moment of the facts kept: the start of the month that many whole months back; None: all."""
    months = get_settings().report_events_retention_months
    if not months:
        return None
    return partitions.add_months(partitions.month_of(now or utcnow()), -months)


def maintain(now: datetime | None = None) -> dict[str, list[str] | int]:
    """Job: partitions made ahead, old months dropped (old facts deleted on SQLite); what changed."""
    moment = now or utcnow()
    done: dict[str, list[str] | int] = {"created": [], "dropped": [], "deleted": 0}
    with session_scope() as session:
        done["created"] = partitions.create_ahead(session.connection(), PARTITIONS, moment,
                                                  get_settings().partitions_ahead_months)
    since = cutoff(moment)
    if since is None:
        return done
    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            done["dropped"] = partitions.drop_before(session.connection(), PARTITIONS, since)
        else:
            done["deleted"] = int(session.execute(delete(ReportEvent).where(  # type: ignore[attr-defined]
                col(ReportEvent.at) < since)).rowcount or 0)
    return done


DAILY = Periodic(maintain, every=timedelta(days=1), timeout=600)
