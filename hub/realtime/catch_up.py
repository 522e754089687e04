"""What changed while a client was away: the answer to `{"since": <ISO time or last message id>}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hub.agents.models import User
from hub.agents.service import can_see_conversations
from hub.conversations.models import Conversation, Message
from hub.runtime.db import as_utc

LIMIT = 200


class BadSince(ValueError):
    pass


def parse_since(value: object) -> int | datetime:
    """A message id (an integer, or digits) or an aware ISO 8601 moment (naive means UTC)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise BadSince("since must be the last message id you saw or an ISO 8601 time")


def catch_up(*, session: Session, user: User, since: int | datetime) -> dict[str, Any]:
    """Conversations changed and messages added since then, limited to what the user may see.

    `complete` is False when more changed than one answer holds: reload the whole list then.
    """
    allowed = can_see_conversations(session, user)
    if isinstance(since, int):
        query = (select(Message.id, Message.conversation_id, Message.status)
                 .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
                 .where(col(Message.id) > since, allowed).order_by(col(Message.id)).limit(LIMIT + 1))
        rows = list(session.execute(query))
        messages = [{"id": row[0], "conversation_id": row[1], "status": row[2]} for row in rows[:LIMIT]]
        conversation_ids = sorted({m["conversation_id"] for m in messages})
        complete = len(rows) <= LIMIT
    else:
        changed = (select(Conversation.id).where(col(Conversation.last_activity_at) > since, allowed)
                   .order_by(col(Conversation.last_activity_at).desc()).limit(LIMIT + 1))
        found = [int(i) for i in session.exec(changed) if i is not None]
        conversation_ids, messages, complete = sorted(found[:LIMIT]), [], len(found) <= LIMIT
    last = max((m["id"] for m in messages), default=since if isinstance(since, int) else None)
    return {"type": "catch_up", "conversations": conversation_ids, "messages": messages,
            "last_message_id": last, "complete": complete}
