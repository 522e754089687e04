"""One answer to "which language, currency and time zone does this customer get" (issue 13, items 1, 2, 5b)."""

from __future__ import annotations

import pytest
from jinja2 import ChainableUndefined
from sqlmodel import select

from catalog.products import localized
from channels.config import check_market
from flows.campaigns.personalise import LenientUndefined
from hub import placeholders
from hub.contacts import locales
from hub.contacts.models import Contact
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.factories import inbound, make_channel

TITLE = {"en": "Silk shirt", "zh_Hant": "絲質襯衫", "ja": "シルクシャツ"}


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh-HK", "zh_Hant"), ("zh_TW", "zh_Hant"), ("zh-Hant-HK", "zh_Hant"), ("zh_Hant", "zh_Hant"), ("zh", "zh_Hant"),
    ("ja-JP", "ja"), ("ja", "ja"), ("en-GB", "en"), ("EN", "en"), ("fr", None), ("", None), (None, None)])
def test_regional_tags_fall_back_to_their_language(tag, expected):
    assert locales.language(tag) == expected


@pytest.mark.parametrize(("tag", "title"), [("zh-HK", "絲質襯衫"), ("zh_TW", "絲質襯衫"), ("ja-JP", "シルクシャツ"),
                                            ("fr", "Silk shirt"), (None, "Silk shirt")])
def test_catalog_titles_follow_a_regional_locale(tag, title):
    assert localized(TITLE, tag) == title


def test_the_language_comes_from_the_locale_then_the_phone_then_the_channel_then_the_shop():
    assert locales.customer_language(stored="zh-HK", phones=["+819012345678"], default="en") == "zh_Hant"
    assert locales.customer_language(stored=None, phones=["+819012345678"], default="en") == "ja"
    assert locales.customer_language(stored="fr", phones=["+85291234567"], default="en") == "zh_Hant"
    assert locales.customer_language(stored=None, phones=["+14155550100"], channel_config={"market": "JP"},
                                     default="zh_Hant") == "en"
    assert locales.customer_language(stored=None, channel_config={"market": "JP"}, default="en") == "ja"
    assert locales.customer_language(stored=None, channel_config={"locale": "zh_Hant", "market": "JP"},
                                     default="en") == "zh_Hant"
    assert locales.customer_language(stored=None, phones=["+4930123456"], default="ja") == "ja"


def test_a_channel_market_gives_its_currency_and_zone_and_an_explicit_key_wins():
    assert locales.channel_currency({"market": "JP"}) == "JPY"
    assert locales.channel_currency({"market": "HK"}) == "HKD"
    assert locales.channel_currency({"market": "JP", "currency": "usd"}) == "USD"
    assert locales.channel_currency({"from_number": "whatsapp:+14155238886"}) is None  # Twilio's sandbox number
    assert locales.channel_currency({}) is None
    assert locales.channel_zone({"market": "JP"}) == "Asia/Tokyo"
    assert locales.channel_zone({"market": "HK", "timezone": "Asia/Macau"}) == "Asia/Macau"


def test_time_zones_come_from_the_phone_number_when_its_country_has_one():
    assert locales.zone_of_phone("+85291234567") == "Asia/Hong_Kong"
    assert locales.zone_of_phone("+819012345678") == "Asia/Tokyo"
    assert locales.zone_of_phone("+14155550100") is not None  # the area code narrows a US number to one zone
    assert locales.zone_of_phone("not a number") is None


def test_the_first_message_script_beats_the_phone_for_a_new_contact():
    assert locales.first_locale(provided="zh-HK", phones=["+819012345678"], text="hi there") == "zh-HK"
    assert locales.first_locale(provided=None, phones=["+85291234567"], text="サイズはありますか") == "ja"
    assert locales.first_locale(provided=None, phones=["+819012345678"], text="OK") == "ja"
    assert locales.first_locale(provided=None, phones=[], text="這件有M碼嗎") == "zh_Hant"
    assert locales.first_locale(provided=None, phones=[], text="👍") is None


def test_channel_market_keys_are_checked_and_normalised():
    assert check_market({"market": "jp", "currency": "jpy", "locale": "zh-Hant", "timezone": "Asia/Tokyo"}) == {
        "market": "JP", "currency": "JPY", "locale": "zh_Hant", "timezone": "Asia/Tokyo"}
    for bad in ({"market": "XX"}, {"market": 81}, {"currency": "ABC"}, {"locale": "fr"}, {"timezone": "Mars/Base"},
                {"timezone": "Asia"}):
        with pytest.raises(ValueError):
            check_market(bad)


@pytest.mark.parametrize("undefined", [ChainableUndefined, LenientUndefined])
@pytest.mark.parametrize("first_name", ["", None, "   "])
def test_an_empty_field_counts_as_missing_for_default(undefined, first_name):
    env = placeholders.environment(undefined)
    text = "Hi {{ contact.first_name | default('there') }}!"
    assert placeholders.render(env, text, {"contact": {"first_name": first_name}}, max_chars=100) == "Hi there!"
    assert placeholders.render(env, text, {"contact": {}}, max_chars=100) == "Hi there!"
    assert placeholders.render(env, text, {"contact": {"first_name": "Mei"}}, max_chars=100) == "Hi Mei!"


def test_a_new_phone_contact_gets_a_locale_and_zone_from_their_number(backend):
    whatsapp = make_channel("whatsapp_meta", "WhatsApp JP")
    sms = make_channel("sms_twilio", "SMS HK")
    with session_scope() as session:
        receive(session=session, channel_id=whatsapp.id, inbound=inbound("wamid.jp", phone="+819012345678",
                                                                          text="OK", name=None))
        receive(session=session, channel_id=sms.id, inbound=inbound("SM-hk", phone="+85291234567", text="2"))
    with session_scope() as session:
        found = {c.name: (c.locale, c.timezone) for c in session.exec(select(Contact))}
    assert found == {"": ("ja", "Asia/Tokyo"), "陳大文": ("zh_Hant", "Asia/Hong_Kong")}


def test_a_contact_without_a_zone_gets_the_channel_markets(backend):
    channel = make_channel("telegram", "JP bot", config={"market": "JP"})
    with session_scope() as session:
        contact = Contact(name="x")
        session.add(contact)
        session.flush()
        assert locales.zone_for(session, contact, channel) == "Asia/Tokyo"
        assert locales.for_contact(session, contact, channel) == "ja"
        contact.locale = "zh-HK"
        assert locales.for_contact(session, contact, channel) == "zh_Hant"
