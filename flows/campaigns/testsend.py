"""A test send: the campaign's message to the marketer's own phone (or the sandbox phone, or a Telegram user id)
before launching, through the same compose and the same send path as a customer's reply (a queued message in
that address's conversation, sent by the worker), so what arrives is what customers will get. Personal fields
are the contact's own (the marketer's), the coupon a sample; URL buttons keep their own address (no tracking)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from channels import IdentityRef
from flows.campaigns.models import Campaign
from flows.campaigns.personalise import OUTSIDE_WINDOW_REASON, ContactFields, compose, compose_template, window_open
from flows.campaigns.service import CampaignError
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of
from hub.contacts import service as contacts
from hub.contacts.identities import stored
from hub.conversations import outbound
from hub.conversations import service as conversations
from hub.conversations.models import Message

TEST_COUPON = "TEST-0000"


def test_send(*, session: Session, campaign: Campaign, channel_id: int, to: str, variant: str | None,
              actor_id: int | None) -> Message:
    """Queue the campaign's message to `to` on one of its channels; CampaignError says why not."""
    channel = session.get(Channel, channel_id)
    if channel is None or channel_id not in campaign.channel_ids:
        raise CampaignError(f"channel_id: {channel_id} is not one of this campaign's channels")
    if not to.strip():
        raise CampaignError("to: an address is needed (a phone number or a Telegram user id)")
    adapter = adapter_of(channel.kind)
    if "phone" in adapter.identity_kinds:
        try:
            ref = IdentityRef(kind="phone", value=contacts.normalize_phone(to))
        except ValueError:
            raise CampaignError(f"to: {to!r} is not a phone number (E.164, like +85291234567)") from None
    else:
        ref = IdentityRef(kind=adapter.identity_kinds[0], value=to.strip())  # type: ignore[arg-type]
    contact = contacts.resolve(session=session, identities=stored([ref], adapter.phone_identity))
    assert contact.id is not None
    conversation, _ = conversations.open_for(session=session, contact_id=contact.id, channel_id=channel_id)
    fields = ContactFields.of(contact, TEST_COUPON)
    if window_open(session, contact.id, channel):
        kind, text, payload = compose(campaign, variant, fields)
    elif (campaign.template or {}).get("name"):
        kind, text, payload = compose_template(campaign, fields)
    else:
        raise CampaignError(f"{OUTSIDE_WINDOW_REASON}: write to this channel from {to} first (its 24-hour window), "
                            "or give the campaign a WhatsApp template")
    extra: dict[str, Any] = {"campaign_test": True}
    try:
        message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=actor_id, text=text,
                                          kind=kind, payload={**payload, **extra})
    except outbound.ReplyRefused as refused:
        raise CampaignError(str(refused)) from None
    return message
