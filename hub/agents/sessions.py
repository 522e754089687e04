"""Browser sessions: the session cookie, its CSRF token and password changes.

The cookie holds a signed token like a bearer token (see `hub.agents.tokens`); ending sessions
revokes their rows and bumps `users.session_version`. Cookie-authenticated requests that change
state must carry the CSRF token derived from that cookie (see `hub.web.security`). Sign-in
throttling is in `hub.agents.throttle`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from hub.agents import service, tokens
from hub.agents.models import User
from hub.agents.tokens import SESSION_COOKIE
from hub.runtime.settings import get_settings

__all__ = ["CSRF_CHECKED", "CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "UNSAFE_METHODS", "CookieSpec",
           "change_password", "cookie_spec", "csrf_token_for", "csrf_valid", "end_all_sessions", "set_locale"]

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_CHECKED = "hub.csrf_checked"
"""Set in the ASGI scope by `hub.web.security.CsrfProtection` once it has seen this session's token."""


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
    return CookieSpec(name=SESSION_COOKIE, max_age=tokens.TOKEN_MAX_AGE,
                      secure=get_settings().public_url.startswith("https://"))


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of one session: an HMAC of its cookie, so nothing needs storing."""
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, b"hub-csrf|" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(session_token: str, candidate: str | None) -> bool:
    return bool(candidate) and hmac.compare_digest(csrf_token_for(session_token), candidate or "")


def end_all_sessions(*, session: Session, user: User) -> None:
    """Every token and cookie of this user stops working (on every device), live sockets too."""
    assert user.id is not None
    tokens.revoke_all(session=session, user_id=user.id)
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
