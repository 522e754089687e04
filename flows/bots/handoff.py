"""The handoff: a bot gives the conversation to a person, cleanly, once.

In the caller's transaction: the customer is told what happens next in their language (a `system` message: it
goes out although the conversation is a person's from now on); the conversation switches to `human` with the
first-response clock starting now (`hub.conversations.automation.bot_hands_off`); a team the step names takes
it, and the assignment rules pick the agent; a private note tells the agent what the bot collected; the
handoff is counted with its reason. A conversation a person has already taken is left alone.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from flows.bots import texts
from flows.bots.models import BotConversation, BotHandoff
from hub.assignment import service as assignment
from hub.conversations import actions, automation
from hub.conversations import outbound as replies
from hub.conversations.models import AutomationMode, Conversation
from hub.outbound import Sender
from hub.runtime.db import utcnow
from hub.runtime.settings import get_settings

NOTE: dict[str, dict[str, str]] = {
    "title": {"en": "Bot handoff ({reason})", "zh-Hant": "機械人轉接（{reason}）",
              "ja": "ボットからの引き継ぎ（{reason}）"},
    "said": {"en": "Customer's last message", "zh-Hant": "客人最後的訊息", "ja": "お客様の最後のメッセージ"},
    "collected": {"en": "Collected", "zh-Hant": "已收集", "ja": "収集した情報"},
    "answered": {"en": "Last answer given", "zh-Hant": "最後提供的答案", "ja": "最後の回答"},
    "language": {"en": "Language", "zh-Hant": "語言", "ja": "言語"},
}


def summary(reason: str, locale: str, facts: dict[str, Any]) -> str:
    """The private note: why, what the customer said last, what the bot collected, in the shop's language."""
    staff = texts.canonical(get_settings().default_locale)
    lines = [texts.word(NOTE, "title", staff).format(reason=reason)]
    if facts.get("last_text"):
        lines.append(f"{texts.word(NOTE, 'said', staff)}: {str(facts['last_text'])[:300]}")
    collected = facts.get("collected") or {}
    if collected:
        lines.append(f"{texts.word(NOTE, 'collected', staff)}: "
                     + ", ".join(f"{k}={v}" for k, v in sorted(collected.items())))
    if facts.get("last_answer"):
        lines.append(f"{texts.word(NOTE, 'answered', staff)}: {str(facts['last_answer'])[:200]}")
    lines.append(f"{texts.word(NOTE, 'language', staff)}: {locale}")
    return "\n".join(lines)


def _when_open(session: Session, now: datetime, locale: str) -> str | None:
    """When a person answers, if the shop is closed now (else None)."""
    from hub.assignment import hours
    from hub.tagging.admin import shop_hours

    row = shop_hours(session=session)
    if hours.is_open(row.timezone, row.weekly_hours, now):
        return None
    opening = hours.next_opening(row.timezone, row.weekly_hours, now)
    if opening is None:
        return None
    local = opening.astimezone(hours.zone(row.timezone))
    return local.strftime("%Y-%m-%d %H:%M") if texts.canonical(locale) != "en" else local.strftime("%a %H:%M")


def hand_off(session: Session, *, bot_id: int, conversation_id: int, reason: str, locale: str,
             detail: str | None = None, team_id: int | None = None, text: str | None = None,
             now: datetime | None = None) -> BotHandoff | None:
    """Hand the conversation to a person (see the module docstring); None when a person has it already."""
    now = now or utcnow()
    conversation = session.get(Conversation, conversation_id, populate_existing=True)
    if conversation is None or conversation.automation_mode == AutomationMode.human.value:
        return None
    count = int(session.execute(select(func.count()).select_from(BotHandoff).where(
        col(BotHandoff.conversation_id) == conversation_id)).scalar_one())
    when = _when_open(session, now, locale)
    notice = text or (texts.say("handoff_away", locale, when=when) if when else texts.say("handoff", locale))
    with contextlib.suppress(replies.ReplyRefused):  # an opt-out or a closed window: a person still takes over
        replies.queue_reply(session=session, conversation=conversation, author_id=None, text=notice,
                            payload={"bot_handoff": reason}, client_key=f"bot-handoff:{count + 1}",
                            sender=Sender.system.value)
    automation.bot_hands_off(session=session, conversation_id=conversation_id, reason=f"bot handoff: {reason}")
    if team_id:
        with contextlib.suppress(actions.ActionRefused):
            actions.hand_to_team(session=session, conversation=conversation, team_id=team_id, actor_id=None)
    outcome = assignment.assign(session=session, conversation_id=conversation_id, now=now)
    row = session.get(BotConversation, (bot_id, conversation_id), populate_existing=True)
    facts = dict(row.context) if row is not None else {}
    actions.add_note(session=session, conversation=conversation, author_id=None,
                     text=summary(reason, locale, facts))
    session.execute(update(BotConversation).where(col(BotConversation.bot_id) == bot_id,
                                                  col(BotConversation.conversation_id) == conversation_id)
                    .values(handed_off=True, last_at=now))
    handoff = BotHandoff(bot_id=bot_id, conversation_id=conversation_id, reason=reason[:20],
                         detail=(detail or "")[:300] or None, knowledge_id=facts.get("last_answer_id"),
                         assignee_id=outcome.assignee_id, created_at=now)
    session.add(handoff)
    session.flush()
    return handoff
