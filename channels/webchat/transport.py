"""How a rendered web chat frame leaves the adapter: through a publisher the core injects.

The adapter knows no Redis and no WebSocket. Web chat's module record (a hook) calls
`set_publisher(...)` with a function that hands the frame to whichever API process holds the
visitor's WebSocket (Hub publishes it on Redis).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Publisher = Callable[[int, str, dict[str, Any]], Awaitable[None]]
"""`await publisher(channel_id, identity_value, frame)`; raises when the frame could not be handed on."""

_publisher: Publisher | None = None


def set_publisher(publisher: Publisher | None) -> None:
    """Install the core's publisher (None removes it)."""
    global _publisher
    _publisher = publisher


def publisher() -> Publisher | None:
    """The installed publisher, or None when the core installed none in this process."""
    return _publisher
