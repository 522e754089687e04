"""The demo shop's bot for `make run`: the shop assistant (flows.bots.templates) on every channel with the
knowledge base's opening hours and shipping answers in en, zh-Hant and ja. A sandbox customer who writes gets
the bot; "where is my order" shows their orders if they bought in that chat; "find a product" searches the
demo catalog (cards in their language and currency); "my points" shows a verified customer's loyalty balance
and tier; a refund request goes to a person
(the channel's team's policy picks the agent who reads the customer's language) with a note. Existing demo
conversations stay with people. Running it again changes nothing."""

from __future__ import annotations

from sqlmodel import select

from flows.bots import knowledge, service
from flows.bots.models import Bot
from flows.bots.templates import KNOWLEDGE, shop_assistant
from flows.journeys import service as journeys
from hub.runtime.db import session_scope

NAME = "Shop assistant"


def announce() -> str | None:
    with session_scope() as session:
        if session.exec(select(Bot).where(Bot.name == NAME)).first() is not None:
            return None
        for entry in KNOWLEDGE:
            knowledge.create(session=session, values=entry)
        flow = journeys.create(session=session, name=NAME, definition=shop_assistant(),
                               description="Opening hours, where is my order, products, points, refunds to a person")
        journeys.publish(session=session, flow_id=flow.id or 0)
        service.create(session=session, values={"name": NAME, "flow_id": flow.id, "channel_ids": [],
                                                "threshold": 0.5}, actor_id=None)
    return ("demo bot published on every channel: opening hours, where is my order, find a product, my points, "
            "refunds to a person")
