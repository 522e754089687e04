"""Recorded customer messages in three languages, tagged by keyword, pattern and channel rules."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.tagging.rules import Facts, RuleSet, RuleSpec

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "tagging" / "messages.json"
MESSAGES = json.loads(FIXTURE.read_text(encoding="utf-8"))["messages"]

RULES = [
    {"name": "refund", "conditions": [{"type": "keywords", "values": ["退款", "退貨", "返金", "返品", "ＲＥＦＵＮＤ",
                                                                      "return"]}], "actions": [{"tag": "refund"}]},
    {"name": "cancel", "conditions": [{"type": "keywords", "values": ["取消", "キャンセル", "cancel"]}],
     "actions": [{"tag": "cancel"}]},
    {"name": "order number", "conditions": [{"type": "pattern", "value": r"(order|訂單|注文)\D{0,8}\d{3,}"}],
     "actions": [{"tag": "order status"}]},
    {"name": "coupon on WhatsApp", "conditions": [{"type": "keywords", "values": ["優惠券", "クーポン", "coupon"]},
                                                  {"type": "channel", "kinds": ["whatsapp_meta", "whatsapp_twilio"]}],
     "actions": [{"tag": "coupon"}]},
]


@pytest.mark.parametrize("engine", ["automaton", "scan"])
@pytest.mark.parametrize("message", MESSAGES, ids=[m["text"][:24] for m in MESSAGES])
def test_recorded_message_gets_the_expected_tags(message, engine):
    rules = RuleSet([(n, RuleSpec.model_validate(r)) for n, r in enumerate(RULES, 1)], engine=engine)
    facts = Facts(text=message["text"], channel_id=1, channel_kind=message["channel"], locale=message["locale"])
    hits = rules.evaluate(facts, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    assert sorted(action.tag for hit in hits for action in hit.actions) == message["expect"]
