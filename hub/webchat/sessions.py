"""Who is on the other end of a widget: session tokens, and the shop's proof of a signed-in user.

A session token is signed with Hub's secret key and names the channel and the identity value,
so a reload continues the same conversation. Only anonymous sessions are resumed from a token:
a signed-in user's session needs the shop's signature on every hello, so a browser whose user
signed out of the shop does not keep showing that user's conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from channels import ChannelConfig
from channels.webchat import WebChat
from channels.webchat.identity import anonymous_identity, belongs_to, is_anonymous, proves, user_identity
from hub.runtime.settings import get_settings
from hub.webchat.protocol import Hello

SALT = "hub.webchat.session"
MAX_AGE_SECONDS = 180 * 24 * 3600


@dataclass(frozen=True)
class Visitor:
    """The identity a connection speaks for, and whether the shop vouched for it."""

    identity: str
    verified: bool
    name: str | None = None
    continuing: bool = False
    """The hello's token named this same session, so its `last_id` applies."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key(), salt=SALT)


def issue(channel_id: int, identity: str) -> str:
    """A token that lets this browser come back to the same session."""
    return str(_serializer().dumps({"c": channel_id, "i": identity}))


def read(token: str | None, channel_id: int) -> str | None:
    """The identity a token names, or None when it is missing, forged, expired or of another channel."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("c") != channel_id:
        return None
    identity = data.get("i")
    return identity if isinstance(identity, str) and belongs_to(channel_id, identity) else None


def identify(channel: ChannelConfig, adapter: WebChat, hello: Hello) -> Visitor:
    """The visitor of a hello: the proven shop user, else the token's anonymous session, else a new one.

    A claim without a valid signature (or on a channel with no identity secret) is ignored: the
    visitor stays anonymous and is never joined to the contact of the user id they claimed.
    """
    resumed = read(hello.session_token, channel.id)
    claim = hello.claim
    if claim is not None and proves(adapter.identity_secret(channel), claim.user_id, claim.signature):
        identity = user_identity(channel.id, str(claim.user_id))
        return Visitor(identity, verified=True, name=claim.name, continuing=resumed == identity)
    if resumed is not None and is_anonymous(channel.id, resumed):
        return Visitor(resumed, verified=False, continuing=True)
    return Visitor(anonymous_identity(channel.id), verified=False)
