"""Which channel an API call is from, judged by its credentials, as the provider would.

A sandbox channel's credentials are derived from its id (`sandbox:{id}` as the token,
`ACsandbox{id}` as the Twilio account SID, `sandbox{id}` as Meta's phone number id); a channel
added with `SandboxState.add_channel` has its own. Anything else gets the provider's auth error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from channels.base import same_secret
from channels.registry import adapter_for
from channels.sandbox.state import Provider, SandboxState
from channels.sandbox_secrets import SANDBOX_PREFIX, sandbox_account_sid, sandbox_secret
from channels.types import ChannelConfig

Lookup = Callable[[int], ChannelConfig | None]
"""The core's `lookup(channel_id)`: the channel's config, or None for an unknown or inactive one.
It may block (a database read): the sandbox calls it in a worker thread."""

_SANDBOX_TOKEN = re.compile(rf"^{re.escape(SANDBOX_PREFIX)}([0-9]{{1,18}})$")
_SANDBOX_SID = re.compile(r"^ACsandbox([0-9]{1,18})$")
DEFAULT_KIND: dict[Provider, str] = {"meta": "whatsapp_meta", "twilio": "sms_twilio", "telegram": "telegram"}


def provider_of(channel: ChannelConfig) -> Provider | None:
    """The provider family of a channel's kind, or None for kinds the sandbox does not speak."""
    try:
        provider = adapter_for(channel.kind).provider
    except KeyError:
        return None
    return provider if provider in ("meta", "twilio", "telegram") else None  # type: ignore[return-value]


def is_sandbox(channel: ChannelConfig) -> bool:
    return adapter_for(channel.kind).uses_sandbox(channel)


def meta_phone_number_id(channel: ChannelConfig) -> str:
    """The phone number id in the channel's Graph paths (`sandbox{id}` when it has none), as the adapter uses."""
    return str(channel.get("phone_number_id") or f"sandbox{channel.id}")


@dataclass(frozen=True)
class Accounts:
    """Resolves credentials and channel ids to configs: registered, then `lookup`, then made up.

    Without `lookup` (a test app), any sandbox id is accepted and served as a made-up channel
    whose webhooks go to `hub_public_url`, or else to the server the request came to.
    """

    state: SandboxState
    lookup: Lookup | None = None
    hub_public_url: str | None = None

    async def channel(self, channel_id: int) -> ChannelConfig | None:
        """The config of a channel by id, for the phone page; None when unknown.

        Without `lookup`, a channel is known once added or once it has called a provider API.
        """
        registered = self.state.registered_channel(channel_id)
        if registered is not None:
            return registered
        if self.lookup is not None:  # Hub's channels: sandbox ones only (never sign with real credentials)
            found = await self._lookup(channel_id)
            return found if found is not None and provider_of(found) is not None and is_sandbox(found) else None
        return self.state.remembered(channel_id)

    async def meta(self, token: str, phone_number_id: str, request: Request) -> tuple[ChannelConfig | None, bool]:
        """The Meta channel of this access token and phone number id, and whether the token is known.

        One token may serve several numbers, as a WhatsApp Business system user's token does.
        """
        known = False
        for channel in self._registered("meta"):
            if not is_sandbox(channel) and same_secret(token, channel.get("access_token")):
                known = True
                if phone_number_id == meta_phone_number_id(channel):
                    return channel, True
        sandbox = await self._sandbox(_sandbox_id(_SANDBOX_TOKEN, token), "meta", None, request)
        if sandbox is None:
            return None, known
        return (sandbox if phone_number_id == meta_phone_number_id(sandbox) else None), True

    async def twilio(self, path_sid: str, username: str, password: str, kind: str,
                     request: Request) -> ChannelConfig | None:
        """The Twilio channel whose account SID and auth token these are (the path SID must match)."""
        if username != path_sid:
            return None
        for channel in self._registered("twilio"):
            if is_sandbox(channel):
                continue
            if username == channel.get("account_sid") and same_secret(password, channel.get("auth_token")):
                return channel
        sandbox = await self._sandbox(_sandbox_id(_SANDBOX_SID, username), "twilio", kind, request)
        if sandbox is None or not same_secret(password, sandbox_secret(sandbox)):
            return None
        return sandbox if username == sandbox_account_sid(sandbox) else None

    async def telegram(self, token: str, request: Request) -> ChannelConfig | None:
        """The Telegram channel whose bot token this is."""
        for channel in self._registered("telegram"):
            if not is_sandbox(channel) and same_secret(token, channel.get("bot_token")):
                return channel
        return await self._sandbox(_sandbox_id(_SANDBOX_TOKEN, token), "telegram", None, request)

    async def _sandbox(self, channel_id: int | None, provider: Provider, kind: str | None,
                       request: Request) -> ChannelConfig | None:
        """The sandbox channel with this id, if it exists, has no credentials and is of `provider`."""
        if channel_id is None:
            return None
        channel = self.state.registered_channel(channel_id)
        if channel is None and self.lookup is not None:
            channel = await self._lookup(channel_id)
        elif channel is None:  # a test app without lookup: any sandbox id is a channel
            public_url = self.hub_public_url or _server_url(request)
            channel = ChannelConfig(id=channel_id, kind=kind or DEFAULT_KIND[provider], config={},
                                    public_url=public_url)
        if channel is None or provider_of(channel) != provider or not is_sandbox(channel):
            return None
        return channel

    def _registered(self, provider: Provider) -> list[ChannelConfig]:
        return [channel for channel in self.state.registered() if provider_of(channel) == provider]

    async def _lookup(self, channel_id: int) -> ChannelConfig | None:
        assert self.lookup is not None
        found = await run_in_threadpool(self.lookup, channel_id)
        return found if isinstance(found, ChannelConfig) else None


def _sandbox_id(pattern: re.Pattern[str], credential: str) -> int | None:
    match = pattern.match(credential)
    return int(match.group(1)) if match else None


def _server_url(request: Request) -> str:
    """The server the request came to (with the app's root path), standing in for Hub's public URL."""
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}".rstrip("/")
