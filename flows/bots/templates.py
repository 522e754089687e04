"""The shop assistant: the bot the demo shop runs, and a starting point in the journeys editor.

Business hours first (away message when closed), then the knowledge base answers the first message if it
can; otherwise a menu: a question (FAQ), "where is my order" (verified customers only), a product search in
the catalog (cards in the customer's language and currency; nothing found: a person), the customer's loyalty
points and tier (verified customers only), a refund (handed to the returns team). After an answer the bot asks
whether it helped; "no" hands off.
"""

from __future__ import annotations

from typing import Any


def _t(en: str, zh: str, ja: str) -> dict[str, str]:
    return {"en": en, "zh-Hant": zh, "ja": ja}


def shop_assistant(returns_team_id: int | None = None) -> dict[str, Any]:
    refund: dict[str, Any] = {"reason": "refund"}
    if returns_team_id:
        refund["team_id"] = returns_team_id
    nodes = [
        {"id": "hours", "type": "bot_hours", "config": {}, "position": {"x": 80, "y": 40}},
        {"id": "first", "type": "bot_faq", "config": {}, "position": {"x": 80, "y": 160}},
        {"id": "main", "type": "bot_menu", "position": {"x": 320, "y": 160}, "config": {
            "text": _t("Hi! How can I help?", "你好！有甚麼可以幫到你？", "こんにちは！ご用件をお選びください。"),
            "options": [
                {"id": "faq", "title": _t("Ask a question", "查詢問題", "質問する"), "keywords": []},
                {"id": "order", "title": _t("Where's my order", "查詢訂單", "注文状況"),
                 "keywords": ["order", "parcel", "訂單", "包裹", "注文", "荷物"]},
                {"id": "products", "title": _t("Find a product", "搜尋產品", "商品を探す"),
                 "keywords": ["product", "price", "stock", "do you have", "產品", "價錢", "有冇", "有沒有", "商品",
                              "値段", "在庫", "ありますか"]},
                {"id": "points", "title": _t("My points", "我的積分", "ポイント"),
                 "keywords": ["points", "tier", "積分", "會員", "ポイント", "会員"]},
                {"id": "refund", "title": _t("Refund", "退款", "返金"),
                 "keywords": ["refund", "return", "退款", "退貨", "返金", "返品"]}],
            "timeout_minutes": 60}},
        {"id": "ask", "type": "bot_faq", "position": {"x": 560, "y": 40}, "config": {
            "prompt": _t("What would you like to know?", "請問想查詢甚麼？", "ご質問をどうぞ。"), "on_miss": "ask",
            "timeout_minutes": 60}},
        {"id": "helped", "type": "bot_menu", "position": {"x": 800, "y": 40}, "config": {
            "text": _t("Did that help?", "這個答案有幫助嗎？", "お役に立ちましたか？"), "match_first": False,
            "on_other": "restart",
            "options": [{"id": "yes", "title": _t("Yes, thanks", "有，謝謝", "はい"), "keywords": []},
                        {"id": "no", "title": _t("No", "沒有", "いいえ"), "keywords": []}],
            "timeout_minutes": 60}},
        {"id": "done", "type": "end", "config": {}, "position": {"x": 1040, "y": 40}},
        {"id": "orders", "type": "bot_order_status", "config": {}, "position": {"x": 560, "y": 160}},
        {"id": "products", "type": "bot_products", "position": {"x": 560, "y": 400}, "config": {
            "prompt": _t("What are you looking for?", "請問想找甚麼產品？", "どんな商品をお探しですか？"),
            "limit": 5, "timeout_minutes": 60}},
        {"id": "points", "type": "bot_points", "config": {}, "position": {"x": 560, "y": 520}},
        {"id": "refund", "type": "handoff", "config": refund, "position": {"x": 560, "y": 280}},
        {"id": "person", "type": "handoff", "config": {"reason": "not_helped"}, "position": {"x": 1040, "y": 160}},
    ]
    edges = [("hours", "open", "first"), ("hours", "closed", "first"), ("first", "answered", "helped"),
             ("first", "no_answer", "main"), ("main", "option:faq", "ask"), ("main", "option:order", "orders"),
             ("main", "option:refund", "refund"), ("main", "option:products", "products"),
             ("main", "option:points", "points"), ("products", "found", "done"), ("products", "none", "person"),
             ("points", "shown", "done"), ("ask", "answered", "helped"), ("helped", "option:yes", "done"),
             ("helped", "option:no", "person"), ("orders", "shown", "done")]
    return {"trigger": {"type": "bot", "config": {}}, "start": "hours", "nodes": nodes,
            "edges": [{"from": a, "port": p, "to": b} for a, p, b in edges],
            "settings": {"allow_parallel_runs": False, "reentry_after_days": None, "exit_on_human": True,
                         "max_lateness_minutes": 1440, "goal": None}}


KNOWLEDGE: list[dict[str, Any]] = [
    {"locale": "en", "question": "What are your opening hours?",
     "answer": "We're open every day from 11:00 to 20:00 (Hong Kong time).",
     "keywords": ["opening hours", "open", "hours", "close"]},
    {"locale": "zh-Hant", "question": "營業時間",
     "answer": "我們每天 11:00 至 20:00 營業（香港時間）。", "keywords": ["營業時間", "幾點", "開門", "關門"]},
    {"locale": "ja", "question": "営業時間",
     "answer": "毎日11時から20時まで営業しています（香港時間）。", "keywords": ["営業時間", "何時", "開店", "閉店"]},
    {"locale": "en", "question": "Do you ship abroad?", "answer": "We ship to Hong Kong, Taiwan and Japan.",
     "keywords": ["ship", "shipping", "deliver", "abroad"]},
    {"locale": "zh-Hant", "question": "有沒有海外送貨？", "answer": "我們可以送貨到香港、台灣和日本。",
     "keywords": ["送貨", "運費", "海外"]},
    {"locale": "ja", "question": "海外発送はできますか？", "answer": "香港・台湾・日本へ発送しております。",
     "keywords": ["発送", "送料", "海外"]},
]
