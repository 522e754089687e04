"""Before launching, the marketer sees how many people get the message on which channels (issue 13 item 14);
after, the report says why recipients were skipped or failed and stays live for the attribution window
(item 12)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col, select

from flows.campaigns.models import Campaign, Recipient
from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Contact
from hub.runtime.db import session_scope, utcnow
from tests.factories import make_channel, make_user, token_for


@pytest.fixture
def client(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    make_user("mika@shop.test", role="marketer")
    make_user("ann@shop.test")
    with TestClient(create_app()) as test_client:
        yield test_client


def audience(telegram: int) -> None:
    with session_scope() as session:
        for n in range(3):
            contact = Contact(name=f"客人 {n}")
            session.add(contact)
            session.flush()
            session.add(ChannelIdentity(contact_id=contact.id or 0, kind="telegram", value=str(100 + n)))
        session.add(Contact(name="no address"))


def test_launch_check_counts_people_and_channels_and_launches_nothing(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    telegram = make_channel(kind="telegram", name="TG shop").id or 0
    audience(telegram)
    draft = client.post("/api/v1/campaigns", headers=marketer, json={
        "name": "spring", "channel_ids": [telegram], "variants": [{"name": "A", "text": "Hi"}]}).json()
    check = client.post(f"/api/v1/campaigns/{draft['id']}/launch-check", headers=marketer)
    assert check.status_code == 200, check.text
    answer = check.json()
    assert answer["sending"] == 3 and answer["skipped"] == 1
    assert answer["channels"] == [{"channel_id": telegram, "name": "TG shop", "kind": "telegram", "count": 3}]
    assert answer["reasons"] == [{"state": "skipped", "reason": "no address the channel can reach", "count": 1}]
    with session_scope() as session:  # nothing happened
        assert session.get(Campaign, draft["id"]).status == "draft"  # type: ignore[union-attr]
        assert session.exec(select(Recipient)).all() == []
    agent = token_for(client, "ann@shop.test")
    assert client.post(f"/api/v1/campaigns/{draft['id']}/launch-check", headers=agent).status_code == 403
    assert client.post(f"/api/v1/campaigns/{draft['id']}/launch", headers=marketer).status_code == 202
    again = client.post(f"/api/v1/campaigns/{draft['id']}/launch-check", headers=marketer)
    assert again.status_code == 409 and "only a draft" in again.json()["detail"]


def test_the_report_lists_reasons_and_stays_live_for_the_attribution_window(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    telegram = make_channel(kind="telegram", name="TG").id or 0
    audience(telegram)
    draft = client.post("/api/v1/campaigns", headers=marketer, json={
        "name": "spring", "channel_ids": [telegram], "variants": [{"name": "A", "text": "Hi"}],
        "attribution_hours": 48}).json()
    client.post(f"/api/v1/campaigns/{draft['id']}/launch", headers=marketer)
    finished = utcnow() - timedelta(hours=1)
    with session_scope() as session:  # the sender's outcome: one failed, the rest sent; the campaign done
        first = session.exec(select(Recipient).where(Recipient.state == "pending").order_by(Recipient.id)).first()
        assert first is not None
        session.execute(update(Recipient).where(col(Recipient.id) == first.id).values(
            state="failed", reason="bot was blocked by the user"))
        session.execute(update(Recipient).where(col(Recipient.state) == "pending").values(
            state="sent", sent_at=finished))
        session.execute(update(Campaign).where(col(Campaign.id) == draft["id"]).values(
            status="done", finished_at=finished))
    stats = client.get(f"/api/v1/campaigns/{draft['id']}/stats", headers=marketer).json()
    assert stats["reasons"] == [{"state": "failed", "reason": "bot was blocked by the user", "count": 1},
                                {"state": "skipped", "reason": "no address the channel can reach", "count": 1}]
    assert stats["status"] == "done" and stats["live"] is True and stats["live_until"].startswith(
        (finished + timedelta(hours=48)).isoformat()[:16])
    with session_scope() as session:  # the window has passed: the numbers are final
        session.execute(update(Campaign).where(col(Campaign.id) == draft["id"]).values(
            finished_at=utcnow() - timedelta(hours=49)))
    assert client.get(f"/api/v1/campaigns/{draft['id']}/stats", headers=marketer).json()["live"] is False


def test_a_test_send_goes_to_the_marketers_own_address_through_the_normal_send_path(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    telegram = make_channel(kind="telegram", name="TG").id or 0
    whatsapp = make_channel(kind="whatsapp_meta", name="WA").id or 0
    draft = client.post("/api/v1/campaigns", headers=marketer, json={
        "name": "spring", "channel_ids": [telegram, whatsapp], "coupon_prefix": "SP-",
        "variants": [{"name": "A", "text": "Hi {{ contact.first_name }}, {{ coupon }}"}]}).json()
    sent = client.post(f"/api/v1/campaigns/{draft['id']}/test-send", headers=marketer,
                       json={"channel_id": telegram, "to": "700100200"})
    assert sent.status_code == 202, sent.text
    with session_scope() as session:
        from hub.conversations.models import Message

        message = session.get(Message, sent.json()["message_id"])
        assert message is not None and message.status == "queued" and message.direction == "outbound"
        assert message.text == "Hi , TEST-0000" and message.payload["campaign_test"] is True
        assert session.get(Campaign, draft["id"]).status == "draft"  # type: ignore[union-attr]
    # WhatsApp: the marketer's phone never wrote to the number and the campaign has no template
    refused = client.post(f"/api/v1/campaigns/{draft['id']}/test-send", headers=marketer,
                          json={"channel_id": whatsapp, "to": "+852 9123 4567"})
    assert refused.status_code == 422 and "24-hour window" in refused.json()["detail"]
    for bad in ({"channel_id": 999, "to": "+85291234567"}, {"channel_id": whatsapp, "to": "not a phone"}):
        answer = client.post(f"/api/v1/campaigns/{draft['id']}/test-send", headers=marketer, json=bad)
        assert answer.status_code == 422 and answer.json()["detail"]
    agent = token_for(client, "ann@shop.test")
    assert client.post(f"/api/v1/campaigns/{draft['id']}/test-send", headers=agent,
                       json={"channel_id": telegram, "to": "1"}).status_code == 403
