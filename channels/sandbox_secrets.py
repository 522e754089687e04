"""The shared secret a channel without credentials signs and checks its webhooks with.

A channel with no credentials talks to Hub's own sandbox (see `Adapter.uses_sandbox`). Its
webhooks still go through the provider's real signature scheme, keyed with this secret, so
the sandbox can sign its receipts exactly as the provider would:

- Meta: `X-Hub-Signature-256` HMAC keyed with it (in place of `app_secret`); it is also the
  `hub.verify_token` of the GET handshake and the bearer token sent to the sandbox.
- Twilio: `X-Twilio-Signature` computed with it as the auth token.
- Telegram: `X-Telegram-Bot-Api-Secret-Token` equals it; it is also the bot token in the URL.

Its outbound traffic goes to `sandbox_api_base` unless the channel sets `api_base`, so a
sandbox channel never sends its made-up credentials to a real provider.

The value is derived from the channel id alone, so anyone who knows the id can forge it:
the core must refuse sandbox channels outside development (`HUB_ENV=production`).
"""

from __future__ import annotations

from channels.types import ChannelConfig

SANDBOX_PREFIX = "sandbox:"


def sandbox_secret(channel: ChannelConfig) -> str:
    """The secret standing in for every missing credential of a sandbox channel."""
    return f"{SANDBOX_PREFIX}{channel.id}"


def sandbox_api_base(channel: ChannelConfig, provider: str) -> str:
    """Where a sandbox channel without `api_base` sends: `{public_url}/sandbox/{provider}`.

    The sandbox mounted there speaks the provider's real wire protocol, so the adapters
    send to it exactly as they send to the provider.
    """
    return f"{channel.public_url.rstrip('/')}/sandbox/{provider}"


def sandbox_account_sid(channel: ChannelConfig) -> str:
    """The Twilio account SID a sandbox channel uses in its API paths (`AC` + the sandbox secret)."""
    return f"ACsandbox{channel.id}"
