"""Ready-made flows a shop starts from: each a valid definition whose messages carry en, zh-Hant and ja, and
a name and description in each of the three languages."""

from __future__ import annotations

import copy
from typing import Any

from flows.bots.templates import shop_assistant

T = dict[str, str]


def _t(en: str, zh: str, ja: str) -> T:
    return {"en": en, "zh-Hant": zh, "ja": ja}


def _node(node_id: str, kind: str, x: int, y: int, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "config": config, "position": {"x": x, "y": y}}


def _edge(source: str, port: str, target: str) -> dict[str, str]:
    return {"from": source, "port": port, "to": target}


def _settings(**given: Any) -> dict[str, Any]:
    return {"allow_parallel_runs": False, "reentry_after_days": None, "exit_on_human": True,
            "max_lateness_minutes": 1440, "goal": None, **given}


REVIEW_BUTTONS = [{"id": "great", "title": _t("Loved it", "非常滿意", "とても満足")},
                  {"id": "okay", "title": _t("It's OK", "還可以", "まあまあ")},
                  {"id": "unhappy", "title": _t("Not happy", "不滿意", "不満")}]

WELCOME = {
    "trigger": {"type": "conversation_opened", "config": {}},
    "start": "hello",
    "nodes": [
        _node("hello", "send_message", 80, 80, text=_t(
            "Welcome to {{ shop }}, {{ first_name }}! Reply any time: we're here to help.",
            "{{ first_name }}，歡迎來到 {{ shop }}！有任何問題隨時回覆我們。",
            "{{ first_name }}様、{{ shop }}へようこそ！いつでもお気軽にご返信ください。")),
        _node("done", "end", 80, 220),
    ],
    "edges": [_edge("hello", "sent", "done")],
    "settings": _settings(reentry_after_days=3650),
}

POST_PURCHASE = {
    "trigger": {"type": "order_paid", "config": {}},
    "start": "wait_day",
    "nodes": [
        _node("wait_day", "wait", 80, 60, minutes=24 * 60),
        _node("thanks", "send_message", 80, 180, text=_t(
            "Thank you for your order, {{ first_name }}! We hope you enjoy it.",
            "{{ first_name }}，多謝你的訂單！希望你喜歡。",
            "{{ first_name }}様、ご注文ありがとうございました！お楽しみいただけますように。")),
        _node("wait_more", "wait", 80, 300, minutes=2 * 24 * 60),
        _node("review", "send_message", 80, 420, buttons=REVIEW_BUTTONS, text=_t(
            "How was your purchase? Tap to tell us.", "你對這次購物滿意嗎？請點選回覆。",
            "お買い物はいかがでしたか？タップしてお知らせください。")),
        _node("answer", "wait_reply", 80, 540, timeout_minutes=24 * 60, buttons=["great", "okay", "unhappy"]),
        _node("follow_up", "task", 320, 660, title=_t("Follow up an unhappy customer", "跟進不滿意的顧客",
                                                      "不満のお客様へのフォロー"), due_in_hours=24),
        _node("done", "end", 80, 660),
    ],
    "edges": [_edge("wait_day", "next", "thanks"), _edge("thanks", "sent", "wait_more"),
              _edge("wait_more", "next", "review"), _edge("review", "sent", "answer"),
              _edge("answer", "replied", "done"), _edge("answer", "button:great", "done"),
              _edge("answer", "button:okay", "done"), _edge("answer", "button:unhappy", "follow_up"),
              _edge("answer", "no_reply", "done"), _edge("follow_up", "next", "done")],
    "settings": _settings(allow_parallel_runs=True),
}

ABANDONED_CART = {
    "trigger": {"type": "cart_abandoned", "config": {"after_minutes": 60}},
    "start": "remind",
    "nodes": [
        _node("remind", "send_message", 80, 60, text=_t(
            "{{ first_name }}, your cart is waiting for you. Reply CHECKOUT to finish your order.",
            "{{ first_name }}，你的購物車還在等你。回覆 CHECKOUT 即可完成訂單。",
            "{{ first_name }}様、カートに商品が残っています。CHECKOUT と返信するとご注文を完了できます。")),
        _node("wait_day", "wait", 80, 180, minutes=23 * 60),
        _node("coupon", "send_message", 80, 300, coupon_code="COMEBACK10", text=_t(
            "Still thinking it over? Use {{ coupon }} for 10% off your cart today.",
            "還在考慮嗎？今天使用 {{ coupon }} 購物車可享九折。",
            "まだお悩みですか？本日 {{ coupon }} でカートの商品が10%オフになります。")),
        _node("done", "end", 80, 420),
    ],
    "edges": [_edge("remind", "sent", "wait_day"), _edge("remind", "skipped", "wait_day"),
              _edge("wait_day", "next", "coupon"), _edge("coupon", "sent", "done")],
    "settings": _settings(goal={"event": "order_paid", "within_hours": 72}),
}

WIN_BACK = {
    "trigger": {"type": "lifecycle_changed", "config": {"to": ["repeat sleeping", "loyal sleeping", "repeat lost",
                                                               "loyal lost"]}},
    "start": "miss_you",
    "nodes": [
        _node("miss_you", "send_message", 80, 60, coupon_code="MISSYOU15", text=_t(
            "We miss you, {{ first_name }}! Here is {{ coupon }} for 15% off your next order.",
            "{{ first_name }}，好久不見！送你 {{ coupon }}，下次購物可享八五折。",
            "{{ first_name }}様、お久しぶりです！次回のご注文に使える15%オフの {{ coupon }} をどうぞ。")),
        _node("goal", "goal", 80, 180, within_hours=14 * 24),
        _node("call", "task", 320, 300, title=_t("Call this sleeping regular", "致電這位久未光顧的熟客",
                                                 "ご無沙汰の常連様にお電話"), due_in_hours=48),
        _node("done", "end", 80, 300),
    ],
    "edges": [_edge("miss_you", "sent", "goal"), _edge("goal", "converted", "done"),
              _edge("goal", "not_converted", "call"), _edge("call", "next", "done")],
    "settings": _settings(reentry_after_days=90),
}

