"""`hub reports backfill`: record every fact the existing rows show, then recompute the rollups from the facts.

Safe to run twice and beside live traffic (facts are unique by source); chunks commit one at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from catalog.models import Order
from hub.conversations.models import Conversation, Message
from hub.csat.models import CsatSurvey
from hub.runtime.db import session_scope
from reports import months, record, rollup

CHUNK = 2000


def _walk(column: Any, sync: Callable[[Session, list[int]], int], say: Callable[[str], None], what: str) -> int:
    last, total = 0, 0
    while True:
        with session_scope() as session:
            ids = [int(i) for i in session.execute(select(column).where(column > last).order_by(column)
                                                   .limit(CHUNK)).scalars()]
            if not ids:
                return total
            total += sync(session, ids)
            last = ids[-1]
        say(f"{what}: up to id {last}, {total} new facts")


def backfill(say: Callable[[str], None] = print) -> dict[str, int]:
    """Record facts for every conversation, message, order and CSAT survey; rebuild the rollups. How many of each."""
    done = {
        "conversations": _walk(col(Conversation.id), lambda s, ids: record.sync(s, conversation_ids=ids), say,
                               "conversations"),
        "messages": _walk(col(Message.id), lambda s, ids: record.sync(s, message_ids=ids), say, "messages"),
        "orders": _walk(col(Order.id), lambda s, ids: record.sync(s, order_ids=ids), say, "orders"),
        "csat": _walk(col(CsatSurvey.id), lambda s, ids: record.sync(s, survey_ids=ids), say, "CSAT surveys"),
    }
    with session_scope() as session:
        done["rollup_rows"] = rollup.rebuild(session)
    with session_scope() as session:
        done["month_rows"] = months.fold(session)
    return done
