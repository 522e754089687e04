"""Provider secrets in `channel.config`, sealed at rest with a key derived from `HUB_SECRET_KEY`.

Only the values an adapter names in `secret_keys` are sealed (`enc:v1:` + a Fernet token); the rest
of the config (phone number id, currency, api_base) stays plain JSON so it can be read and queried.
The column type `SealedConfig` seals on write and opens on read, so the rest of Hub only ever sees
plain values. Old keys listed in `HUB_SECRET_KEY_OLD` still open what they sealed; `hub rotate-secrets`
(also run by `hub migrate`) seals every channel again with the current key, including rows written
before sealing existed.
"""

from __future__ import annotations

import base64
import logging
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from channels import ADAPTERS
from hub.runtime.settings import get_settings
from hub.types import JsonType

PREFIX = "enc:v1:"
SECRET_NAMES: frozenset[str] = frozenset().union(*(adapter.secret_keys for adapter in ADAPTERS.values()))
log = logging.getLogger(__name__)


def _fernet_key(secret: str) -> bytes:
    """A Fernet key from the shop's secret: HKDF-SHA256 with a purpose label, so the session signer
    and this cipher never share key material."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hub-channel-config",
                   info=b"channel secrets v1").derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=4)
def _cipher(current: str, old: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(key)) for key in (current, *old)])


def cipher() -> MultiFernet:
    """The current key first (it seals), then every old key (they only open)."""
    settings = get_settings()
    return _cipher(settings.resolved_secret_key(), tuple(settings.old_secret_keys))


def seal(config: dict[str, Any]) -> dict[str, Any]:
    """The config with every secret value sealed by the current key (sealed ones are sealed again)."""
    box = cipher()
    sealed: dict[str, Any] = {}
    for key, value in config.items():
        if key in SECRET_NAMES and isinstance(value, str) and value:
            plain = _open_one(box, key, value)
            sealed[key] = value if plain is None else PREFIX + box.encrypt(plain.encode()).decode()
        else:
            sealed[key] = value
    return sealed


def unseal(config: dict[str, Any]) -> dict[str, Any]:
    """The config with every sealed value opened. A value no known key opens reads as None (and is logged
    by name only): the channel then behaves as if that secret were not set."""
    box = cipher()
    return {key: (_open_one(box, key, value) if isinstance(value, str) else value) for key, value in config.items()}


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def _open_one(box: MultiFernet, key: str, value: str) -> str | None:
    if not value.startswith(PREFIX):
        return value  # written before sealing existed: plain until `hub rotate-secrets` seals it
    try:
        return box.decrypt(value[len(PREFIX):].encode()).decode()
    except InvalidToken:
        log.warning("channel secret %r cannot be opened: HUB_SECRET_KEY changed without HUB_SECRET_KEY_OLD", key)
        return None


class SealedConfig(TypeDecorator[dict[str, Any]]):
    """JSON whose secret values are sealed in the database and plain in Python."""

    impl = JsonType
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else unseal(value)
