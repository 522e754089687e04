"""Who gets which variant on which channel (issue 13 items 10 and 11): the A/B split follows the weights at every
audience size, and a recipient is reached only on a channel they are on, the one they last wrote to first."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from flows.campaigns import service
from flows.campaigns.models import Recipient
from hub.channel_records.models import Channel
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.factories import make_channel

NOW = datetime(2025, 3, 3, 5, 0, tzinfo=UTC)  # daytime in Hong Kong and Tokyo


def contacts_on_telegram(session: Session, n: int) -> None:
    session.execute(insert(Contact), [{"name": f"客人 {i}", "custom_fields": {}, "created_at": NOW, "updated_at": NOW}
                                      for i in range(n)])
    ids = session.execute(select(Contact.id).order_by(Contact.id)).scalars().all()[-n:]
    session.execute(insert(ChannelIdentity), [{"contact_id": cid, "kind": "telegram", "value": f"tg{cid}",
                                               "verified": False, "created_at": NOW} for cid in ids])


def launched(channel_ids: list[int], **extra: object) -> dict[int, Recipient]:
    with session_scope() as session:
        data: dict[str, object] = {"name": "spring", "channel_ids": channel_ids, "quiet_start": None,
                                   "quiet_end": None, "variants": [{"name": "A", "text": "Hi"}]}
        data.update(extra)
        campaign = service.create(session=session, data=data)
        assert service.launch(session=session, campaign_id=campaign.id or 0, now=NOW)
        rows = session.exec(select(Recipient).where(Recipient.campaign_id == campaign.id)).all()
        for row in rows:
            session.expunge(row)
        return {row.contact_id: row for row in rows}


@pytest.mark.parametrize("weights", [(50, 50), (70, 30), (20, 30, 50)])
def test_a_thousand_recipients_follow_the_weights(backend: object, weights: tuple[int, ...]) -> None:
    telegram = make_channel("telegram", "TG").id or 0
    with session_scope() as session:
        contacts_on_telegram(session, 1000)
    variants = [{"name": "ABC"[i], "weight": w, "text": f"v{i}"} for i, w in enumerate(weights)]
    split = Counter(r.variant for r in launched([telegram], variants=variants).values())
    for index, weight in enumerate(weights):
        expected = 1000 * weight / sum(weights)
        spread = math.sqrt(1000 * (weight / sum(weights)) * (1 - weight / sum(weights)))
        assert abs(split["ABC"[index]] - expected) <= 3 * spread, split


def test_seven_recipients_at_fifty_fifty_get_both_variants(backend: object) -> None:
    """`id % 100` put contiguous ids all in variant A; now 7 at 50/50 are 4 and 3, the same on every run."""
    telegram = make_channel("telegram", "TG").id or 0
    with session_scope() as session:
        contacts_on_telegram(session, 7)
    variants = [{"name": "A", "weight": 50, "text": "a"}, {"name": "B", "weight": 50, "text": "b"}]
    first = launched([telegram], variants=variants)
    assert sorted(Counter(r.variant for r in first.values()).values()) == [3, 4]
    again = launched([telegram], variants=variants)  # another campaign shuffles differently, same sizes
    assert sorted(Counter(r.variant for r in again.values()).values()) == [3, 4]
    assert service.split_sizes([50, 50], 7) in ([4, 3], [3, 4]) and service.split_sizes([1, 0], 5) == [5, 0]
    # deterministic: the same campaign and contact always land in the same place
    assert service.variant_order(9, 12) == service.variant_order(9, 12) != service.variant_order(10, 12)


def _contact(session: Session, name: str, identities: list[tuple[str, str]]) -> int:
    contact = Contact(name=name)
    session.add(contact)
    session.flush()
    for kind, phone in identities:
        session.add(ChannelIdentity(contact_id=contact.id or 0, kind=kind, value=phone, phone=phone))
    session.flush()
    return contact.id or 0


def _conversation(session: Session, contact_id: int, channel_id: int, inbound: datetime | None,
                  activity: datetime) -> None:
    session.add(Conversation(contact_id=contact_id, channel_id=channel_id, last_inbound_at=inbound,
                             last_activity_at=activity, status="resolved"))


def test_an_sms_customer_who_said_stop_is_skipped_not_sent_on_whatsapp(backend: object) -> None:
    whatsapp = make_channel("whatsapp_meta", "WA", marketing_consent_required=False).id or 0
    sms = make_channel("sms_twilio", "SMS").id or 0
    with session_scope() as session:
        kim = _contact(session, "Kim", [("sms", "+85291000001")])
        _conversation(session, kim, sms, NOW - timedelta(days=2), NOW - timedelta(days=2))
        session.add(Consent(contact_id=kim, channel_id=sms, status="opted_out", source="keyword:STOP",
                            created_at=NOW - timedelta(days=2)))
    for mode in ("preferred", "fixed"):
        kims = launched([whatsapp, sms], channel_mode=mode)[kim]
        assert kims.state == "skipped", mode
        if mode == "preferred":  # their own channel, where they said STOP: not routed around it
            assert (kims.channel_id, kims.reason) == (sms, service.SKIP_OPTED_OUT)
        else:  # an SMS number is no WhatsApp address
            assert kims.reason == service.SKIP_UNREACHABLE


def test_preferred_is_the_customers_last_inbound_channel_not_hubs_last_send(backend: object) -> None:
    whatsapp = make_channel("whatsapp_meta", "WA", marketing_consent_required=False).id or 0
    sms = make_channel("sms_twilio", "SMS").id or 0
    with session_scope() as session:
        ann = _contact(session, "Ann", [("whatsapp", "+85291000002"), ("sms", "+85291000002")])
        _conversation(session, ann, whatsapp, NOW - timedelta(days=3), NOW - timedelta(days=3))
        _conversation(session, ann, sms, None, NOW - timedelta(hours=1))  # an SMS-only campaign's message
    recipient = launched([sms, whatsapp], channel_mode="preferred")[ann]
    assert (recipient.state, recipient.channel_id) == ("pending", whatsapp)


def test_a_customer_of_the_tokyo_number_is_not_reached_through_hong_kong(backend: object) -> None:
    hong_kong = make_channel("whatsapp_meta", "WA HK", marketing_consent_required=False).id or 0
    tokyo = make_channel("whatsapp_meta", "WA JP", marketing_consent_required=False).id or 0
    with session_scope() as session:
        yui = _contact(session, "Yui", [("whatsapp", "+819012345678")])
        _conversation(session, yui, tokyo, NOW - timedelta(days=1), NOW - timedelta(days=1))
        new = _contact(session, "New", [("whatsapp", "+85291000003")])  # never wrote: any WhatsApp number
    fixed = launched([hong_kong])
    assert (fixed[yui].state, fixed[yui].reason) == ("skipped", service.SKIP_UNREACHABLE)
    assert (fixed[new].state, fixed[new].channel_id) == ("pending", hong_kong)
    preferred = launched([hong_kong, tokyo], channel_mode="preferred")
    assert (preferred[yui].state, preferred[yui].channel_id) == ("pending", tokyo)


def priced_in(channel_id: int, currency: str) -> int:
    """The channel's `currency` config key (the key `catalog.chat.currency_for` reads), set directly."""
    with session_scope() as session:
        channel = session.get(Channel, channel_id)
        assert channel is not None
        channel.config = {**channel.config, "currency": currency}
        session.add(channel)
    return channel_id


def test_a_campaign_cannot_mix_channels_of_two_currencies(backend: object) -> None:
    hong_kong = priced_in(make_channel("whatsapp_meta", "WA HK").id or 0, "HKD")
    tokyo = priced_in(make_channel("whatsapp_meta", "WA JP").id or 0, "JPY")
    with session_scope() as session, pytest.raises(service.CampaignError, match="HKD .* JPY"):
        service.create(session=session, data={"name": "x", "channel_ids": [hong_kong, tokyo],
                                              "variants": [{"name": "A", "text": "Hi"}]})
    by_market = make_channel("whatsapp_meta", "WA JP market", config={"market": "JP"}).id  # a market implies yen
    with session_scope() as session, pytest.raises(service.CampaignError, match="HKD .* JPY"):
        service.create(session=session, data={"name": "x", "channel_ids": [hong_kong, by_market],
                                              "variants": [{"name": "A", "text": "Hi"}]})