BIRTHDAY = {
    "trigger": {"type": "date_field", "config": {"field": "birthday", "days_before": 0, "at": "10:00"}},
    "start": "wish",
    "nodes": [
        _node("wish", "send_message", 80, 60, coupon_code="BDAY20", text=_t(
            "Happy birthday, {{ first_name }}! Enjoy 20% off with {{ coupon }} this week.",
            "{{ first_name }}，生日快樂！本星期使用 {{ coupon }} 可享八折。",
            "{{ first_name }}様、お誕生日おめでとうございます！今週は {{ coupon }} で20%オフ。")),
        _node("done", "end", 80, 180),
    ],
    "edges": [_edge("wish", "sent", "done")],
    "settings": _settings(goal={"event": "order_paid", "within_hours": 7 * 24}),
}

MONTHLY_LOYAL = {
    "trigger": {"type": "schedule", "config": {"cron": "0 10 1-7 * 1", "segment_id": None,
                                               "timezone": "Asia/Hong_Kong"}},
    "start": "news",
    "nodes": [
        _node("news", "send_message", 80, 60, text=_t(
            "{{ first_name }}, this month's picks for our best customers are in. Reply to see them!",
            "{{ first_name }}，本月熟客精選已經上架，回覆即可查看！",
            "{{ first_name }}様、今月のお得意様向けおすすめが届きました。返信してご覧ください！")),
        _node("done", "end", 80, 180),
    ],
    "edges": [_edge("news", "sent", "done")],
    "settings": _settings(allow_parallel_runs=False, reentry_after_days=20),
}

TEMPLATES: dict[str, tuple[T, T, dict[str, Any]]] = {
    "welcome": (_t("Welcome a new customer", "歡迎新顧客", "新規顧客へのウェルカム"),
                _t("Greets a customer in their first conversation.", "在顧客的第一次對話中問候。",
                   "初めての会話でお客様にごあいさつします。"), WELCOME),
    "post_purchase": (_t("Post-purchase follow-up", "購物後跟進", "購入後のフォロー"),
                      _t("Thanks 24 hours after a purchase, asks for a review after 3 days.",
                         "購物 24 小時後致謝，3 天後邀請評價。", "購入24時間後にお礼、3日後にレビューをお願いします。"),
                      POST_PURCHASE),
    "abandoned_cart": (_t("Abandoned cart", "購物車提醒", "カート放棄リマインド"),
                       _t("Reminds after 1 hour, then after 24 hours with a coupon; stops once paid.",
                          "1 小時後提醒，24 小時後再附優惠碼；付款後即停止。",
                          "1時間後にリマインド、24時間後にクーポン付きで再送。支払い後は停止します。"),
                       ABANDONED_CART),
    "win_back": (_t("Win back sleeping and lost regulars", "喚回久未光顧的熟客", "休眠・離反した常連様の呼び戻し"),
                 _t("A coupon when a regular goes to sleep; a call task if they do not buy within 2 weeks.",
                    "熟客變為休眠時送上優惠碼；兩星期內未購物則建立致電任務。",
                    "常連様が休眠になるとクーポンを送り、2週間以内に購入がなければ電話タスクを作成します。"), WIN_BACK),
    "birthday": (_t("Birthday coupon", "生日優惠", "誕生日クーポン"),
                 _t("A coupon at 10:00 on the customer's birthday, in their time zone.",
                    "在顧客生日當天（其時區）10:00 送上優惠碼。",
                    "お客様の誕生日（現地時間）10:00にクーポンを送ります。"),
                 BIRTHDAY),
    "monthly_loyal": (_t("Monthly campaign to loyal customers", "每月熟客推廣", "お得意様への月例キャンペーン"),
                      _t("The first Monday of each month at 10:00, to a segment (choose it before publishing).",
                         "每月第一個星期一 10:00 發送給一個分群（發佈前請選擇）。",
                         "毎月第1月曜日10:00にセグメントへ送信します（公開前に選択してください）。"), MONTHLY_LOYAL),
    "shop_assistant": (_t("Shop assistant (bot)", "店舖助手（機械人）", "ショップアシスタント（ボット）"),
                       _t("Answers from the knowledge base, shows orders, hands refunds and the rest to a person.",
                          "從知識庫回答、查詢訂單，退款及其他問題轉交同事。",
                          "ナレッジベースで回答し、注文状況を表示し、返金などは担当者に引き継ぎます。"),
                       shop_assistant()),
}


def _pick(texts: T, locale: str) -> str:
    key = locale.replace("_", "-").lower()
    return next((v for k, v in texts.items() if k.lower() == key), texts["en"])


def get(key: str, locale: str = "en") -> dict[str, Any] | None:
    """One template: {key, name, description, definition} (a deep copy, safe to change)."""
    found = TEMPLATES.get(key)
    if found is None:
        return None
    name, description, definition = found
    return {"key": key, "name": _pick(name, locale), "description": _pick(description, locale),
            "definition": copy.deepcopy(definition)}


def catalogue(locale: str = "en") -> list[dict[str, Any]]:
    return [t for key in TEMPLATES if (t := get(key, locale)) is not None]
