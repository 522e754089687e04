"""The demo broadcast for `make run`: a winter coupon on WhatsApp (Meta) HK to the customers who opted in there
(the demo's 陳大文, opted in here), launched at once. Each recipient's message carries their own code and the
link to their coupon page with its QR code, which the demo store's clerk redeems at /store."""

from __future__ import annotations

from sqlmodel import select

from flows.campaigns import service
from flows.campaigns.models import Campaign
from hub.channel_records import service as channels
from hub.contacts import service as contacts
from hub.runtime.db import session_scope

NAME = "Winter coupon / 冬日優惠"
CUSTOMER = "+85291234567"
TEXT = ("{{ contact.first_name }}，冬日優惠：憑此券到門市購物可享九折！優惠碼 {{ coupon }}\n"
        "Winter treat: 10% off in store with {{ coupon }}. Show this at the till: {{ coupon_url }}")


def announce() -> str | None:
    with session_scope() as session:
        if session.exec(select(Campaign).where(Campaign.name == NAME)).first() is not None:
            return None
        channel = next((c for c in channels.list_all(session=session) if c.kind == "whatsapp_meta"), None)
        known = contacts.contacts_by_identity(session=session, kind="whatsapp", values=[CUSTOMER])
        if channel is None or channel.id is None or CUSTOMER not in known:
            return None
        contacts.record_consent(session=session, contact_id=known[CUSTOMER], channel_id=channel.id,
                                status="opted_in", source="demo: joined the winter promotion")
        campaign = service.create(session=session, data={
            "name": NAME, "channel_ids": [channel.id], "coupon_prefix": "WINTER", "quiet_start": None,
            "quiet_end": None, "variants": [{"name": "A", "weight": 100, "text": TEXT}]})
        service.launch(session=session, campaign_id=campaign.id or 0)
    return f"demo broadcast launched: {NAME} (its coupons are redeemed at /store)"
