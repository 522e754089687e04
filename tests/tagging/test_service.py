"""The tagging job on stored messages, on SQLite and PostgreSQL: rules tag conversations and contacts
once, say which rule did it, and a rule change applies to the next message without a restart."""

from datetime import UTC, datetime

from sqlmodel import select

from hub import composition
from hub.assignment.models import TeamPolicy
from hub.audit.models import AuditEntry
from hub.contacts.models import Contact
from hub.runtime import broker, events
from hub.runtime.db import session_scope
from hub.tagging import admin, jobs, service
from hub.tagging.models import TagRule
from tests.factories import make_channel, make_team
from tests.tagging.factories import contact_tags, conversation_tags, keywords, rule, write

MONDAY_22_HKT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_a_keyword_rule_tags_a_chinese_japanese_and_english_message(backend):
    channel = make_channel("whatsapp_meta")
    refund = rule("refund", keywords("退款", "退貨", "返金", "返品", "ＲＥＦＵＮＤ", "return"))
    for phone, text in (("+85291110001", "我想退款，請問要幾耐？"),
                        ("+819012345678", "注文した商品を返品したいです。返金はいつになりますか？"),
                        ("+14155550123", "refund please, the zip broke")):
        message_id, conversation_id, _ = write(channel.id, text, phone=phone)
        assert jobs.apply_rules(message_id) == "1 tags added"
        assert conversation_tags(conversation_id) == {"refund": f"rule:{refund} refund"}


def test_running_the_job_twice_tags_once_with_one_audit_entry_and_one_event(backend):
    channel = make_channel("sms_twilio")
    refund = rule("refund", keywords("退款"))
    message_id, conversation_id, _ = write(channel.id, "我想退款")
    seen = []
    events.subscribe(events.CONVERSATION_UPDATED, seen.append)
    assert jobs.apply_rules(message_id) == "1 tags added"
    assert jobs.apply_rules(message_id) == "0 tags added"
    assert conversation_tags(conversation_id) == {"refund": f"rule:{refund} refund"}
    assert [e.data for e in seen] == [{"conversation_id": conversation_id, "tag": "refund",
                                       "source": f"rule:{refund} refund"}]
    with session_scope() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "tag.auto")).all()
    assert [(e.target_type, e.target_id, e.details["rule_id"], e.details["message_id"]) for e in entries] == [
        ("conversation", str(conversation_id), refund, message_id)]


def test_a_rule_change_applies_to_the_next_message_without_a_restart(backend):
    channel = make_channel("telegram")
    rule_id = rule("cancel", keywords("取消"))
    first, conversation_id, _ = write(channel.id, "キャンセルお願いします")
    jobs.apply_rules(first)
    assert conversation_tags(conversation_id) == {}
    with session_scope() as session:  # what PATCH /api/v1/tag-rules/{id} does, in another "process"
        admin.update_rule(session=session, actor=None, rule_id=rule_id,
                          changes={"conditions": [keywords("取消", "キャンセル")]})
    second, _, _ = write(channel.id, "ｷｬﾝｾﾙしたいです")
    jobs.apply_rules(second)
    assert conversation_tags(conversation_id) == {"cancel": f"rule:{rule_id} cancel"}
    with session_scope() as session:
        admin.update_rule(session=session, actor=None, rule_id=rule_id, changes={"enabled": False})
    other, other_conversation, _ = write(channel.id, "取消", phone="+85290000000")
    jobs.apply_rules(other)
    assert conversation_tags(other_conversation) == {}


def test_pattern_channel_and_contact_rules(backend):
    whatsapp, sms = make_channel("whatsapp_meta"), make_channel("sms_twilio")
    order = rule("order number", {"type": "pattern", "value": r"(order|訂單|注文)\D{0,8}\d{4,}"}, tag="order status")
    coupon = rule("coupon on WhatsApp", keywords("優惠券"), {"type": "channel", "ids": [whatsapp.id]}, tag="coupon")
    japanese = rule("Japanese speaker", {"type": "locale", "values": ["ja"]}, tag="日本語", target="tag_contact")
    message_id, on_whatsapp, contact_id = write(whatsapp.id, "注文番号：５５２１の件、優惠券は？", locale="ja")
    jobs.apply_rules(message_id)
    assert conversation_tags(on_whatsapp) == {"order status": f"rule:{order} order number",
                                              "coupon": f"rule:{coupon} coupon on WhatsApp"}
    assert contact_tags(contact_id) == {"日本語": f"rule:{japanese} Japanese speaker"}
    message_id, on_sms, _ = write(sms.id, "有冇優惠券？", phone="+85298765432", locale="zh-HK")
    jobs.apply_rules(message_id)
    assert conversation_tags(on_sms) == {}


