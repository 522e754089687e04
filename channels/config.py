"""Checks shared by the adapters' `validate_config`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from channels.sandbox_secrets import sandbox_api_base
from channels.types import ChannelConfig


def check_required(config: dict[str, Any], keys: Iterable[str], kind: str) -> None:
    """ValueError naming every key in `keys` that is missing or empty."""
    missing = [key for key in keys if not config.get(key)]
    if missing:
        raise ValueError(f"{kind} needs {', '.join(missing)} once any credential is set")


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
