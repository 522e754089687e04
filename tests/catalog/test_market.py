"""Commerce in the customer's language and their channel's currency (issue 13, items 1 and 2)."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog import chat, chat_replies
from hub.composition import create_app
from hub.contacts.models import Contact
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.catalog.factories import make_customer, make_product
from tests.factories import inbound, make_channel, make_team, make_user, token_for


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


def _writes(channel_id: int, phone: str, text: str) -> Message:
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=inbound(f"in-{phone}-{text}", phone=phone,
                                                                                  text=text, name=None))
        assert message is not None
        return message


@pytest.fixture
def shop(client):
    team = make_team("Shop")
    other = make_team("Other")
    make_user("a@shop.test", team_ids=[team])
    make_user("b@shop.test", team_ids=[other])
    make_user("ads@shop.test", role="marketer")
    ids = make_product(variants={"SHIRT-M": {"HKD": 12850, "JPY": 4800}})
    ids.update(make_product("hk-only", {"en": "Egg tarts"}, variants={"TART-6": {"HKD": 6800}}))
    return {"team": team, "ids": ids, "a": token_for(client, "a@shop.test"), "b": token_for(client, "b@shop.test"),
            "marketer": token_for(client, "ads@shop.test")}


@pytest.mark.parametrize("config", [{}, {"market": "JP"}])
def test_a_japanese_whatsapp_customer_gets_japanese_wording_and_yen(client, shop, config):
    """A +81 customer on WhatsApp (no locale from Meta): with or without the channel's market set."""
    channel = make_channel("whatsapp_meta", "WhatsApp JP", team_ids=[shop["team"]], config=config)
    conversation_id = _writes(channel.id, "+819012345678", "OK").conversation_id
    path = f"/api/v1/conversations/{conversation_id}"
    cart = client.get(f"{path}/cart", headers=shop["a"]).json()
    assert cart["currency"] == "JPY" and cart["total"] == "￥0"
    card = client.post(f"{path}/products", headers=shop["a"], json={"variant_ids": [shop["ids"]["SHIRT-M"]]})
    assert card.status_code == 202, card.text
    body = card.json()
    assert body["payload"]["header"] == "シルクシャツ (M)" and body["text"].startswith("￥4,800")
    assert [b["title"] for b in body["payload"]["buttons"]] == ["カートに入れる", "カートを見る"]
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        locale = chat.customer_locale(session=session, conversation=conversation)
        assert locale == "ja"
        kind, text, payload = chat_replies.perform(session=session, conversation=conversation,
                                                   command=f"cart:add:{shop['ids']['SHIRT-M']}", locale=locale)
        assert "カートの中身" in (text or "") and "￥4,800" in (text or "")
        kind, text, payload = chat_replies.checkout_reply(session=session, conversation=conversation, locale=locale)
        assert text is not None and text.startswith("ご注文") and "￥4,800" in text
        assert payload["buttons"][0]["title"] == "今すぐ支払う"


def test_a_product_without_a_price_in_the_channels_currency_is_refused_with_a_reason(client, shop):
    channel = make_channel("whatsapp_meta", "WhatsApp JP", team_ids=[shop["team"]], config={"market": "JP"})
    conversation_id = _writes(channel.id, "+819012345678", "こんにちは").conversation_id
    refused = client.post(f"/api/v1/conversations/{conversation_id}/products", headers=shop["a"],
                          json={"variant_ids": [shop["ids"]["TART-6"]]})
    assert refused.status_code == 422
    assert "TART-6 has no price in JPY" in refused.json()["detail"]
    with session_scope() as session:
        assert session.exec(select(Message).where(Message.direction == "outbound")).all() == []


def test_the_channel_decides_the_price_list_not_the_customers_country(client, shop):
    channel = make_channel("sms_twilio", "SMS HK", team_ids=[shop["team"]], config={"market": "HK"})
    conversation_id = _writes(channel.id, "+819012345678", "サイズは？").conversation_id
    card = client.post(f"/api/v1/conversations/{conversation_id}/products", headers=shop["a"],
                       json={"variant_ids": [shop["ids"]["SHIRT-M"]]}).json()
    assert card["text"].startswith("HK$128.50") and card["payload"]["header"] == "シルクシャツ (M)"


def test_a_web_chat_contact_stored_as_zh_hk_reads_traditional_chinese(client, shop):
    channel = make_channel("webchat", "Web", team_ids=[shop["team"]])
    customer = make_customer("陳小姐", "zh-HK", channel_id=channel.id)
    card = client.post(f"/api/v1/conversations/{customer.conversation_id}/products", headers=shop["a"],
                       json={"variant_ids": [shop["ids"]["SHIRT-M"]]}).json()
    assert card["payload"]["header"] == "絲質襯衫 (M)" and card["payload"]["buttons"][0]["title"] == "加入購物車"
    assert card["text"].startswith("HK$128.50")


def test_staff_set_a_contacts_language_and_time_zone(client, shop):
    channel = make_channel("sms_twilio", "SMS", team_ids=[shop["team"]])
    _writes(channel.id, "+14155550100", "hello there")
    with session_scope() as session:
        contact = session.exec(select(Contact)).one()
    path = f"/api/v1/contacts/{contact.id}"
    before = client.get(path, headers=shop["a"]).json()
    assert (before["locale"], before["customer_locale"]) == ("en", "en")
    changed = client.patch(path, headers=shop["a"], json={"locale": "ja", "timezone": "Asia/Tokyo"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["locale"], changed.json()["timezone"], changed.json()["customer_locale"]) == (
        "ja", "Asia/Tokyo", "ja")
    assert client.patch(path, headers=shop["a"], json={"timezone": "Mars/Base"}).status_code == 422
    assert client.patch(path, headers=shop["a"], json={"timezone": "Asia"}).status_code == 422  # a directory: not 500
    assert client.patch(path, headers=shop["a"], json={"locale": "fr"}).status_code == 422
    assert client.patch(path, headers=shop["b"], json={"locale": "en"}).status_code == 404
    assert client.patch(path, headers=shop["marketer"], json={"locale": "en"}).status_code == 403
    cleared = client.patch(path, headers=shop["a"], json={"timezone": None}).json()
    assert cleared["timezone"] is None and cleared["locale"] == "ja"


def test_channel_market_keys_are_validated_on_create(client, shop):
    with pytest.raises(ValueError, match="currency must be an ISO 4217 code"):
        make_channel("telegram", "Bad", config={"currency": "YEN"})
    channel = make_channel("telegram", "JP bot", config={"market": "jp", "currency": "jpy"})
    assert (channel.config["market"], channel.config["currency"]) == ("JP", "JPY")
