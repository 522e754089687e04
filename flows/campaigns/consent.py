"""Who may get a broadcast on a channel, and when a recipient whose time zone is unknown may get it.

Marketing consent: on a channel whose policy requires it (`channel.marketing_consent_required`; unset
means the default of its kind: required on WhatsApp, as Meta's policy demands, not on SMS, Telegram and
web chat, where the customer wrote first), only contacts whose newest consent record there is an
opt-in get broadcasts; the rest are skipped "no marketing consent". An opt-out always wins.

Quiet hours when the recipient's time zone is unknown: the campaign's quiet hours (or 21:00-08:00 when
the campaign has none: such a recipient is never sent to at night) must hold in the shop's zone and in
every zone their phone number's country spans, so the send waits for a moment that is daytime in all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_zones
from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import col

from hub.channel_records.models import Channel
from hub.channel_records.service import marketing_consent_required
from hub.contacts.models import Consent

SKIP_NO_CONSENT = "no marketing consent on this channel"
NIGHT = ("21:00", "08:00")


def consent_required(channel: Channel) -> bool:
    """The channel's policy, else the default of its kind."""
    return marketing_consent_required(channel)


def newest_is(status: str, channel_id: Any, contact_id: Any) -> ColumnElement[bool]:
    """The contact's newest consent record on the channel has this status."""
    record, newer = aliased(Consent), aliased(Consent)
    superseded = exists().where(
        col(newer.contact_id) == col(record.contact_id), col(newer.channel_id) == col(record.channel_id),
        or_(col(newer.created_at) > col(record.created_at),
            and_(col(newer.created_at) == col(record.created_at), col(newer.id) > col(record.id))))
    return exists().where(col(record.contact_id) == contact_id, col(record.channel_id) == channel_id,
                          col(record.status) == status, ~superseded)


def may_market(channel: Channel, contact_id: Any) -> ColumnElement[bool]:
    """The contact may get a broadcast on this channel as far as consent goes."""
    allowed = ~newest_is("opted_out", channel.id, contact_id)
    return and_(allowed, newest_is("opted_in", channel.id, contact_id)) if consent_required(channel) else allowed


def phone_zones_of(phone: str | None) -> list[ZoneInfo]:
    """The time zones a phone number's country (or area) spans, as far as libphonenumber knows."""
    if not phone:
        return []
    try:
        names = phone_zones.time_zones_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return []
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (KeyError, ValueError):
            continue  # "Etc/Unknown"
    return zones


def quiet_hours_for_unknown(start: str | None, end: str | None) -> tuple[str, str]:
    """The campaign's quiet hours; the night when it has none."""
    return (start, end) if start and end and start != end else NIGHT


def safe_moment(moment: datetime, zones: list[ZoneInfo], start: str | None, end: str | None) -> datetime:
    """The first moment from `moment` outside the quiet hours in every zone (bounded: zones spread so
    wide that no hour is safe in all of them fall back to the last answer)."""
    from flows.campaigns.service import out_of_quiet_hours  # the one rule of quiet hours

    quiet_start, quiet_end = quiet_hours_for_unknown(start, end)
    for _ in range(4 * len(zones) + 1):
        later = moment
        for zone in zones:
            later = out_of_quiet_hours(later, zone, quiet_start, quiet_end)
        if later == moment:
            return moment
        moment = later
    return moment
