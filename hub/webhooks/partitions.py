"""webhook_event's months on PostgreSQL: the coming ones made daily (`HUB_PARTITIONS_AHEAD_MONTHS`).

Old months are dropped by retention (`hub.privacy.retention`), once every event in them is processed and past
`HUB_WEBHOOK_RETENTION_DAYS`. Safe in N workers and to run again: the creation holds an advisory lock per table
and skips months that exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.runtime import Periodic, partitions
from hub.runtime.db import session_scope, utcnow
from hub.runtime.inbox import PARTITIONS
from hub.runtime.settings import get_settings


def create_ahead(now: datetime | None = None) -> list[str]:
    """Job: the partitions of this month and the next few that are missing; their names."""
    with session_scope() as session:
        return partitions.create_ahead(session.connection(), PARTITIONS, now or utcnow(),
                                       get_settings().partitions_ahead_months)


DAILY = Periodic(create_ahead, every=timedelta(days=1), timeout=600)
