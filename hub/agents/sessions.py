"""Browser sessions: the session cookie, its CSRF token, login throttling and password changes.

The cookie holds the same signed token as a bearer token (see `service.issue_token`); bumping
`users.session_version` ends every session of that user at once. Cookie-authenticated requests
that change state must carry the CSRF token derived from that cookie (see `hub.web.security`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

import redis
from sqlalchemy import update
from sqlmodel import Session, col

from hub import broker
from hub.agents import service
from hub.agents.models import User
from hub.settings import get_settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "hub_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class CookieSpec:
    """How the session cookie is set: HttpOnly, SameSite=Lax, Secure behind https."""

    name: str
    max_age: int
    secure: bool
    httponly: bool = True
    samesite: str = "lax"
    path: str = "/"


def cookie_spec() -> CookieSpec:
    return CookieSpec(name=SESSION_COOKIE, max_age=service.TOKEN_MAX_AGE,
                      secure=get_settings().public_url.startswith("https://"))


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of one session: an HMAC of its cookie, so nothing needs storing."""
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, b"hub-csrf|" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(session_token: str, candidate: str | None) -> bool:
    return bool(candidate) and hmac.compare_digest(csrf_token_for(session_token), candidate or "")


def _account_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return broker.key("login", "account", digest)


def _address_key(address: str) -> str:
    return broker.key("login", "address", address)


def retry_after(email: str, address: str) -> int | None:
    """Seconds until this account or address may try again; None when it may try now.

    Counted in Redis so every API process shares the count. When Redis is down the limit is not
    enforced (logged): agents must still be able to sign in.
    """
    keys = ((_account_key(email), ACCOUNT_FAILURES), (_address_key(address), ADDRESS_FAILURES))
    try:
        conn = broker.connection()
        for key, limit in keys:
            count = conn.get(key)
            if count is not None and int(count) >= limit:
                ttl = int(conn.ttl(key))
                return ttl if ttl > 0 else WINDOW_SECONDS
    except (redis.RedisError, OSError) as error:
        log.warning("login throttle unavailable: %s", error)
    return None


def record_failure(email: str, address: str) -> None:
    """Count a failed attempt against the account and the address (fixed 15-minute windows)."""
    keys = (_account_key(email), _address_key(address))
    try:
        conn = broker.connection()
        pipe = conn.pipeline(transaction=False)
        for key in keys:
            pipe.incr(key)
        for key, count in zip(keys, pipe.execute(), strict=True):
            if int(count) == 1:  # the window starts with the first failure (EXPIRE NX needs Redis 7)
                conn.expire(key, WINDOW_SECONDS)
    except (redis.RedisError, OSError) as error:
        log.warning("login throttle unavailable: %s", error)


def record_success(email: str) -> None:
    """A good password clears the account's count (the address keeps its own)."""
    try:
        broker.connection().delete(_account_key(email))
    except (redis.RedisError, OSError) as error:
        log.warning("login throttle unavailable: %s", error)


def end_all_sessions(*, session: Session, user: User) -> None:
    """Every token and cookie of this user stops working (on every device)."""
    session.execute(update(User).where(col(User.id) == user.id)
                    .values(session_version=col(User.session_version) + 1))
    session.refresh(user)


def change_password(*, session: Session, user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every session of the user ends."""
    if service.authenticate(session=session, email=user.email, password=current) is None:
        raise service.AccountError("the current password is not right")
    if new == current:
        raise service.AccountError("the new password must differ from the current one")
    user.password_hash = service.hash_password(new)
    session.add(user)
    session.flush()
    end_all_sessions(session=session, user=user)


LOCALES = ("en", "zh_Hant", "ja")


def set_locale(*, session: Session, user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise service.AccountError(f"the language must be one of {', '.join(LOCALES)}")
    user.locale = locale
    session.add(user)
