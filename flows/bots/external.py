"""External bots (Rasa, Botpress, Typebot...): Hub posts them signed events and they answer through the API.

Events are Chatwoot AgentBot-shaped where that costs nothing (`event`, `id`, `content`, `message_type`,
`conversation`, `sender`), signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`) by the bot's secret, and posted through the guarded client (public addresses only, unless
HUB_ALLOW_PRIVATE_URLS). A bot that does not take the event within TIMEOUT seconds, or answers it with an
error, hands the conversation off (`timeout`, `error`); so does one that took a customer's message and sent no
reply within TIMEOUT (`answered_in_time`, queued for then). Replies come through
`POST /api/v1/agent-bots/conversations/{id}/messages` with the bot's token (sender `bot`, so the delivery engine
drops them once a person has taken the conversation), a handoff through `.../handoff`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import func
from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from channels.netguard import check_url, guarded_session
from flows.bots import handoff, service, texts
from flows.bots.models import Bot
from hub.conversations.models import AutomationMode, Conversation, Message
from hub.runtime import broker, queues
from hub.runtime.db import as_utc, session_scope, utcnow
from hub.runtime.settings import get_settings

log = logging.getLogger(__name__)

QUEUE = "inbound"
TIMEOUT = 5.0
NOTICE_TIMEOUT = 2.0
MIN_WAIT = 0.5
NOTICES = queues.WEBHOOKS_OUT
"""Opened / resolved notices: another queue, so a slow bot never delays the answer to a customer."""
USER_AGENT = "Hub-AgentBot/1"


def forward(session: Session, bot: Bot, conversation: Conversation, message: Message,
            after: list[Callable[[], object]]) -> str:
    """Queue the `message_created` event for the bot, after the caller's commit."""
    bot_id, conversation_id, message_id = bot.id, conversation.id, message.id
    after.append(lambda: broker.enqueue(QUEUE, deliver, bot_id, "message_created", conversation_id, message_id))
    return "forwarded"


def event_body(session: Session, kind: str, conversation: Conversation, message: Message | None) -> dict[str, Any]:
    from hub.contacts import service as contacts

    contact = contacts.get(session=session, contact_id=conversation.contact_id)
    body: dict[str, Any] = {
        "event": kind,
        "conversation": {"id": conversation.id, "status": conversation.status, "channel_id": conversation.channel_id,
                         "contact_id": conversation.contact_id, "automation_mode": conversation.automation_mode},
        "sender": {"id": conversation.contact_id, "name": contact.name if contact else None, "type": "contact"},
    }
    if message is not None:
        body.update({"id": message.id, "content": message.text, "message_type": "incoming",
                     "content_type": message.kind, "content_attributes": message.payload or {},
                     "created_at": message.created_at.isoformat()})
    return body


def sign(secret: str, message_id: str, at: datetime, data: bytes) -> str:
    """Standard Webhooks' `v1,` signature; a secret without the `whsec_` prefix is used as it is."""
    key = secret if secret.startswith("whsec_") else base64.b64encode(secret.encode()).decode()
    return str(Webhook(key).sign(message_id, at, data))


