"""Checks shared by the adapters' `validate_config`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from babel import Locale
from babel.numbers import is_currency

from channels.sandbox_secrets import sandbox_api_base
from channels.types import ChannelConfig


def check_required(config: dict[str, Any], keys: Iterable[str], kind: str) -> None:
    """ValueError naming every key in `keys` that is missing or empty."""
    missing = [key for key in keys if not config.get(key)]
    if missing:
        raise ValueError(f"{kind} needs {', '.join(missing)} once any credential is set")


MARKET_KEYS = frozenset({"market", "currency", "locale", "timezone"})
"""Keys every channel accepts: the country it sells in, its price list, its customers' default language
and time zone (each optional; `market` implies the other three)."""
_CUSTOMER_LOCALES = {"en": "en", "zh_hant": "zh_Hant", "ja": "ja"}


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def check_market(config: dict[str, Any]) -> dict[str, Any]:
    """The config with `market`, `currency`, `locale` and `timezone` checked and normalised (ValueError)."""
    market = config.get("market")
    if market is not None:
        if not isinstance(market, str) or not re.fullmatch(r"[A-Za-z]{2}", market) \
                or market.upper() not in Locale.parse("en").territories:
            raise ValueError(f"market must be a two-letter country code such as HK or JP, not {market!r}")
        config["market"] = market.upper()
    currency = config.get("currency")
    if currency is not None:
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency) \
                or not is_currency(currency.upper()):
            raise ValueError(f"currency must be an ISO 4217 code such as HKD or JPY, not {currency!r}")
        config["currency"] = currency.upper()
    locale = config.get("locale")
    if locale is not None:
        key = str(locale).replace("-", "_").lower()
        if key not in _CUSTOMER_LOCALES:
            raise ValueError(f"locale must be one of en, zh_Hant, ja, not {locale!r}")
        config["locale"] = _CUSTOMER_LOCALES[key]
    zone = config.get("timezone")
    if zone is not None and (not isinstance(zone, str) or zone not in _zone_names()):
        raise ValueError(f"timezone must be an IANA zone such as Asia/Tokyo, not {zone!r}")
    return config


def check_api_base(config: dict[str, Any]) -> None:
    """ValueError unless `api_base` is absent or an absolute http(s) URL."""
    api_base = config.get("api_base")
    if api_base is None:
        return
    parts = urlsplit(str(api_base))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"api_base must be an http(s) URL such as https://example.com, not {api_base!r}")


def resolve_api_base(channel: ChannelConfig, *, default: str, sandbox: bool, provider: str) -> str:
    """The channel's `api_base`; else the sandbox for a sandbox channel; else the provider's own API."""
    configured = channel.get("api_base")
    if configured:
        return str(configured).rstrip("/")
    return sandbox_api_base(channel, provider) if sandbox else default
