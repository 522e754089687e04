"""The product-search and loyalty-points bot steps, scripted on sandbox channels in the customer's language."""

from __future__ import annotations

from typing import Any

from catalog.loyalty import program
from flows.bots import steps as bot_steps
from flows.journeys import service as journeys
from hub.runtime.db import session_scope
from tests.bots.orders import order_for
from tests.bots.world import Phone, Shop
from tests.catalog.factories import make_product


def _bot(shop: Shop, channel_id: int, step: dict[str, Any], port: str) -> int:
    """A bot whose flow is one step (run on each message), then the end."""
    definition = {
        "trigger": {"type": "bot", "config": {}}, "start": "step",
        "nodes": [{"id": "step", "position": {"x": 0, "y": 0}, **step},
                  {"id": "done", "type": "end", "config": {}, "position": {"x": 240, "y": 0}}],
        "edges": [{"from": "step", "port": port, "to": "done"}],
        "settings": {"allow_parallel_runs": False, "reentry_after_days": None, "exit_on_human": True,
                     "max_lateness_minutes": 1440, "goal": None}}
    with session_scope() as session:
        flow = journeys.create(session=session, name="Step bot", definition=definition)
        journeys.publish(session=session, flow_id=flow.id or 0)
        flow_id = flow.id
    answer = shop.client.post("/api/v1/bots", headers=shop.marketer, json={
        "name": "Step bot", "flow_id": flow_id, "channel_ids": [channel_id], "threshold": 0.5})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _scarves() -> None:
    make_product(handle="wool-scarf", title={"en": "Wool scarf", "zh_Hant": "羊毛圍巾", "ja": "ウールマフラー"},
                 variants={"SCARF-ONE": {"HKD": 39000, "JPY": 7200}})
    make_product(handle="silk-scarf", title={"en": "Silk scarf", "zh_Hant": "真絲圍巾", "ja": "シルクマフラー"},
                 variants={"SILK-ONE": {"HKD": 59000}})  # no yen price: never shown in yen
    make_product(handle="linen-shirt", title={"en": "Linen shirt", "zh_Hant": "麻質恤衫", "ja": "リネンシャツ"},
                 variants={"SHIRT-M": {"HKD": 45000, "JPY": 8000}})


def test_product_search_sends_cards_in_the_customers_language_and_currency(backend, client, sandbox):
    _scarves()
    shop = Shop(client, sandbox)
    channel_id = shop.channel("whatsapp_meta")
    _bot(shop, channel_id, {"type": "bot_products", "config": {"limit": 5}}, "found")

    hk = Phone(shop, "whatsapp_meta", "+85291234501", "陳大文")
    hk.says("有沒有圍巾？")
    shown = hk.last()  # two scarves: a list, one row each, priced in Hong Kong dollars
    rows = {b.title: b.description for b in shown.buttons}
    assert rows.keys() == {"羊毛圍巾 (ONE)", "真絲圍巾 (ONE)"}, rows
    assert rows["羊毛圍巾 (ONE)"] is not None and "390.00" in rows["羊毛圍巾 (ONE)"]

    jp = Phone(shop, "whatsapp_meta", "+819012345678", "鈴木花子")
    jp.says("マフラーはありますか")
    card = jp.last()  # one scarf has a yen price: a single card with its price in yen and "add to cart"
    assert card.header == "ウールマフラー (ONE)" and "7,200" in (card.text or "")
    assert "カートに入れる" in [b.title for b in card.buttons]
    jp.taps("カートに入れる")  # the catalog answers the cart command; the bot does not search for it
    assert jp.last().text is not None and jp.last().text.startswith("カートに追加しました。")
    assert not any((r.text or "").startswith("申し訳ありません、該当する商品") for r in jp.received())

    en = Phone(shop, "whatsapp_meta", "+85291234503", "Alex Wong")
    en.says("Do you sell scarves?")  # a plural finds the scarves, in English, in Hong Kong dollars
    assert {b.title for b in en.last().buttons} == {"Wool scarf (ONE)", "Silk scarf (ONE)"}

    hk.says("我想買一部電單車")
    assert hk.last().text == "抱歉，找不到相關的商品。可以換個字詞再試，或輸入「人工」轉接同事。"


def test_product_search_in_english_on_sms(backend, client, sandbox):
    _scarves()
    shop = Shop(client, sandbox)
    channel_id = shop.channel("sms_twilio")
    _bot(shop, channel_id, {"type": "bot_products", "config": {"limit": 1}}, "found")
    phone = Phone(shop, "sms_twilio", "+85291234502", "Alex Wong")
    phone.says("Do you have any linen shirts?")
    text = phone.last().text or ""
    assert "Linen shirt (M)" in text and "HK$450.00" in text and "1. Add to cart" in text
    phone.says("1")  # the numbered menu's "Add to cart": the catalog's answer, not a search for "1"
    assert (phone.last().text or "").startswith("Added to your cart.")
    phone.says("looking for a bicycle please")
    assert phone.last().text == ("Sorry, I couldn't find anything like that. Try another word, or type \"agent\" "
                                 "for a person.")


def test_points_answer_for_a_verified_customer_and_refusal_for_another(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    _bot(shop, channel_id, {"type": "bot_points", "config": {}}, "shown")
    with session_scope() as session:
        program.save_tier(session=session, actor_id=None, tier_id=None, name="Gold", threshold=1000, benefits=[])
    buyer = Phone(shop, "telegram", "700100301", "陳大文")
    buyer.says("我有幾多積分？")
    order_for(buyer.conversation(), channel_id=channel_id)  # bought in this chat: it is theirs
    with session_scope() as session:
        program.adjust(session=session, actor_id=None, contact_id=buyer.conversation().contact_id, points=250,
                       reason="welcome")
    buyer.says("我有幾多積分？")
    assert buyer.last().text == "你現在有 250 積分。\n再賺 750 積分即可升級至 Gold。"

    stranger = Phone(shop, "telegram", "700100302", "李小明")
    stranger.says("我有幾多積分？")
    assert stranger.last().text == bot_steps.texts.say("points_unverified", "zh-Hant")
