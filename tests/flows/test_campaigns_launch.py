"""Launch: one set-based snapshot, skip reasons counted exactly, idempotence, A/B split, quiet hours."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from flows.campaigns import service, stats
from flows.campaigns.models import Campaign, Recipient
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.runtime.db import as_utc, get_engine, session_scope
from hub.tags.models import ContactTag, Tag
from tests.factories import make_channel

NOW = datetime(2025, 3, 3, 13, 0, tzinfo=UTC)  # 22:00 in Tokyo, 21:00 in Hong Kong


def add_contact(session: Session, name: str, identities: list[tuple[str, str, str | None]], **fields: object) -> int:
    contact = Contact(name=name, **fields)  # type: ignore[arg-type]
    session.add(contact)
    session.flush()
    for kind, value, phone in identities:
        session.add(ChannelIdentity(contact_id=contact.id or 0, kind=kind, value=value, phone=phone))
    return contact.id or 0


def wa(phone: str) -> list[tuple[str, str, str | None]]:
    return [("whatsapp", phone, phone)]


def make_campaign(session: Session, channel_ids: list[int], **extra: object) -> int:
    data: dict[str, object] = {"name": "spring", "channel_ids": channel_ids,
                               "variants": [{"name": "A", "text": "Hi {{ contact.name }}"}], "coupon_prefix": "SP-"}
    data.update(extra)
    return service.create(session=session, data=data).id or 0


def test_snapshot_with_skip_reasons_and_idempotent_launch(backend: object) -> None:
    channel = make_channel(kind="whatsapp_meta", name="WA", marketing_consent_required=False)  # opt-ins: own tests
    cid = channel.id or 0
    with session_scope() as session:
        for n in range(5):
            add_contact(session, f"ok{n}", wa(f"+8529100000{n}"))
        out = add_contact(session, "out", wa("+85291111111"))
        session.add(Consent(contact_id=out, channel_id=cid, status="opted_out", source="keyword:STOP",
                            created_at=NOW - timedelta(days=1)))
        back = add_contact(session, "back", wa("+85291111112"))  # opted out, then in again: included
        session.add(Consent(contact_id=back, channel_id=cid, status="opted_out", source="x",
                            created_at=NOW - timedelta(days=3)))
        session.add(Consent(contact_id=back, channel_id=cid, status="opted_in", source="y",
                            created_at=NOW - timedelta(days=2)))
        add_contact(session, "tg only", [("telegram", "70010", None)])
        add_contact(session, "nobody", [])
        add_contact(session, "bad phone", [("whatsapp", "12345", "12345")])
        sup = add_contact(session, "suppressed", wa("+85291111113"))
        tag = Tag(name="suppressed")
        session.add(tag)
        session.flush()
        session.add(ContactTag(contact_id=sup, tag_id=tag.id or 0))
        add_contact(session, "flagged", wa("+85291111114"), custom_fields={"suppressed": True})
        add_contact(session, "twin", [("whatsapp", "twin", "+85291000000")])  # ok0's number again
        campaign_id = make_campaign(session, [cid])

    statements: list[str] = []

    def count_inserts(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO CAMPAIGN_RECIPIENT"):
            statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count_inserts)
    try:
        with session_scope() as session:
            assert service.launch(session=session, campaign_id=campaign_id, now=NOW) is True
    finally:
        event.remove(get_engine(), "before_cursor_execute", count_inserts)
    assert len(statements) == 1 and "SELECT" in statements[0].upper()

    with session_scope() as session:
        rows = list(session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id)))
        reasons = Counter(r.reason for r in rows if r.state == "skipped")
        assert len(rows) == 13
        assert reasons == {service.SKIP_OPTED_OUT: 1, service.SKIP_UNREACHABLE: 2, service.SKIP_INVALID_PHONE: 1,
                           service.SKIP_SUPPRESSED: 2, service.SKIP_DUPLICATE: 1}
        pending = [r for r in rows if r.state == "pending"]
        assert len(pending) == 6
        assert all(r.coupon_code and r.coupon_code.startswith("SP-") for r in pending)
        assert len({r.coupon_code for r in pending}) == 6
        assert all(r.coupon_code is None for r in rows if r.state == "skipped")
        first = {(r.id, r.state, r.reason, r.coupon_code) for r in rows}
        numbers = stats.counts(session, campaign_id)
        assert (numbers["recipients"], numbers["skipped"], numbers["queued"]) == (13, 7, 6)
        assert numbers["queued_rate"] == 1.0

    with session_scope() as session:  # a second launch does nothing
        assert service.launch(session=session, campaign_id=campaign_id, now=NOW + timedelta(hours=1)) is False
    with session_scope() as session:
        again = {(r.id, r.state, r.reason, r.coupon_code)
                 for r in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id))}
        assert again == first


def test_preferred_channel_follows_the_latest_conversation_then_the_fallback_order(backend: object) -> None:
    from hub.conversations.models import Conversation

    whatsapp = make_channel(kind="whatsapp_meta", name="WA").id or 0
    telegram = make_channel(kind="telegram", name="TG").id or 0
    with session_scope() as session:
        both = add_contact(session, "both", [*wa("+85291000001"), ("telegram", "1001", None)])
        session.add(Conversation(contact_id=both, channel_id=telegram, last_activity_at=NOW))
        session.add(Conversation(contact_id=both, channel_id=whatsapp, last_activity_at=NOW - timedelta(days=1)))
        add_contact(session, "tg", [("telegram", "1002", None)])
        stopped = add_contact(session, "stopped", [*wa("+85291000003"), ("telegram", "1003", None)])
        session.add(Consent(contact_id=stopped, channel_id=whatsapp, status="opted_out", source="x"))
        campaign_id = make_campaign(session, [whatsapp, telegram], channel_mode="preferred")
    with session_scope() as session:
        service.launch(session=session, campaign_id=campaign_id, now=NOW)
    with session_scope() as session:
        chosen = {session.get(Contact, r.contact_id).name: (r.channel_id, r.state)  # type: ignore[union-attr]
                  for r in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id))}
    assert chosen == {"both": (telegram, "pending"), "tg": (telegram, "pending"), "stopped": (telegram, "pending")}


def test_ab_split_follows_the_weights(backend: object) -> None:
    channel = make_channel(kind="telegram", name="TG").id or 0
    with session_scope() as session:
        for n in range(400):
            add_contact(session, f"c{n}", [("telegram", str(5000 + n), None)])
        campaign_id = make_campaign(session, [channel], variants=[
            {"name": "A", "weight": 30, "text": "a"}, {"name": "B", "weight": 70, "text": "b"}])
    with session_scope() as session:
        service.launch(session=session, campaign_id=campaign_id, now=NOW)
    with session_scope() as session:
        split = Counter(r.variant for r in session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id)))
        by_variant = stats.by_variant(session, campaign_id)
    assert 100 <= split["A"] <= 140 and split["A"] + split["B"] == 400
    assert by_variant["A"]["recipients"] == split["A"]


@pytest.mark.parametrize("local_time", [False, True])
def test_quiet_hours_defer_per_time_zone(backend: object, local_time: bool) -> None:
    channel = make_channel(kind="telegram", name="TG").id or 0
    with session_scope() as session:
        tokyo = add_contact(session, "東京", [("telegram", "1", None)], timezone="Asia/Tokyo")
        london = add_contact(session, "London", [("telegram", "2", None)], timezone="Europe/London")
        nowhere = add_contact(session, "nowhere", [("telegram", "3", None)], timezone="Mars/Olympus")
        extra: dict[str, object] = {}
        if local_time:  # 22:00 on each recipient's wall clock
            extra = {"send_at": datetime(2025, 3, 3, 22, 0, tzinfo=UTC), "local_time": True}
        campaign_id = make_campaign(session, [channel], **extra)
    with session_scope() as session:
        service.launch(session=session, campaign_id=campaign_id, now=NOW)
    with session_scope() as session:
        due = {r.contact_id: as_utc(r.due_at) for r in session.exec(  # type: ignore[arg-type]
            select(Recipient).where(Recipient.campaign_id == campaign_id))}
        status = session.get(Campaign, campaign_id).status  # type: ignore[union-attr]
    next_morning_tokyo = datetime(2025, 3, 4, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert due[tokyo] == next_morning_tokyo
    assert due[tokyo].astimezone(ZoneInfo("Asia/Tokyo")).hour == 8
    if local_time:  # 22:00 local is quiet everywhere: 08:00 the next local morning
        assert due[london] == datetime(2025, 3, 4, 8, 0, tzinfo=ZoneInfo("Europe/London"))
        assert due[nowhere] == datetime(2025, 3, 4, 8, 0, tzinfo=UTC)  # unknown zone: the shop's (UTC)
        assert status == "scheduled"
    else:  # 13:00 in London and UTC: now
        assert due[london] == NOW and due[nowhere] == NOW
        assert status == "running"
