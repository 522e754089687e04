"""Making, finding, revoking and rate-limiting API keys.

A key is `hub_live_` + 32 random bytes (URL-safe base64). Only `HMAC-SHA256(app secret, key)` is stored.
A slow password hash (argon2) is for low-entropy secrets people choose; a 256-bit random token cannot be
guessed offline, so a fast keyed hash loses nothing and lets every request find its key by one indexed
lookup. The app secret as HMAC key means a leaked database alone does not even allow checking guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col, select

from hub.api_keys.models import ApiKey
from hub.audit import service as audit
from hub.local_counts import COUNTS
from hub.runtime import broker
from hub.runtime.db import as_utc, utcnow
from hub.runtime.settings import get_settings
from hub.web.i18n import N_

log = logging.getLogger(__name__)

PREFIX = "hub_live_"
SHOWN_PREFIX = len(PREFIX) + 4
LAST_USED_EVERY = timedelta(seconds=60)
"""`last_used_at` is written at most once a minute per key: a busy POS must not write a row per request."""


class Scope(StrEnum):
    """What a key may do. Each scope opens the routes that declare it (see the OpenAPI `ApiKey` scheme)."""

    contacts_read = "contacts:read"
    contacts_write = "contacts:write"
    conversations_read = "conversations:read"
    messages_send = "messages:send"
    orders_read = "orders:read"
    pos_write = "pos:write"
    webhooks_write = "webhooks:write"


SCOPE_HELP: dict[Scope, str] = {
    Scope.contacts_read: N_("read contacts (GET /api/v1/contacts…)"),
    Scope.contacts_write: N_("change contacts"),
    Scope.conversations_read: N_("read conversations and their messages"),
    Scope.messages_send: N_("send a reply in a conversation"),
    Scope.orders_read: N_("read orders"),
    Scope.pos_write: N_("record in-store purchases from a till"),
    Scope.webhooks_write: N_("manage outgoing webhook endpoints"),
}


def hash_secret(secret: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def create(*, session: Session, actor_id: int | None, name: str, scopes: list[Scope],
           rate_limit_per_minute: int = 120) -> tuple[ApiKey, str]:
    """A new key and its secret (the only time the secret exists outside the caller's hands)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, prefix=secret[:SHOWN_PREFIX], secret_hash=hash_secret(secret),
                 scopes=sorted({scope.value for scope in scopes}), rate_limit_per_minute=rate_limit_per_minute,
                 created_by_id=actor_id)
    session.add(row)
    session.flush()
    audit.record(session=session, actor_id=actor_id, action="api_key.created", target_type="api_key",
                 target_id=row.id, details={"name": name, "scopes": row.scopes, "prefix": row.prefix})
    return row, secret


def listed(*, session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))))


def revoke(*, session: Session, actor_id: int | None, key_id: int) -> ApiKey | None:
    row = session.get(ApiKey, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session=session, actor_id=actor_id, action="api_key.revoked", target_type="api_key",
                     target_id=row.id, details={"name": row.name, "prefix": row.prefix})
    return row


def find(*, session: Session, secret: str) -> ApiKey | None:
    """The live key with this secret (None for unknown or revoked ones)."""
    if not secret.startswith(PREFIX):
        return None
    row = session.exec(select(ApiKey).where(col(ApiKey.secret_hash) == hash_secret(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    return row


def allow(key: ApiKey) -> bool:
    """Count one request on the key; False past its limit this minute (fixed windows counted in Redis, as
    the web chat's limits are; each process counts on its own when Redis cannot be reached)."""
    name = broker.key("api_key", "rate", key.id, int(time.time() // 60))
    try:
        pipe = broker.connection().pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, 120)
        count, _ = pipe.execute()
    except Exception as error:  # never "no limit" because Redis is down
        log.warning("API key rate limit counting in this process, Redis unavailable: %s", error)
        count = COUNTS.incr(name, 120)
    return int(count) <= key.rate_limit_per_minute


def used(*, session: Session, key: ApiKey, method: str, path: str, scope: str) -> None:
    """Audit one use and touch `last_used_at` (committed at once: a read-only route never commits)."""
    now = utcnow()
    audit.record(session=session, actor_id=None, action="api_key.used", target_type="api_key", target_id=key.id,
                 details={"method": method, "path": path[:200], "scope": scope, "prefix": key.prefix})
    if key.last_used_at is None or now - as_utc(key.last_used_at) >= LAST_USED_EVERY:
        session.execute(update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now))
    session.commit()
