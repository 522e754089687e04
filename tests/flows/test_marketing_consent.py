"""Broadcasts go only to contacts with marketing consent where the channel requires it; an opt-out can apply
to every channel; a recipient whose time zone is unknown is never sent to at night."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from flows.campaigns import service, stats
from flows.campaigns.models import Recipient
from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Contact
from hub.ingest.service import receive
from hub.runtime.db import as_utc, session_scope
from hub.runtime.settings import get_settings
from tests.factories import inbound, make_channel, make_user, token_for

NOW = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # 14:00 in Hong Kong, 22:00 the day before in Los Angeles


def add_contact(session: Session, name: str, phone: str, timezone: str | None = None) -> int:
    contact = Contact(name=name, timezone=timezone)
    session.add(contact)
    session.flush()
    session.add(ChannelIdentity(contact_id=contact.id or 0, kind="whatsapp", value=phone, phone=phone))
    return contact.id or 0


def launch(channel_ids: list[int], **extra: object) -> dict[str, tuple[str, str | None, datetime | None]]:
    with session_scope() as session:
        campaign = service.create(session=session, data={"name": "spring", "channel_ids": channel_ids,
                                                         "variants": [{"name": "A", "text": "Sale!"}], **extra})
        assert service.launch(session=session, campaign_id=campaign.id or 0, now=NOW)
        rows = session.exec(select(Recipient, Contact.name).join(Contact, Contact.id == Recipient.contact_id)
                            .where(Recipient.campaign_id == campaign.id)).all()
        return {name: (r.state, r.reason, r.due_at) for r, name in rows}


@pytest.fixture
def api(backend):
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app()) as client:
        yield client, token_for(client, "boss@shop.test")


def test_whatsapp_broadcasts_reach_only_contacts_who_opted_in(api):
    client, admin = api
    whatsapp = make_channel("whatsapp_meta", "WA").id
    with session_scope() as session:
        by_api = add_contact(session, "by api", "+85291000001")
        add_contact(session, "by csv", "+85291000002")
        add_contact(session, "nobody asked", "+85291000003")
    with session_scope() as session:  # the customer's own "yes" to the opt-in question
        receive(session=session, channel_id=whatsapp, inbound=inbound("wamid.y", "+85291000004", "Yes!", "said yes"))
    answer = client.post(f"/api/v1/contacts/{by_api}/consents", headers=admin, json={
        "channel_id": whatsapp, "purpose": "marketing", "granted": True, "source": "checkout form"})
    assert answer.status_code == 201 and answer.json()["status"] == "opted_in"
    csv = (f"phone,channel_id,granted,source\n+852 9100 0002,{whatsapp},yes,in-store sign-up\n"
           f"+85299999999,{whatsapp},yes,x\n")
    imported = client.post("/api/v1/contacts/consents/import", headers=admin,
                           files={"file": ("consent.csv", csv.encode(), "text/csv")})
    assert imported.json()["recorded"] == 1 and "line 3" in imported.json()["errors"][0]

    recipients = launch([whatsapp])
    assert {name for name, (state, _, _) in recipients.items() if state == "pending"} == {
        "by api", "by csv", "said yes"}
    assert recipients["nobody asked"][:2] == ("skipped", service.SKIP_NO_CONSENT)
    with session_scope() as session:
        campaign_id = session.exec(select(Recipient.campaign_id)).first()
        numbers = stats.counts(session, campaign_id)
    assert (numbers["recipients"], numbers["skipped"]) == (4, 1)


def test_a_channel_whose_policy_needs_no_opt_in_reaches_everyone_not_opted_out(api):
    client, admin = api
    whatsapp = make_channel("whatsapp_meta", "WA").id
    sms = make_channel("sms_twilio", "SMS").id
    assert client.put(f"/api/v1/channels/{whatsapp}/marketing-policy", headers=admin,
                      json={"marketing_consent_required": False}).json()["marketing_consent_required"] is False
    channels = {c["id"]: c for c in client.get("/api/v1/channels", headers=admin).json()}
    assert channels[sms]["marketing_consent_required"] is False
    with session_scope() as session:
        contact = add_contact(session, "nobody asked", "+85291000003")
        session.add(ChannelIdentity(contact_id=contact, kind="sms", value="+85291000003", phone="+85291000003"))
    assert launch([whatsapp])["nobody asked"][0] == "pending"
    assert client.put(f"/api/v1/channels/{sms}/marketing-policy", headers=admin,
                      json={"marketing_consent_required": True}).status_code == 200
    assert launch([sms])["nobody asked"][:2] == ("skipped", service.SKIP_NO_CONSENT)


def test_consent_for_an_unknown_channel_or_purpose_is_refused(api):
    client, admin = api
    with session_scope() as session:
        contact = add_contact(session, "x", "+85291000003")
    for body in ({"channel_id": 999, "purpose": "marketing", "granted": True, "source": "x"},
                 {"channel_id": make_channel("telegram").id, "purpose": "profiling", "granted": True, "source": "x"}):
        answer = client.post(f"/api/v1/contacts/{contact}/consents", headers=admin, json=body)
        assert answer.status_code == 422 and answer.json()["detail"]


@pytest.mark.parametrize("applies_to_all, expected", [(True, "opted out"), (False, "pending")])
def test_an_opt_out_on_one_channel_can_apply_to_all(backend, monkeypatch, applies_to_all, expected):
    monkeypatch.setenv("HUB_OPTOUT_ALL_CHANNELS", "true" if applies_to_all else "false")
    get_settings.cache_clear()
    sms = make_channel("sms_twilio", "SMS").id
    telegram = make_channel("telegram", "TG").id
    with session_scope() as session:
        message = receive(session=session, channel_id=sms, inbound=inbound("SM1", "+14155550100", "STOP", "Kim"))
        assert message is not None
        session.add(ChannelIdentity(contact_id=session.exec(select(ChannelIdentity.contact_id)).one(),
                                    kind="telegram", value="70010"))
    state, reason, _ = launch([telegram])["Kim"]
    assert (reason if state == "skipped" else state) == expected


def test_an_unknown_time_zone_waits_for_daytime_in_the_shop_and_the_phones_country(backend):
    whatsapp = make_channel("whatsapp_meta", "WA").id
    with session_scope() as session:
        from hub.tagging.models import BusinessHours

        session.merge(BusinessHours(id=1, timezone="Asia/Hong_Kong"))
        for name, phone in (("los angeles", "+14155550100"), ("hong kong", "+85291000001")):
            contact = add_contact(session, name, phone)
            from hub.contacts.service import record_consent

            record_consent(session=session, contact_id=contact, channel_id=whatsapp, status="opted_in", source="t")
    recipients = launch([whatsapp], quiet_start=None, quiet_end=None)  # the campaign set no quiet hours
    assert as_utc(recipients["hong kong"][2]) == NOW  # afternoon in Hong Kong: now
    due = as_utc(recipients["los angeles"][2])
    assert due > NOW
    for zone in ("America/Los_Angeles", "Asia/Hong_Kong"):
        local = due.astimezone(ZoneInfo(zone)).time()
        assert local.hour >= 8 and local.hour < 21, (zone, local)
    assert Counter(state for state, _, _ in recipients.values()) == {"pending": 2}
    assert due - NOW < timedelta(days=1)