def deliver(bot_id: int, kind: str, conversation_id: int, message_id: int | None) -> str:
    """Job: post one event to the bot. For a customer's message, no answer in TIMEOUT seconds or not a 2xx
    hands off; a notice (opened, resolved) that fails is only logged: nobody waits for it."""
    with session_scope() as session:
        bot = session.get(Bot, bot_id)
        conversation = session.get(Conversation, conversation_id)
        message = session.get(Message, message_id) if message_id else None
        if bot is None or conversation is None or not bot.url:
            return "gone"
        body = event_body(session, kind, conversation, message)
        url, secret = bot.url, _secret(bot)
        arrived = as_utc(message.created_at) if message is not None else None
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    event_id = f"bot_{bot_id}_{kind}_{conversation_id}_{message_id or 0}"
    at = datetime.now(UTC)
    headers = {"webhook-id": event_id, "webhook-timestamp": str(int(at.timestamp())),
               "webhook-signature": sign(secret, event_id, at, data), "content-type": "application/json",
               "user-agent": USER_AGENT}
    waiting = kind == "message_created"
    # the customer has waited since their message arrived, not since this job started
    budget = max(MIN_WAIT, TIMEOUT - (utcnow() - arrived).total_seconds()) if arrived else NOTICE_TIMEOUT
    try:
        status = asyncio.run(_post(url, data, headers, budget if waiting else NOTICE_TIMEOUT))
    except TimeoutError:
        return _give_up(bot_id, conversation_id, "timeout", f"no answer within {TIMEOUT:g} s") if waiting \
            else "late"
    except Exception as error:  # noqa: BLE001 - refused, unreachable, reset: the customer must not wait
        log.warning("an external bot refused %s: %s", kind, error)
        return _give_up(bot_id, conversation_id, "error", f"{type(error).__name__}: {error}"[:300]) if waiting \
            else "failed"
    if not 200 <= status < 300:
        return _give_up(bot_id, conversation_id, "error", f"HTTP {status}") if waiting else "failed"
    if kind == "message_created" and message_id is not None:
        try:
            broker.queue(QUEUE).enqueue_in(timedelta(seconds=TIMEOUT), answered_in_time, bot_id, conversation_id,
                                           message_id)
        except Exception as error:  # Redis down: the bot's answer, if any, still goes out
            log.warning("could not queue the bot's answer check: %s", error)
    return "delivered"


def _secret(bot: Bot) -> str:
    from hub.webhooks_out import secret

    return secret.unseal(bot.secret or "")


async def _post(url: str, data: bytes, headers: dict[str, str], seconds: float) -> int:
    allow_private = get_settings().allow_private_urls
    check_url(url, allow_private=allow_private)
    timeout = aiohttp.ClientTimeout(total=seconds)
    try:
        async with (guarded_session(allow_private=allow_private, timeout=timeout, connections=1) as client,
                    client.post(url, data=data, headers=headers, allow_redirects=False) as answer):
            return answer.status
    except TimeoutError as error:
        raise TimeoutError(str(error)) from error


def answered_in_time(bot_id: int, conversation_id: int, message_id: int) -> str:
    """Job, TIMEOUT after a customer's message reached the bot: no reply of the bot since → hand off."""
    with session_scope() as session:
        replied = session.execute(select(func.count()).select_from(Message).where(
            col(Message.conversation_id) == conversation_id, col(Message.id) > message_id,
            col(Message.direction) == "outbound", col(Message.sender) == "bot")).scalar_one()
    if replied:
        return "answered"
    return _give_up(bot_id, conversation_id, "timeout", f"no reply within {TIMEOUT:g} s")


def _give_up(bot_id: int, conversation_id: int, reason: str, detail: str) -> str:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.automation_mode != AutomationMode.bot.value:
            return "human"
        locale = texts.canonical(service.collected(session=session, bot_id=bot_id,
                                                   conversation_id=conversation_id).get("locale"))
        handoff.hand_off(session, bot_id=bot_id, conversation_id=conversation_id, reason=reason, locale=locale,
                         detail=detail)
    return "handed_off"


def notify(kind: str, conversation_id: int) -> str:
    """Job: a conversation opened or resolved on a channel an external bot serves: the bot is told."""
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        bot = service.for_channel(session=session, channel_id=conversation.channel_id) if conversation else None
        if bot is None or bot.id is None or bot.kind != "external":
            return "no_bot"
        bot_id = bot.id
    return deliver(bot_id, kind, conversation_id, None)


def _wanted(event: Any) -> bool:
    try:
        return service.serves(event.data.get("channel_id"))
    except Exception:  # the database is busy or down: queue the job, which decides in its own session
        return True


def on_conversation_opened(event: Any) -> None:
    if event.data.get("conversation_id") is not None and _wanted(event):
        broker.enqueue(NOTICES, notify, "conversation_opened", int(event.data["conversation_id"]))


def on_conversation_updated(event: Any) -> None:
    if event.data.get("conversation_id") is not None and event.data.get("status") == "resolved" and _wanted(event):
        broker.enqueue(NOTICES, notify, "conversation_resolved", int(event.data["conversation_id"]))
