"""Who a web chat visitor is: an anonymous browser session, or a shop user the shop vouched for.

Identity values are scoped to one channel, so a session of one widget never reaches another:

- `"{channel_id}:s:{random}"`: an anonymous session, created by Hub and carried in the visitor's
  signed session token;
- `"{channel_id}:u:{user_id}"`: a signed-in user of the shop, used only when the page proved the user
  id with `signature(identity_secret, user_id)` (HMAC-SHA256, lower-case hex).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_USER_ID = 128
ANONYMOUS = "s"
USER = "u"


def anonymous_identity(channel_id: int) -> str:
    """A new anonymous session of `channel_id`: unguessable, so it works as a bearer secret."""
    return f"{channel_id}:{ANONYMOUS}:{secrets.token_urlsafe(18)}"


def user_identity(channel_id: int, user_id: str) -> str:
    """The identity of a shop user whose id the shop signed."""
    return f"{channel_id}:{USER}:{user_id}"


def _split(value: str) -> tuple[str, str, str] | None:
    parts = value.split(":", 2)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and parts[2] else None


def belongs_to(channel_id: int, value: str) -> bool:
    """True when `value` is an identity of this channel (anonymous or user)."""
    parts = _split(value)
    return parts is not None and parts[0] == str(channel_id) and parts[1] in (ANONYMOUS, USER)


def is_user(channel_id: int, value: str) -> bool:
    """True for a shop user's identity of this channel (`{channel_id}:u:{user_id}`)."""
    parts = _split(value)
    return parts is not None and parts[0] == str(channel_id) and parts[1] == USER


def is_anonymous(channel_id: int, value: str) -> bool:
    parts = _split(value)
    return parts is not None and parts[0] == str(channel_id) and parts[1] == ANONYMOUS


def valid_user_id(user_id: object) -> bool:
    """A user id is 1 to 128 printable characters without spaces."""
    return (isinstance(user_id, str) and 0 < len(user_id) <= MAX_USER_ID
            and all(char.isprintable() and not char.isspace() for char in user_id))


def signature(secret: str, user_id: str) -> str:
    """What the shop's backend computes: hex HMAC-SHA256 of the user id, keyed with `identity_secret`."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def proves(secret: str | None, user_id: object, given: object) -> bool:
    """True when `given` is the shop's signature of `user_id` (constant-time; False without a secret)."""
    if not secret or not valid_user_id(user_id) or not isinstance(given, str) or not given:
        return False
    assert isinstance(user_id, str)
    return hmac.compare_digest(signature(secret, user_id).encode(), given.strip().lower().encode())


def handle(value: str) -> str:
    """How staff see a visitor: a shop user's id, or `visitor-` and six characters derived from an anonymous
    session (the session value itself is a bearer secret and is never shown)."""
    parts = _split(value)
    if parts is not None and parts[1] == USER:
        return parts[2]
    return "visitor-" + hashlib.sha256(value.encode()).hexdigest()[:6]
