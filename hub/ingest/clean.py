"""Customer text without NUL characters, before anything of it is stored.

PostgreSQL refuses U+0000 in text and JSONB, so a NUL in a customer's message (Telegram and web chat
pass it through) failed its ingest on every attempt and the message never reached the inbox. It
carries nothing a person can read: it is removed, and the rest of the message is kept.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")
NUL = "\x00"


def without_nul(value: T) -> T:
    """`value` with every NUL removed from its strings: in dataclasses, dicts (keys too), lists and tuples."""
    return _clean(value)  # type: ignore[no-any-return]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, "") if NUL in value else value
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


def may_hold_nul(body: bytes) -> bool:
    """False when a raw webhook body cannot carry a NUL (raw, JSON-escaped or URL-encoded): no walk needed."""
    return b"\x00" in body or b"\\u0000" in body or b"%00" in body
