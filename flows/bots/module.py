"""The bots' record for the composition root: their tables, API, and the listener that hands a customer's
message on a conversation in bot mode to the channel's bot."""

from __future__ import annotations

from flows.bots import demo, dispatch, external
from flows.bots.models import Bot, BotConversation, BotHandoff, KnowledgeEntry
from flows.bots.views import router
from hub.runtime import Listener, Module, events

MODULE = Module(
    name="bots",
    models=(Bot, KnowledgeEntry, BotConversation, BotHandoff),
    routers=(router,),
    listeners=(Listener(events.MESSAGE_RECEIVED, dispatch.on_received),
               Listener(events.CONVERSATION_OPENED, external.on_conversation_opened),
               Listener(events.CONVERSATION_UPDATED, external.on_conversation_updated)),
    demo=demo.announce,  # the shop assistant on every channel
)