def test_custom_fields_and_contact_tags(backend):
    channel = make_channel("sms_twilio")
    vip = rule("gold members are VIP", {"type": "custom_field", "field": "tier", "value": "gold"}, tag="VIP",
               target="tag_contact")
    rule("VIP asking", {"type": "contact_tag", "op": "has", "tag": "VIP"}, tag="priority")
    message_id, conversation_id, contact_id = write(channel.id, "hello")
    with session_scope() as session:
        contact = session.get(Contact, contact_id)
        contact.custom_fields = {"tier": "Gold"}
        session.add(contact)
    jobs.apply_rules(message_id)
    assert contact_tags(contact_id) == {"VIP": f"rule:{vip} gold members are VIP"}
    assert conversation_tags(conversation_id) == {}  # the contact had no VIP tag when the rules ran
    message_id, _, _ = write(channel.id, "still there?")
    jobs.apply_rules(message_id)
    assert list(conversation_tags(conversation_id)) == ["priority"]


def test_outside_business_hours_uses_the_teams_hours_else_the_shops(backend):
    team = make_team("Tokyo")
    tokyo, web = make_channel("telegram", team_ids=[team]), make_channel("webchat")
    night = rule("after hours", {"type": "hours", "when": "outside"})
    weekdays = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    with session_scope() as session:
        admin.set_shop_hours(session=session, actor=None, timezone="Asia/Hong_Kong", weekly=weekdays)
        session.add(TeamPolicy(team_id=team, timezone="Asia/Tokyo", weekly_hours={"mon": [["20:00", "24:00"]]}))
    on_web, web_conversation, _ = write(web.id, "hi", phone="+85291230000")
    on_tokyo, tokyo_conversation, _ = write(tokyo.id, "こんばんは", phone="+819011112222")
    with session_scope() as session:
        for message_id in (on_web, on_tokyo):
            message = service.inbound(session, message_id)
            service.apply_rules(session=session, message=message, now=MONDAY_22_HKT)
    assert conversation_tags(web_conversation) == {"after hours": f"rule:{night} after hours"}
    assert conversation_tags(tokyo_conversation) == {}  # 23:00 in Tokyo: the team is open


def test_every_customer_message_enqueues_the_tagging_job(backend):
    composition.wire()
    channel = make_channel("sms_twilio")
    rule("refund", keywords("refund"))
    message_id, conversation_id, _ = write(channel.id, "Refund please")
    queued = [job for job in broker.queue("inbound").get_jobs()
              if job.func_name == "hub.tagging.jobs.apply_rules_each"]
    assert [job.args for job in queued] == [([message_id],)]
    assert queued[0].perform() == "1 done"
    assert list(conversation_tags(conversation_id)) == ["refund"]


def test_outbound_and_missing_messages_are_left_alone(backend):
    assert jobs.apply_rules(999_999) == "not an inbound message"


def test_a_stored_rule_that_no_longer_reads_is_skipped_and_the_others_run(backend):
    channel = make_channel("sms_twilio")
    rule("refund", keywords("refund"))
    broken = rule("gone channel", {"type": "channel", "kinds": ["sms_twilio"]}, tag="sms")
    with session_scope() as session:
        row = session.get(TagRule, broken)
        row.conditions = [{"type": "channel", "kinds": ["pager"]}]  # a channel kind this installation lost
        session.add(row)
        admin.bump(session)
    message_id, conversation_id, _ = write(channel.id, "refund please")
    jobs.apply_rules(message_id)
    assert list(conversation_tags(conversation_id)) == ["refund"]
