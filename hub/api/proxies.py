"""The client's address: from X-Forwarded-For only when the peer is a proxy in HUB_TRUSTED_PROXIES.

Anyone can send X-Forwarded-For; believing it from anyone would let an attacker pick the address
the sign-in throttle counts against. So `hub serve` runs uvicorn without proxy headers and this
middleware rewrites `scope["client"]` (and the scheme from X-Forwarded-Proto) for trusted peers
only. The forwarded chain is read from the right, skipping trusted proxies: the first address
that is not one of them is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

from hub.runtime.settings import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[Network, ...]:
    parts = filter(None, (part.strip() for part in setting.split(",")))
    return tuple(ipaddress.ip_network(part, strict=False) for part in parts)


def trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client as a trusted proxy chain reports it; the peer itself when it is not trusted."""
    if not trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:  # garbage in the header: the nearest trusted proxy is all we know
                return peer
    return hops[0] if hops else peer


class TrustedProxies:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client:
            settings = get_settings()
            networks = _networks(settings.trusted_proxies) if settings.trusted_proxies else ()
            if networks and trusted(client[0], networks):
                forwarded = ",".join(_values(scope, b"x-forwarded-for"))
                scope = dict(scope)
                scope["client"] = (client_address(client[0], forwarded, networks), 0)
                proto = ",".join(_values(scope, b"x-forwarded-proto")).split(",")[0].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto if scope["type"] == "http" else ("wss" if proto == "https" else "ws")
        await self.app(scope, receive, send)


def _values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name]
