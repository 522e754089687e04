"""Who may receive a live event: a DB check per event per connected user, remembered briefly."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlmodel import Session, col, select

from hub.agents.models import User
from hub.agents.service import can_see_conversations
from hub.conversations.models import Conversation
from hub.runtime import events
from hub.runtime.db import get_engine

CACHE_SECONDS = 5.0
MAX_ENTRIES = 50_000


class Visibility:
    """`allowed()` answers from a cache at most CACHE_SECONDS old (an agent moved to another team
    stops getting that team's events within that time)."""

    REFRESHING = frozenset({events.CONVERSATION_OPENED, events.CONVERSATION_UPDATED})

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str, int], tuple[float, bool]] = {}

    def allowed(self, user_ids: Iterable[int], *, conversation_id: int | None = None,
                contact_id: int | None = None, fresh: bool = False) -> set[int]:
        """The users among `user_ids` who may see this conversation (or some conversation of this contact).

        `fresh` skips the cache: for events that may change who sees a conversation (a new one, a
        new assignee or team), so that the agent it was just given gets that very event.
        """
        if conversation_id is not None:
            what, target = "conversation", conversation_id
        elif contact_id is not None:
            what, target = "contact", contact_id
        else:
            return set()
        now = time.monotonic()
        result, missing = set(), []
        for user_id in set(user_ids):
            hit = self._cache.get((user_id, what, target))
            if hit is not None and now - hit[0] < CACHE_SECONDS and not fresh:
                if hit[1]:
                    result.add(user_id)
            else:
                missing.append(user_id)
        if missing:
            if len(self._cache) > MAX_ENTRIES:
                self._cache.clear()
            with Session(get_engine()) as session:
                for user_id in missing:
                    ok = _may_see(session, user_id, what, target)
                    self._cache[(user_id, what, target)] = (now, ok)
                    if ok:
                        result.add(user_id)
        return result


def _may_see(session: Session, user_id: int, what: str, target: int) -> bool:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    column = Conversation.id if what == "conversation" else Conversation.contact_id
    query = select(Conversation.id).where(col(column) == target, can_see_conversations(session, user)).limit(1)
    return session.exec(query).first() is not None
