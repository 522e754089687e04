"""Sign-in tokens: each cookie and bearer token names one `UserSession` row, signed.

A token is accepted while its signature holds, its row is neither revoked nor expired, and the
user is active with the same `session_version` (bumped when a role, password or activity changes).
Signing out revokes the row, so a copied cookie or token stops working at once, not after a week.
The `Cookie` header is read by `session_token_in` only: the CSRF check and sign-in must agree on
which cookie is the session (see `hub.web.security`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlmodel import Session, col, delete, or_, select
from starlette.requests import cookie_parser

from hub.agents.models import User, UserSession
from hub.runtime import events
from hub.runtime.db import utcnow
from hub.runtime.settings import get_settings

TOKEN_MAX_AGE = 60 * 60 * 24 * 7
SESSION_COOKIE = "hub_session"
SESSIONS_ENDED = "sessions.ended"
"""Published after a commit that ended sessions: live sockets of those sessions close at once."""


def session_token_in(cookie_header: str | None) -> str | None:
    """The session cookie's value in a raw `Cookie` header, parsed as the browser sent it.

    Starlette's lenient parser (the one behind `request.cookies`) is used everywhere, so that a
    cookie with spaces, quotes or JSON before ours can never make one reader see it and another not.
    """
    if not cookie_header:
        return None
    return cookie_parser(cookie_header).get(SESSION_COOKIE) or None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key(), salt="hub-token")


def issue(*, session: Session, user: User, kind: str, address: str = "", user_agent: str = "") -> str:
    """A new session row for this user and its signed token (flushed; the caller commits)."""
    assert user.id is not None
    now = utcnow()
    session.exec(delete(UserSession).where(  # keep the table small: this user's dead rows go
        col(UserSession.user_id) == user.id,
        or_(col(UserSession.expires_at) < now, col(UserSession.revoked_at) < now - timedelta(days=1))))
    row = UserSession(user_id=user.id, kind=kind, address=address[:64], user_agent=user_agent[:200],
                      created_at=now, expires_at=now + timedelta(seconds=TOKEN_MAX_AGE))
    session.add(row)
    session.flush()
    return _serializer().dumps({"uid": user.id, "sv": user.session_version, "sid": row.id})


def _payload(token: str) -> dict[str, Any] | None:
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    return data if isinstance(data, dict) else None


def session_id_of(token: str | None) -> int | None:
    """The session row a genuine token names (None for a forged or expired one)."""
    data = _payload(token) if token else None
    sid = data.get("sid") if data else None
    return sid if isinstance(sid, int) and not isinstance(sid, bool) else None


def user_for_token(*, session: Session, token: str) -> User | None:
    """The user a token belongs to; None when it is forged, expired, revoked, or sessions were ended."""
    data = _payload(token)
    if data is None:
        return None
    sid, uid = data.get("sid"), data.get("uid")
    if not isinstance(sid, int) or not isinstance(uid, int):
        return None
    row = session.get(UserSession, sid)
    if row is None or row.user_id != uid or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, uid)
    if user is None or not user.is_active or user.session_version != data.get("sv"):
        return None
    return user


def active(*, session: Session, user_id: int) -> list[UserSession]:
    """The user's sessions that still work, newest first."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return []
    query = (select(UserSession).where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None),
                                       col(UserSession.expires_at) > utcnow())
             .order_by(col(UserSession.id).desc()))
    return list(session.exec(query))


def revoke(*, session: Session, row: UserSession) -> None:
    """End one session: its token stops working and its live sockets close after the commit."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    events.emit(session, SESSIONS_ENDED, user_id=row.user_id, session_id=row.id)


def revoke_all(*, session: Session, user_id: int) -> None:
    """End every session of a user (every device); live sockets close after the commit."""
    session.execute(update(UserSession).where(col(UserSession.user_id) == user_id,
                                              col(UserSession.revoked_at).is_(None)).values(revoked_at=utcnow()))
    events.emit(session, SESSIONS_ENDED, user_id=user_id, session_id=None)
