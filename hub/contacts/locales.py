"""A customer's language, currency and time zone: one answer for every sender.

The language a customer reads (`en`, `zh_Hant` or `ja`) is, in this order:

1. the contact's stored locale, normalised: `zh-HK`, `zh-TW`, `zh-Hant-HK` → `zh_Hant`; `ja-JP` → `ja`;
   `en-GB` → `en` (a language Hub has no wording for, such as `fr`, counts as unknown);
2. the country of the contact's phone number: HK, TW, MO → `zh_Hant`, JP → `ja`;
3. the channel's market: its `locale` config key, else the language of its `market` country;
4. the shop default, `HUB_DEFAULT_LOCALE`.

A new contact gets a stored locale from the provider (Telegram's `language_code`, the web chat
widget), else from their phone's country, else from the script of their first message (kana → ja,
other Han → zh_Hant); its time zone from the phone number when the number's country has one zone
(libphonenumber's time zone data). Staff can change both (`PATCH /api/v1/contacts/{id}`).

A channel's currency is its `currency` config key, else its `market` country's currency; the
catalog prices a conversation in it (see `catalog.chat.currency_for`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import phonenumbers
from babel.numbers import get_territory_currencies
from phonenumbers import timezone as phone_zones
from sqlmodel import Session, col, select

from hub.channel_records.models import Channel
from hub.contacts.models import ChannelIdentity, Contact

LANGUAGES = ("en", "zh_Hant", "ja")
"""The languages Hub speaks to customers."""
COUNTRY_LANGUAGE = {"HK": "zh_Hant", "TW": "zh_Hant", "MO": "zh_Hant", "JP": "ja",
                    "US": "en", "GB": "en", "AU": "en", "CA": "en", "NZ": "en", "SG": "en", "IE": "en"}
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_COUNTRY = re.compile(r"[A-Z]{2}")
_LATIN_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def language(tag: str | None) -> str | None:
    """The customer language a locale tag means, or None (empty, or a language Hub does not speak).

    `zh`, `zh-HK`, `zh-TW`, `zh_Hant`, `zh-Hant-HK` → `zh_Hant` (Hub writes Traditional Chinese only);
    `ja`, `ja-JP` → `ja`; `en`, `en-US` → `en`."""
    if not tag or not isinstance(tag, str):
        return None
    first = tag.strip().replace("-", "_").split("_")[0].lower()
    return {"zh": "zh_Hant", "ja": "ja", "en": "en"}.get(first)


def country_of_phone(phone: str | None) -> str | None:
    """The ISO country of an E.164 number (`+81…` → JP), or None."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone.removeprefix("whatsapp:"), None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number) or None


def zone_of_phone(phone: str | None) -> str | None:
    """The time zone of a number whose country (or area) has exactly one, else None (a US number spans six)."""
    if not phone:
        return None
    try:
        names = phone_zones.time_zones_for_number(phonenumbers.parse(phone.removeprefix("whatsapp:"), None))
    except phonenumbers.NumberParseException:
        return None
    known = [name for name in names if valid_zone(name)]
    return known[0] if len(known) == 1 else None


def zone_of_country(country: str | None) -> str | None:
    """The time zone of a country with one (JP → Asia/Tokyo, HK → Asia/Hong_Kong), else None."""
    if not country:
        return None
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return None
    return zone_of_phone(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))


def currency_of_country(country: str | None) -> str | None:
    """The legal tender of a country (JP → JPY), or None."""
    if not country:
        return None
    found = get_territory_currencies(country)
    return str(found[0]) if found else None


def language_of_text(text: str | None) -> str | None:
    """A guess from a message's script: any kana → ja; Han without kana → zh_Hant; two or more words
    in Latin letters → en; else None ("OK", "2" or an emoji say nothing)."""
    if not text:
        return None
    if _KANA.search(text):
        return "ja"
    if _HAN.search(text):
        return "zh_Hant"
    if len(_LATIN_WORD.findall(text)) >= 2:
        return "en"
    return None


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_zone(name: Any) -> bool:
    """An IANA zone name such as Asia/Tokyo (not a directory such as "Asia", nor "Etc/Unknown")."""
    return isinstance(name, str) and name != "Etc/Unknown" and name in _zone_names()


def channel_market(config: Mapping[str, Any]) -> str | None:
    """The country a channel sells in: its `market` key. (Not its own number's country: shops often
    send from a US Twilio number, or Twilio's sandbox one, to customers in Hong Kong or Japan.)"""
    market = config.get("market")
    return market if isinstance(market, str) and _COUNTRY.fullmatch(market) else None


def channel_language(config: Mapping[str, Any]) -> str | None:
    return language(config.get("locale")) or COUNTRY_LANGUAGE.get(channel_market(config) or "")


def channel_currency(config: Mapping[str, Any]) -> str | None:
    """The channel's `currency`, else its market's currency, else None."""
    currency = config.get("currency")
    if isinstance(currency, str) and currency:
        return currency.upper()
    return currency_of_country(channel_market(config))


def channel_zone(config: Mapping[str, Any]) -> str | None:
    zone = config.get("timezone")
    return zone if valid_zone(zone) else zone_of_country(channel_market(config))


def customer_language(*, stored: str | None, phones: Iterable[str | None] = (),
                      channel_config: Mapping[str, Any] | None = None, default: str | None = None) -> str:
    """The language to write to a customer in (see the module's docstring for the order)."""
    found = language(stored)
    if found:
        return found
    for phone in phones:
        found = COUNTRY_LANGUAGE.get(country_of_phone(phone) or "")
        if found:
            return found
    if channel_config:
        found = channel_language(channel_config)
        if found:
            return found
    if default is None:
        from hub.runtime.settings import get_settings
        default = get_settings().default_locale
    return language(default) or "en"


def first_locale(*, provided: str | None, phones: Iterable[str | None], text: str | None) -> str | None:
    """The locale to store on a new contact: the provider's, else the language their first message is
    written in, else their phone's country's."""
    if provided:
        return provided
    written = language_of_text(text)
    if written:
        return written
    for phone in phones:
        found = COUNTRY_LANGUAGE.get(country_of_phone(phone) or "")
        if found:
            return found
    return None


def first_zone(phones: Iterable[str | None]) -> str | None:
    for phone in phones:
        zone = zone_of_phone(phone)
        if zone:
            return zone
    return None


def phones_of(session: Session, contact_id: int | None) -> list[str]:
    if contact_id is None:
        return []
    rows = session.exec(select(col(ChannelIdentity.phone)).where(col(ChannelIdentity.contact_id) == contact_id,
                                                                  col(ChannelIdentity.phone).is_not(None))
                        .order_by(col(ChannelIdentity.id)))
    return [phone for phone in rows if phone]


def for_contact(session: Session, contact: Contact | None, channel: Channel | int | None = None) -> str:
    """The language to write to this contact in, on this channel (a Channel or its id)."""
    if isinstance(channel, int):
        channel = session.get(Channel, channel)
    config = dict(channel.config) if channel is not None else None
    if contact is None:
        return customer_language(stored=None, channel_config=config)
    if language(contact.locale):
        return language(contact.locale) or "en"
    return customer_language(stored=None, phones=phones_of(session, contact.id), channel_config=config)


def zone_for(session: Session, contact: Contact | None, channel: Channel | None = None) -> str | None:
    """The contact's time zone: stored, else their phone's, else the channel's market's, else None."""
    if contact is not None and valid_zone(contact.timezone):
        return contact.timezone
    if contact is not None:
        found = first_zone(phones_of(session, contact.id))
        if found:
            return found
    return channel_zone(dict(channel.config)) if channel is not None else None
