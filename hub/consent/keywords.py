"""STOP / START / HELP: consent recorded per channel, and one confirmation sent back.

Confirmations are capped per contact and keyword over 24 hours (`HUB_STOP_CONFIRMATIONS_PER_DAY`,
`HUB_KEYWORD_REPLIES_PER_DAY`); past the cap the consent is still recorded, and nothing is sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, col, func, select

from channels.optout import classify_keyword
from hub.channel_records.models import Channel
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.contacts.models import Contact
from hub.conversations import outbound
from hub.conversations.models import Conversation, Message
from hub.runtime.db import utcnow
from hub.runtime.settings import get_settings

log = logging.getLogger(__name__)

SYSTEM_KEY = "system"

REPLIES: dict[str, dict[str, str]] = {
    "stop": {
        "en": "{shop}: you are unsubscribed and will get no more messages here. Reply START to subscribe again.",
        "zh": "{shop}：你已取消訂閱，之後不會再收到這裡的訊息。回覆 START 可重新訂閱。",
        "ja": "{shop}：配信を停止しました。今後こちらからメッセージは届きません。"
              "再開するには START と返信してください。",
    },
    "start": {
        "en": "{shop}: you are subscribed again. Reply STOP to unsubscribe, HELP for help.",
        "zh": "{shop}：你已重新訂閱。回覆 STOP 取消訂閱，HELP 查看說明。",
        "ja": "{shop}：配信を再開しました。停止は STOP、ヘルプは HELP と返信してください。",
    },
    "help": {
        "en": "{shop}: reply here and our team will answer. Reply STOP to unsubscribe.",
        "zh": "{shop}：直接回覆，我們的團隊會回答你。回覆 STOP 取消訂閱。",
        "ja": "{shop}：このまま返信いただければスタッフがお答えします。配信停止は STOP と返信してください。",
    },
}


def language_of(text: str, locale: str | None) -> str:
    """The reply language: the script of the keyword itself, else the contact's locale."""
    if any("\u3040" <= ch <= "\u30ff" for ch in text) or "配信" in text:
        return "ja"
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "zh"
    if locale:
        for code in ("ja", "zh"):
            if locale.lower().startswith(code):
                return code
    return "en"


def classify(text: str | None, kind: str) -> str | None:
    return classify_keyword(text, kind)


def _allowed(keyword: str) -> int:
    settings = get_settings()
    return settings.stop_confirmations_per_day if keyword == "stop" else settings.keyword_replies_per_day


def answered_today(*, session: Session, contact_id: int, keyword: str) -> int:
    """How many `keyword` confirmations this contact was sent in the last 24 hours, on any channel."""
    since = utcnow() - timedelta(days=1)
    mine = select(Conversation.id).where(Conversation.contact_id == contact_id)
    return int(session.exec(select(func.count()).select_from(Message).where(
        col(Message.conversation_id).in_(mine), col(Message.created_at) >= since,
        col(Message.client_key).like(f"consent-{keyword}-%"))).one())


def handle(*, session: Session, channel: Channel, conversation: Conversation, message: Message) -> str | None:
    """If the message is a consent keyword: record it and queue one confirmation. The keyword, or None."""
    keyword = classify_keyword(message.text, channel.kind)
    if keyword is None:
        return None
    assert conversation.id is not None and channel.id is not None
    if keyword in ("stop", "start"):
        contacts.record_consent(session=session, contact_id=conversation.contact_id, channel_id=channel.id,
                                status="opted_out" if keyword == "stop" else "opted_in",
                                source=f"keyword:{(message.text or '').strip()[:50]}")
    if answered_today(session=session, contact_id=conversation.contact_id, keyword=keyword) >= _allowed(keyword):
        # quiet: a loop with another bot, or someone sending HELP 25 times, gets no more answers today
        log.info("no %s confirmation for contact %s: the daily cap is reached", keyword, conversation.contact_id)
        return keyword
    contact = session.get(Contact, conversation.contact_id)
    language = language_of(message.text or "", locales.for_contact(session, contact, channel))
    text = REPLIES[keyword][language].format(shop=get_settings().shop_name)
    outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=text,
                         payload={SYSTEM_KEY: f"consent_{keyword}"}, client_key=f"consent-{keyword}-{message.id}")
    return keyword


def is_system(message: Message) -> bool:
    return SYSTEM_KEY in message.payload
