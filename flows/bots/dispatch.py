"""A customer's message on a conversation in bot mode goes to the channel's bot.

The listener queues `answer` (ids only). A cart command (a product card's button, or its number on SMS) is the
catalog's to answer (`catalog.chat_replies`). Otherwise the job, in one transaction: the bot counts the conversation as
handled and settles the language (the message's script, else the one it wrote in before, else the contact's);
"agent" / "人工" / "担当者" hands off at once; an external bot gets the event (`flows.bots.external`); a flow
bot's step waiting for the customer runs again with the message, else a new run of its flow starts with it.
A step that raises hands the conversation off (`error`) instead of leaving the customer unanswered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from catalog import chat_replies
from flows.bots import handoff, service, texts
from flows.bots.models import Bot, BotKind
from flows.bots.steps import NEW_TOPIC
from flows.journeys import clock, runner
from flows.journeys import service as journeys
from flows.journeys.models import LIVE, Flow, FlowRun
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.conversations.models import AutomationMode, Conversation, Message
from hub.runtime import broker, events
from hub.runtime.db import session_scope

log = logging.getLogger(__name__)

QUEUE = "inbound"
"""A customer is waiting for the answer: the inbound queue, not the bulk one."""


def tapped(message: Message) -> str | None:
    """The id of the button a customer tapped, if the message is a tap."""
    payload = message.payload or {}
    for key in ("button_id", "id", "data", "payload"):
        if isinstance(payload.get(key), str) and payload[key]:
            return str(payload[key])
    button = payload.get("button") or payload.get("interactive") or {}
    if isinstance(button, dict):
        value = button.get("id") or button.get("payload")
        if isinstance(value, str):
            return value
    return None


def on_received(event: events.Event) -> None:
    if event.data.get("message_id") is None:
        return
    try:
        wanted = service.serves(event.data.get("channel_id"))
    except Exception:  # the database is busy or down: queue the job, which decides in its own session
        wanted = True
    if wanted:
        broker.enqueue(QUEUE, answer, int(event.data["message_id"]))


def _locale(session: Session, bot: Bot, conversation: Conversation, text: str | None) -> str:
    known = service.collected(session=session, bot_id=bot.id or 0, conversation_id=conversation.id or 0)
    detected = texts.detect(text)
    if detected and not (known.get("locale") and detected == "en" and len((text or "").split()) < 4):
        return detected  # a few Latin words (an email, "OK thanks") do not switch a Chinese conversation
    if known.get("locale"):
        return texts.canonical(str(known["locale"]))
    contact = contacts.get(session=session, contact_id=conversation.contact_id)
    return texts.canonical(locales.for_contact(session, contact, conversation.channel_id))


def _live_runs(session: Session, bot: Bot, conversation: Conversation) -> list[FlowRun]:
    if bot.flow_id is None:
        return []
    return list(session.exec(select(FlowRun).where(
        FlowRun.flow_id == bot.flow_id, FlowRun.contact_id == conversation.contact_id,
        col(FlowRun.status).in_(LIVE)).order_by(col(FlowRun.id))))


def end_runs(session: Session, bot: Bot, conversation: Conversation, reason: str) -> None:
    from flows.journeys.runner import End, Step, finish

    now = clock.now()
    for run in _live_runs(session, bot, conversation):
        claimed = runner.claim(session, run.id or 0, run.visit, now, due_only=False)
        if claimed is not None:
            finish(Step(session, claimed, runner.graph_of(session, claimed), now), End("exited", reason))


def answer(message_id: int) -> str:
    """Job: the bot answers one customer message (see the module docstring). Safe to run twice: a step waiting
    for this message has moved on, and a run started by it has its entry key."""
    after: list[Callable[[], object]] = []
    try:
        with session_scope() as session:
            outcome = _answer(session, message_id, after)
    except Exception:
        log.exception("a bot failed on a message", extra={"message_id": message_id})
        return _failed(message_id)
    for call in after:
        call()
    return outcome


def _answer(session: Session, message_id: int, after: list[Callable[[], object]]) -> str:
    message = session.get(Message, message_id)
    if message is None or message.direction != "inbound":
        return "skipped"
    conversation = session.get(Conversation, message.conversation_id, populate_existing=True)
    if conversation is None or conversation.id is None:
        return "skipped"
    if conversation.automation_mode != AutomationMode.bot.value:
        return "human"
    bot = service.for_channel(session=session, channel_id=conversation.channel_id)
    if bot is None or bot.id is None:
        return "no_bot"
    if chat_replies.command_of(session=session, message=message) is not None:
        return "cart"  # a product card's "Add to cart" (or its number on SMS): the catalog answers it
    now = clock.now()
    service.handled(session=session, bot_id=bot.id, conversation_id=conversation.id, now=now)
    locale = _locale(session, bot, conversation, None if tapped(message) else message.text)  # a tap says nothing
    service.remember(session=session, bot_id=bot.id, conversation_id=conversation.id, locale=locale,
                     last_text=(message.text or "")[:500])
    if texts.asks_for_person(message.text):
        end_runs(session, bot, conversation, "bot_handoff")
        handoff.hand_off(session, bot_id=bot.id, conversation_id=conversation.id, reason="asked", locale=locale,
                         now=now)
        return "handed_off"
    if bot.kind == BotKind.external.value:
        from flows.bots import external

        return external.forward(session, bot, conversation, message, after)
    return _run_flow(session, bot, conversation, message, locale, now, after)


def _run_flow(session: Session, bot: Bot, conversation: Conversation, message: Message, locale: str, now: Any,
              after: list[Callable[[], object]]) -> str:
    inbound = {"message_id": message.id, "text": message.text or "", "button": tapped(message)}
    for run in _live_runs(session, bot, conversation):
        if int((run.context.get("step") or {}).get("after") or 0) >= (message.id or 0):
            return "seen"  # this job ran before: the step already took this message and waits for the next
        if runner.answer(session, run, now, after, inbound=inbound, locale=locale):
            if run.exit_reason != NEW_TOPIC:
                return "answered"
            break  # the customer moved on to something else: the bot starts over with this message
    flow = session.get(Flow, bot.flow_id) if bot.flow_id else None
    if flow is None or flow.published_version is None:
        return "no_flow"
    started = journeys.start_run(session=session, flow=flow, contact_id=conversation.contact_id,
                                 conversation_id=conversation.id, entry_key=f"bot:{message.id}", now=now)
    if started is None or started.id is None:
        return "busy"
    run = started
    run.context = {**run.context, "bot_id": bot.id, "conversation_id": conversation.id, "locale": locale,
                   "inbound": inbound, "fresh": True}
    session.add(run)
    session.flush()
    return runner.run_steps(session, started.id, run.visit, now, after)


def _failed(message_id: int) -> str:
    """A step raised (its transaction rolled back): the bot's runs end and a person takes the conversation."""
    with session_scope() as session:
        message = session.get(Message, message_id)
        conversation = session.get(Conversation, message.conversation_id) if message else None
        if conversation is None or conversation.id is None:
            return "error"
        bot = service.for_channel(session=session, channel_id=conversation.channel_id)
        if bot is None or bot.id is None:
            return "error"
        end_runs(session, bot, conversation, "bot_error")
        service.handled(session=session, bot_id=bot.id, conversation_id=conversation.id)
        assert message is not None
        locale = _locale(session, bot, conversation, None if tapped(message) else message.text)
        service.remember(session=session, bot_id=bot.id, conversation_id=conversation.id, locale=locale,
                         last_text=(message.text or "")[:500])
        handoff.hand_off(session, bot_id=bot.id, conversation_id=conversation.id, reason="error", locale=locale)
    return "handed_off"
