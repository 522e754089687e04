"""Tagging for the demo: rules in Chinese, Japanese and English, Hong Kong business hours, and a
classifier trained on the shipped demo set.

`hub.demo` calls `load(session)` after the customers' messages are stored: the rules and the
classifier then run on those messages at once, so the inbox shows the Japanese refund request
tagged `refund`. Running it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from hub.conversations.models import Message
from hub.tagging import admin, service, suggest, train
from hub.tagging.models import BusinessHours, TagRule

RULES: list[dict[str, Any]] = [
    {"name": "refund", "conditions": [
        {"type": "keywords", "values": ["退款", "退貨", "返金", "返品", "refund", "return"]}],
     "actions": [{"type": "tag_conversation", "tag": "refund"}]},
    {"name": "order number", "conditions": [
        {"type": "pattern", "value": r"(order|訂單|單號|注文|オーダー)\D{0,8}\d{3,}"}],
     "actions": [{"type": "tag_conversation", "tag": "order status"}]},
    {"name": "complaint", "conditions": [
        {"type": "keywords", "values": ["投訴", "好差", "太差", "苦情", "ひどい", "complaint", "terrible", "worst"]}],
     "actions": [{"type": "tag_conversation", "tag": "complaint"}]},
    {"name": "after hours", "conditions": [{"type": "hours", "when": "outside"}],
     "actions": [{"type": "tag_conversation", "tag": "after hours"}]},
    {"name": "Japanese-speaking customer", "conditions": [{"type": "locale", "values": ["ja"]}],
     "actions": [{"type": "tag_contact", "tag": "日本語"}]},
]

HOURS = ("Asia/Hong_Kong", {day: [["10:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
         | {"sat": [["11:00", "17:00"]]})


def load(session: Session, train_model: bool = True) -> int:
    """Demo rules and hours (and a classifier, unless one is saved); tag the stored messages. Tags added."""
    names = set(session.execute(select(col(TagRule.name))).scalars())
    for rule in RULES:
        if rule["name"] not in names:
            admin.create_rule(session=session, actor=None, values=rule)
    if session.get(BusinessHours, 1) is None:
        admin.set_shop_hours(session=session, actor=None, timezone=HOURS[0], weekly=HOURS[1])
    tagger = train.current()
    if tagger is None and train_model:
        tagger, _, _ = train.train(train.examples_for(session))
    session.flush()
    added = 0
    for message_id in session.execute(select(col(Message.id)).where(col(Message.direction) == "inbound")
                                      .order_by(col(Message.id))).scalars():
        message = service.inbound(session, int(message_id))
        if message is None:
            continue
        added += len(service.apply_rules(session=session, message=message))
        if tagger is not None:
            added += len(suggest.suggest(session=session, message=message, tagger=tagger))
    return added
