"""What the listeners ask before queueing a job: which triggers published flows have, and whether any run is live.

Read at most every SECONDS per process, so that a burst of events costs one query, not a job each. A flow
published or a run started in this process is seen at once (`forget`); in another process within SECONDS.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import exists
from sqlmodel import col, select

from flows.journeys.models import LIVE, Flow, FlowRun
from hub.runtime.db import session_scope

SECONDS = 5.0
_seen: dict[str, Any] = {"at": -SECONDS, "triggers": frozenset(), "live": False}


def published() -> tuple[frozenset[str], bool]:
    """(the published flows' triggers, whether any run is active or waiting)."""
    now = time.monotonic()
    if now - float(_seen["at"]) >= SECONDS:
        with session_scope() as session:
            _seen["triggers"] = frozenset(str(t) for t in session.execute(
                select(col(Flow.trigger_type)).where(col(Flow.trigger_type).is_not(None))).scalars())
            _seen["live"] = bool(session.execute(select(exists().where(col(FlowRun.status).in_(LIVE)))).scalar())
        _seen["at"] = now
    return _seen["triggers"], bool(_seen["live"])


def forget() -> None:
    _seen["at"] = -SECONDS
