"""Bots: which bot serves a channel, the conversations they handled, and their numbers.

A bot serves the channels it lists (none: every channel); the first enabled one, by id, answers. A flow bot
runs its flow, whose trigger is `bot`; an external bot is posted signed events (`flows.bots.external`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from flows.bots.models import Bot, BotConversation, BotHandoff, BotKind, KnowledgeEntry
from flows.journeys.models import Flow
from hub.conversations import automation
from hub.conversations.models import AutomationMode, Conversation
from hub.runtime import upsert
from hub.runtime.db import session_scope, utcnow

TOKEN_PREFIX = "hubbot_"


class BotRefused(ValueError):
    """A bot that cannot be stored as asked; the message says why."""


class NotFound(LookupError):
    pass


def get(*, session: Session, bot_id: int) -> Bot:
    bot = session.get(Bot, bot_id)
    if bot is None:
        raise NotFound("no such bot")
    return bot


def listed(*, session: Session) -> list[Bot]:
    return list(session.exec(select(Bot).order_by(col(Bot.id))))


SECONDS = 5.0
_served: dict[str, Any] = {"at": -SECONDS, "all": False, "ids": frozenset()}


def serves(channel_id: int | None) -> bool:
    """Might an enabled bot serve this channel? Read at most every SECONDS per process (the message listener asks
    it for every customer message); a bot changed in this process is seen at once (`forget`)."""
    now = time.monotonic()
    if now - float(_served["at"]) >= SECONDS:
        with session_scope() as session:
            lists = [list(ids or []) for ids in session.execute(
                select(col(Bot.channel_ids)).where(col(Bot.enabled).is_(True))).scalars()]
        _served.update({"at": now, "all": any(not ids for ids in lists),
                        "ids": frozenset(int(i) for ids in lists for i in ids)})
    return bool(_served["all"]) or channel_id is None or channel_id in _served["ids"]


def forget() -> None:
    _served["at"] = -SECONDS


def for_channel(*, session: Session, channel_id: int) -> Bot | None:
    """The enabled bot that answers on this channel, if any."""
    for bot in session.exec(select(Bot).where(col(Bot.enabled).is_(True)).order_by(col(Bot.id))):
        if not bot.channel_ids or channel_id in bot.channel_ids:
            return bot
    return None


def _check(session: Session, values: dict[str, Any]) -> None:
    if values.get("flow_id") is not None:
        flow = session.get(Flow, int(values["flow_id"]))
        if flow is None:
            raise BotRefused("flow_id names no flow")
    threshold = values.get("threshold")
    if threshold is not None and not 0 <= float(threshold) <= 1:
        raise BotRefused("threshold is between 0 and 1")


def create(*, session: Session, values: dict[str, Any], actor_id: int | None) -> Bot:
    _check(session, values)
    bot = Bot(**values, created_by=actor_id)
    session.add(bot)
    session.flush()
    serve(session, bot)
    return bot


def serve(session: Session, bot: Bot) -> None:
    """New conversations on an enabled bot's channels (none listed: every channel) start in bot mode; a
    disabled bot's go to people."""
    forget()
    mode = AutomationMode.bot.value if bot.enabled else AutomationMode.human.value
    automation.set_channel_default(session=session, channel_ids=bot.channel_ids or None, mode=mode)


def create_external(*, session: Session, name: str, url: str, secret: str, channel_ids: list[int],
                    actor_id: int | None) -> tuple[Bot, str]:
    """An external bot: (the bot, its API token, shown this once)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    from hub.webhooks_out.secret import seal

    bot = Bot(name=name, kind=BotKind.external.value, url=url, secret=seal(secret), channel_ids=channel_ids,
              token_hash=hash_token(token), created_by=actor_id)
    session.add(bot)
    session.flush()
    serve(session, bot)
    return bot, token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def by_token(*, session: Session, token: str) -> Bot | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return session.exec(select(Bot).where(Bot.token_hash == hash_token(token), col(Bot.enabled).is_(True))).first()


def update(*, session: Session, bot_id: int, changes: dict[str, Any]) -> Bot:
    bot = get(session=session, bot_id=bot_id)
    _check(session, changes)
    for key, value in changes.items():
        setattr(bot, key, value)
    bot.updated_at = utcnow()
    session.add(bot)
    session.flush()
    if {"enabled", "channel_ids"} & set(changes):
        serve(session, bot)
    return bot


def handled(*, session: Session, bot_id: int, conversation_id: int, now: datetime | None = None) -> None:
    """The bot answers this conversation (counted once; `last_at` moves)."""
    now = now or utcnow()
    table = BotConversation.__table__  # type: ignore[attr-defined]
    upsert(session, table, [{"bot_id": bot_id, "conversation_id": conversation_id, "first_at": now, "last_at": now,
                             "handed_off": False, "context": {}}],
           key=["bot_id", "conversation_id"], update=["last_at"])


def remember(*, session: Session, bot_id: int, conversation_id: int, **values: Any) -> dict[str, Any]:
    """Add to what the bot collected in this conversation (for the handoff's note); the whole of it."""
    row = session.get(BotConversation, (bot_id, conversation_id), populate_existing=True)
    if row is None:
        handled(session=session, bot_id=bot_id, conversation_id=conversation_id)
        row = session.get(BotConversation, (bot_id, conversation_id))
    assert row is not None
    row.context = {**row.context, **values}
    session.add(row)
    session.flush()
    return dict(row.context)


def collected(*, session: Session, bot_id: int, conversation_id: int) -> dict[str, Any]:
    row = session.get(BotConversation, (bot_id, conversation_id), populate_existing=True)
    return dict(row.context) if row is not None else {}


def stats(*, session: Session, bot_id: int) -> dict[str, Any]:
    """Conversations handled, contained (resolved without a person), handoffs by reason, and the answers given
    last before a handoff most often (the knowledge base's gaps)."""
    rows = session.execute(select(col(BotConversation.handed_off), col(Conversation.status), func.count())
                           .join(Conversation, col(Conversation.id) == col(BotConversation.conversation_id))
                           .where(col(BotConversation.bot_id) == bot_id)
                           .group_by(col(BotConversation.handed_off), col(Conversation.status))).all()
    handled_count = sum(int(r[2]) for r in rows)
    contained = sum(int(r[2]) for r in rows if not r[0] and r[1] == "resolved")
    reasons = dict(session.execute(select(col(BotHandoff.reason), func.count()).where(
        col(BotHandoff.bot_id) == bot_id).group_by(col(BotHandoff.reason))).tuples().all())
    gaps = session.execute(select(col(KnowledgeEntry.id), col(KnowledgeEntry.question), col(KnowledgeEntry.locale),
                                  func.count()).join(BotHandoff, col(BotHandoff.knowledge_id) == col(KnowledgeEntry.id))
                           .where(col(BotHandoff.bot_id) == bot_id)
                           .group_by(col(KnowledgeEntry.id), col(KnowledgeEntry.question), col(KnowledgeEntry.locale))
                           .order_by(func.count().desc(), col(KnowledgeEntry.id)).limit(10)).all()
    return {"bot_id": bot_id, "conversations": handled_count, "contained": contained,
            "containment_rate": round(contained / handled_count, 4) if handled_count else 0.0,
            "handoffs": sum(int(v) for v in reasons.values()),
            "handoffs_by_reason": {str(k): int(v) for k, v in reasons.items()},
            "answers_before_handoff": [{"knowledge_id": g[0], "question": g[1], "locale": g[2], "handoffs": int(g[3])}
                                       for g in gaps]}
