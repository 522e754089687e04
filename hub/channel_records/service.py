"""Creating channels and reading their config (cached briefly for the webhook hot path)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, select

from channels import ADAPTERS, ChannelConfig
from channels.base import Adapter
from channels.netguard import BlockedDestination, check_destination_sync
from hub.channel_records.models import Channel, TeamChannel
from hub.runtime.settings import get_settings

CACHE_SECONDS = 2.0
_cache: dict[int, tuple[float, ChannelConfig | None]] = {}


class UnknownKind(ValueError):
    pass


def adapter_of(kind: str) -> Adapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise UnknownKind(f"unknown channel kind {kind!r}; known kinds: {known}") from None


def create(*, session: Session, kind: str, name: str, config: dict[str, Any], team_ids: list[int] | None = None,
           marketing_consent_required: bool | None = None) -> Channel:
    adapter = adapter_of(kind)
    stored = adapter.validate_config(config)
    settings = get_settings()
    probe = ChannelConfig(id=0, kind=kind, config=stored, public_url=settings.public_url)
    if not settings.sandbox_allowed and adapter.uses_sandbox(probe):
        raise ValueError(f"{kind} needs its provider credentials: a sandbox channel needs HUB_SANDBOX=true "
                         "(`hub run` sets it; never in production)")
    if stored.get("api_base"):  # the SDKs send credentials there: a public address only, unless allowed
        try:
            check_destination_sync(str(stored["api_base"]), allow_private=settings.allow_private_urls)
        except BlockedDestination as error:
            raise ValueError(f"api_base is refused: {error} (HUB_ALLOW_PRIVATE_URLS allows it outside production)"
                             ) from None
    channel = Channel(kind=kind, name=name.strip() or kind, config=stored,
                      marketing_consent_required=marketing_consent_required)
    session.add(channel)
    session.flush()
    assert channel.id is not None
    for team_id in team_ids or []:
        session.add(TeamChannel(team_id=team_id, channel_id=channel.id))
    return channel


MARKETING_CONSENT_BY_DEFAULT = frozenset({"whatsapp_meta", "whatsapp_twilio"})
"""Kinds on which a broadcast needs the contact's marketing opt-in unless the shop's policy says otherwise."""


def marketing_consent_required(channel: Channel) -> bool:
    """The channel's policy, else the default of its kind (WhatsApp: required, as Meta's policy demands)."""
    if channel.marketing_consent_required is not None:
        return channel.marketing_consent_required
    return channel.kind in MARKETING_CONSENT_BY_DEFAULT


def set_marketing_policy(*, session: Session, channel: Channel, required: bool | None) -> None:
    """Set (or, with None, return to the kind's default) whether broadcasts here need an opt-in."""
    channel.marketing_consent_required = required
    session.add(channel)
    session.flush()


def list_all(*, session: Session) -> list[Channel]:
    return list(session.exec(select(Channel).order_by(col(Channel.id))))


def as_config(channel: Channel) -> ChannelConfig:
    assert channel.id is not None
    settings = get_settings()
    return ChannelConfig(id=channel.id, kind=channel.kind, config=dict(channel.config),
                         public_url=settings.public_url, allow_private_urls=settings.allow_private_urls)


def webhook_urls(channel: Channel) -> dict[str, str]:
    adapter = adapter_of(channel.kind)
    base = f"{get_settings().public_url}/webhooks/{adapter.provider}/{channel.id}"
    return {endpoint or "default": (f"{base}/{endpoint}" if endpoint else base) for endpoint in
            sorted(adapter.endpoints)}


def public_view(channel: Channel) -> dict[str, Any]:
    """The channel as the API shows it: secrets masked, webhook URLs added."""
    adapter = adapter_of(channel.kind)
    urls = webhook_urls(channel)
    view: dict[str, Any] = {
        "id": channel.id,
        "kind": channel.kind,
        "name": channel.name,
        "config": adapter.public_config(channel.config),
        "sandbox": adapter.uses_sandbox(as_config(channel)),
        "marketing_consent_required": marketing_consent_required(channel),
        "webhook_url": urls.get("default") or urls.get("inbound"),
        "webhook_urls": urls,
        "created_at": channel.created_at,
    }
    if not adapter.endpoints:  # Hub's own web chat: a script tag and a WebSocket instead of webhooks
        public = get_settings().public_url
        view["widget_snippet"] = f'<script src="{public}/widget.js" data-channel="{channel.id}" async></script>'
        view["websocket_url"] = public.replace("http", "ws", 1) + f"/webchat/{channel.id}/ws"
    return view


def peek_config(channel_id: int) -> tuple[bool, ChannelConfig | None, bool]:
    """(known, config, stale) from the cache alone, without touching the database."""
    hit = _cache.get(channel_id)
    if hit is None:
        return False, None, True
    return True, hit[1], time.monotonic() - hit[0] >= CACHE_SECONDS


def cached_config(session_factory: Any, channel_id: int) -> ChannelConfig | None:
    """The channel's config, at most CACHE_SECONDS old (a changed secret applies within that)."""
    now = time.monotonic()
    hit = _cache.get(channel_id)
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    with session_factory() as session:
        channel = session.get(Channel, channel_id)
        config = as_config(channel) if channel is not None and channel.is_active else None
    if config is not None and not get_settings().sandbox_allowed and adapter_of(config.kind).uses_sandbox(config):
        config = None  # a sandbox channel's secret is derivable: never accept its webhooks in production
    _cache[channel_id] = (now, config)
    return config


def forget_cache() -> None:
    _cache.clear()


def reseal_all(*, session: Session) -> int:
    """Seal every channel's secrets again with the current key (plain ones from before sealing, and those
    sealed by a key now in HUB_SECRET_KEY_OLD). Returns how many channels were written; safe to repeat."""
    count = 0
    for channel in session.exec(select(Channel).order_by(col(Channel.id))):
        flag_modified(channel, "config")  # the column type seals on write, so a write is the re-seal
        session.add(channel)
        count += 1
    session.flush()
    forget_cache()
    return count
