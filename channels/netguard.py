"""Where outbound requests may go: public addresses only, checked after DNS and on every redirect hop.

A media URL comes from a webhook body and an `api_base` from an admin; either could name an internal
host (`127.0.0.1`, `10.x`, the cloud metadata service at `169.254.169.254`). Every fetch and send
goes through these checks unless the operator allows private addresses (`ChannelConfig.allow_private_urls`,
from `HUB_ALLOW_PRIVATE_URLS`: the sandbox and the tests' provider fakes listen on loopback).

- `GuardedResolver` drops non-public answers when aiohttp resolves a name, so the address checked
  is the address connected to (no second lookup an attacker's DNS could answer differently).
- `check_url` refuses a literal private address (aiohttp does not resolve those) and non-http(s) URLs.
- `check_destination` resolves and checks a URL's host for the SDKs whose HTTP client is their own.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class BlockedDestination(OSError):
    """The URL names (or resolves to) a loopback, private, link-local or metadata address."""


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (an IPv4-mapped IPv6 address is judged as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise BlockedDestination unless `url` is http(s) with a host that is a name or a public address."""
    parts = urlsplit(url)
    host = host_of(url)
    if parts.scheme not in ("http", "https") or not host:
        raise BlockedDestination(f"only http(s) URLs with a host are fetched, not {parts.scheme or 'this'}")
    if allow_private:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise BlockedDestination(f"{host} is a local address")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: judged when it is resolved
    if not is_public_address(host):
        raise BlockedDestination(f"{host} is not a public address")


def _check_resolved(host: str, addresses: Iterable[str]) -> None:
    found = list(addresses)
    if not found:
        raise BlockedDestination(f"{host} does not resolve")
    private = [address for address in found if not is_public_address(address)]
    if private:
        raise BlockedDestination(f"{host} resolves to a non-public address ({private[0]})")


async def check_destination(url: str, *, allow_private: bool) -> None:
    """`check_url`, then every address the host resolves to must be public (for SDK clients we cannot guard)."""
    check_url(url, allow_private=allow_private)
    if allow_private:
        return
    host, port = host_of(url), urlsplit(url).port or 443
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise BlockedDestination(f"{host} does not resolve") from error
    _check_resolved(host, (str(answer[4][0]) for answer in answers))


def check_destination_sync(url: str, *, allow_private: bool) -> None:
    """`check_destination` for synchronous callers (checking an admin's `api_base` when it is saved)."""
    check_url(url, allow_private=allow_private)
    if allow_private:
        return
    host, port = host_of(url), urlsplit(url).port or 443
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise BlockedDestination(f"{host} does not resolve") from error
    _check_resolved(host, (str(answer[4][0]) for answer in answers))


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, answering only public addresses (all of them when private ones are allowed)."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self.allow_private:
            return results
        public = [result for result in results if is_public_address(result["host"])]
        if not public:
            raise BlockedDestination(f"{host} resolves only to non-public addresses")
        return public

    async def close(self) -> None:
        await self._inner.close()


def guarded_session(*, allow_private: bool, timeout: aiohttp.ClientTimeout, connections: int = 10,
                    **options: Any) -> aiohttp.ClientSession:
    """An aiohttp session whose every connection is to a public address (unless private ones are allowed).

    Callers still pass each URL (and each redirect's target) through `check_url` first: a literal address
    skips the resolver.
    """
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(allow_private=allow_private), limit=connections)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False, **options)


def blocked_reason(error: BaseException) -> str | None:
    """The sentence of a BlockedDestination behind an aiohttp error, if that is what it was."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BlockedDestination):
            return str(seen)
        inner = getattr(seen, "os_error", None)
        if isinstance(inner, BlockedDestination):
            return str(inner)
        seen = seen.__cause__ or seen.__context__
    return None


def on_hosts(url: str, hosts: Iterable[str]) -> bool:
    """True when the URL's host is one of `hosts` or a subdomain of one."""
    host = host_of(url)
    return any(host == allowed or host.endswith(f".{allowed}") for allowed in hosts if allowed)
