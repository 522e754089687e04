"""Rules as values: every kind of condition, all/any, business hours at a frozen moment, checking."""

from datetime import UTC, datetime

import pytest

from hub.tagging.rules import Facts, RuleError, RuleSet, RuleSpec, Schedule, parse

WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
MONDAY_10_HKT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MONDAY_22_HKT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def ruleset(*conditions, match="all", shop=None):
    spec = RuleSpec.model_validate({"name": "r", "match": match, "conditions": list(conditions),
                                    "actions": [{"tag": "t"}]})
    return RuleSet([(1, spec)], shop)


def holds(rules, now=MONDAY_10_HKT, **facts):
    values = {"text": "", "channel_id": 1, "channel_kind": "sms_twilio", **facts}
    return [hit.rule_id for hit in rules.evaluate(Facts(**values), now)] == [1]


def test_channel_by_id_or_kind():
    rules = ruleset({"type": "channel", "ids": [7], "kinds": ["telegram"]})
    assert holds(rules, channel_id=7) and holds(rules, channel_kind="telegram")
    assert not holds(rules, channel_id=8, channel_kind="whatsapp_meta")


def test_keywords_and_a_channel_must_both_hold():
    rules = ruleset({"type": "keywords", "values": ["優惠券", "coupon"]},
                    {"type": "channel", "kinds": ["whatsapp_meta"]})
    assert holds(rules, text="有冇優惠券？", channel_kind="whatsapp_meta")
    assert not holds(rules, text="有冇優惠券？", channel_kind="sms_twilio")
    assert not holds(rules, text="hello", channel_kind="whatsapp_meta")


def test_any_of_the_conditions():
    rules = ruleset({"type": "keywords", "values": ["VIP"]}, {"type": "custom_field", "field": "tier", "value": "gold"},
                    match="any")
    assert holds(rules, text="I'm a vip member")
    assert holds(rules, custom_fields={"tier": "ＧＯＬＤ"})
    assert not holds(rules, text="hi", custom_fields={"tier": "silver"})


def test_business_hours_inside_and_outside_at_a_given_moment():
    shop = Schedule("Asia/Hong_Kong", WEEKDAYS)
    outside = ruleset({"type": "hours", "when": "outside"}, shop=shop)
    inside = ruleset({"type": "hours", "when": "inside"}, shop=shop)
    assert holds(inside, now=MONDAY_10_HKT) and not holds(outside, now=MONDAY_10_HKT)
    assert holds(outside, now=MONDAY_22_HKT) and not holds(inside, now=MONDAY_22_HKT)
    tokyo_night = (Schedule("Asia/Tokyo", {"mon": [["20:00", "23:30"]]}),)  # the channel's team's own hours win
    assert holds(inside, now=MONDAY_22_HKT, team_hours=tokyo_night)
    assert holds(ruleset({"type": "hours", "when": "inside"}), now=MONDAY_22_HKT)  # no hours anywhere: always open


@pytest.mark.parametrize(("condition", "facts", "expected"), [
    ({"type": "custom_field", "field": "tier", "op": "equals", "value": "gold"}, {"tier": "Gold"}, True),
    ({"type": "custom_field", "field": "tier", "op": "equals", "value": "gold"}, {"tier": "golden"}, False),
    ({"type": "custom_field", "field": "note", "op": "contains", "value": "批發"}, {"note": "批發客，每月入貨"}, True),
    ({"type": "custom_field", "field": "interests", "op": "contains", "value": "shoes"},
     {"interests": ["Shoes", "bags"]}, True),
    ({"type": "custom_field", "field": "orders", "op": "equals", "value": 3}, {"orders": 3}, True),
    ({"type": "custom_field", "field": "member", "op": "equals", "value": True}, {"member": True}, True),
    ({"type": "custom_field", "field": "tier", "op": "equals", "value": "gold"}, {}, False),
])
def test_custom_fields(condition, facts, expected):
    assert holds(ruleset(condition), custom_fields=facts) is expected


def test_contact_tags_and_locale():
    has_vip = ruleset({"type": "contact_tag", "op": "has", "tag": "VIP"})
    lacks_vip = ruleset({"type": "contact_tag", "op": "lacks", "tag": "VIP"})
    assert holds(has_vip, contact_tags=frozenset({"vip"})) and not holds(lacks_vip, contact_tags=frozenset({"VIP"}))
    assert holds(lacks_vip, contact_tags=frozenset())
    chinese = ruleset({"type": "locale", "values": ["zh"]})
    assert holds(chinese, locale="zh-HK") and holds(chinese, locale="zh_Hant") and not holds(chinese, locale="ja")
    assert not holds(chinese, locale=None)


def test_a_disabled_rule_never_holds():
    spec = RuleSpec.model_validate({"name": "off", "enabled": False, "conditions": [
        {"type": "channel", "kinds": ["sms_twilio"]}], "actions": [{"tag": "t"}]})
    assert RuleSet([(1, spec)]).evaluate(Facts("", 1, "sms_twilio"), MONDAY_10_HKT) == []


@pytest.mark.parametrize(("stored", "says"), [
    ({"conditions": [{"type": "pattern", "value": "[a-"}]}, "pattern: '[a-' is not a valid regular expression"),
    ({"conditions": [{"type": "channel"}]}, "channel: give channel ids, kinds, or both"),
    ({"conditions": [{"type": "channel", "kinds": ["line"]}]}, "channel: unknown kind 'line'"),
    ({"conditions": [{"type": "weather"}]}, "conditions.0"),
    ({"conditions": []}, "conditions: List should have at least 1 item"),
])
def test_a_bad_rule_says_what_is_wrong(stored, says):
    with pytest.raises(RuleError) as refused:
        parse({"name": "bad", "actions": [{"tag": "t"}], **stored})
    assert says in str(refused.value)
