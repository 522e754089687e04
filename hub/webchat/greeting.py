"""What the widget says before anyone writes: the channel's greeting, and its away message outside the
channel's business hours, both in the visitor's language (channel config `greeting`, `away_message`,
`timezone`, `business_hours`; see README "Web chat")."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from channels import ChannelConfig
from hub.assignment import hours
from hub.web.i18n import N_, gettext_for, supported

log = logging.getLogger(__name__)

AWAY_DEFAULT = N_("We are away right now. Leave a message and we will reply when we are back.")


def pick(texts: object, locale: str | None) -> str | None:
    """The text for the visitor's language: its own, else English, else the first one configured."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict) or not texts:
        return None
    wanted = supported(locale)
    for key, text in texts.items():
        if supported(key) == wanted and (wanted != "en" or key.split("_")[0] == "en"):
            return str(text)
    return str(texts.get("en") or next(iter(texts.values())))


def is_away(channel: ChannelConfig, now: datetime) -> bool:
    """True outside the channel's business hours (no hours configured: never away)."""
    weekly = channel.get("business_hours")
    if not weekly:
        return False
    try:
        return not hours.is_open(str(channel.get("timezone") or "UTC"), weekly, now)
    except hours.InvalidHours:
        log.warning("web chat channel %s has unreadable business hours", channel.id)
        return False


def welcome_texts(channel: ChannelConfig, locale: str | None, now: datetime) -> dict[str, Any]:
    """`greeting` and `away` for the welcome frame (None when there is nothing to say)."""
    away = None
    if is_away(channel, now):
        away = pick(channel.get("away_message"), locale) or gettext_for(supported(locale)).gettext(AWAY_DEFAULT)
    return {"greeting": pick(channel.get("greeting"), locale), "away": away}
