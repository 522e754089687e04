"""The core's record for the composition root: contacts, conversations, agents, channels, the inbox and
its pages. (Assignment, tagging, privacy and web chat have records of their own.)"""

from __future__ import annotations

from datetime import timedelta

from channels import ADAPTERS
from hub import demo
from hub.admin.pages import router as admin_pages
from hub.admin.views import router as admin
from hub.agents.admin_views import router as staff
from hub.agents.models import Team, TeamMember, User
from hub.agents.session_views import router as sessions
from hub.agents.views import router as auth
from hub.agents.web_views import api_router as account_api
from hub.agents.web_views import router as account
from hub.api.health import router as health
from hub.audit.models import AuditEntry
from hub.channel_records.models import Channel, TeamChannel
from hub.channel_records.views import router as channels
from hub.consent.views import router as consent
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.contacts.views import router as contacts
from hub.conversations.actions_views import router as inbox_actions
from hub.conversations.canned_models import CannedReply
from hub.conversations.models import Conversation, Message, PendingReceipt
from hub.conversations.views import router as conversations
from hub.jobs import listeners, tasks
from hub.media.views import router as media
from hub.realtime.routes import router as live
from hub.runtime import Inbox, Listener, Module, Periodic, Web, events
from hub.runtime.inbox import PARTITIONS, RawEvent
from hub.tags.models import ContactTag, ConversationTag, Tag
from hub.web import strings
from hub.web.inbox_api import router as inbox_api
from hub.web.pages import FOLDER as WEB_FOLDER
from hub.web.pages import router as web
from hub.webhooks import partitions as webhook_partitions

CHANNEL_EVENTS = Inbox(wake=tasks.wake_drain)
"""Every channel's webhooks: one drain turns them into contacts, conversations, messages and receipts."""

MODULE = Module(
    name="hub",
    models=(User, Team, TeamMember, AuditEntry, Channel, TeamChannel, Contact, ChannelIdentity, Consent,
            Conversation, Message, PendingReceipt, CannedReply, Tag, ContactTag, ConversationTag, RawEvent),
    pages=(web, admin_pages),  # the inbox first: it is the front door at "/"
    web=Web(folder=WEB_FOLDER, styles=("hub.css",), strings=strings.STRINGS),
    routers=(health, auth, channels, conversations, consent, contacts, admin, media,
             inbox_actions, inbox_api, live, account, account_api, staff, sessions),
    listeners=(Listener(events.MESSAGE_CREATED, listeners.enqueue_send),
               Listener(events.MESSAGE_RECEIVED, listeners.enqueue_acknowledge),
               Listener(events.MESSAGE_RECEIVED, listeners.enqueue_media)),
    periodic=(Periodic(tasks.sweep, every=timedelta(seconds=10)),  # lost sends, dead workers, snoozes ending
              webhook_partitions.DAILY),
    partitioned=(PARTITIONS,),
    inbox={adapter.provider: CHANNEL_EVENTS for adapter in ADAPTERS.values()},
    demo=demo.announce,
)
