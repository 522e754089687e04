"""Every table of the core, so that Alembic and tests see one metadata."""

from sqlmodel import SQLModel

from hub.agents.models import Team, TeamMember, User
from hub.audit.models import AuditEntry
from hub.channel_records.models import Channel, TeamChannel
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.canned_models import CannedReply
from hub.conversations.models import Conversation, Message, PendingReceipt
from hub.tags.models import ContactTag, ConversationTag, Tag
from hub.webhooks.models import WebhookEvent

metadata = SQLModel.metadata

__all__ = [
    "AuditEntry", "CannedReply", "Channel", "ChannelIdentity", "Consent", "Contact", "ContactTag", "Conversation",
    "ConversationTag", "Message", "PendingReceipt", "Tag", "Team", "TeamChannel", "TeamMember", "User",
    "WebhookEvent", "metadata",
]
