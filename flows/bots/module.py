"""The bots' record for the composition root."""

from __future__ import annotations

from flows.bots.models import Bot, BotConversation, BotHandoff, KnowledgeEntry
from hub.runtime import Module

MODULE = Module(
    name="bots",
    models=(Bot, KnowledgeEntry, BotConversation, BotHandoff),
)
