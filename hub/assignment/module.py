"""Auto-assignment's record for the composition root."""

from __future__ import annotations

from datetime import timedelta

from hub.assignment import jobs
from hub.assignment.models import AgentProfile, AssignmentPolicy, AssignmentRecord, ConversationAssignment, TeamPolicy
from hub.assignment.views import router
from hub.runtime import Listener, Module, Periodic, events

MODULE = Module(
    name="assignment",
    models=(AgentProfile, AssignmentPolicy, TeamPolicy, ConversationAssignment, AssignmentRecord),
    routers=(router,),
    listeners=(Listener(events.CONVERSATION_OPENED, jobs.on_conversations_opened, batch=True),
               Listener(events.MESSAGE_RECEIVED, jobs.on_message_received),
               Listener(events.CONVERSATION_UPDATED, jobs.on_conversation_updated)),
    periodic=(Periodic(jobs.sweep, every=timedelta(seconds=10)),),  # offline agents, late conversations, the queue
)
