"""WhatsApp buttons through Twilio: a Content API resource per distinct shape, its SID cached.

Twilio sends WhatsApp reply buttons (`twilio/quick-reply`, up to 3) and a link button
(`twilio/call-to-action`) only as Content resources, sent with `ContentSid` + `ContentVariables`
on the Messages API. The shape (button titles and ids, the link's site) is fixed in the resource;
the words of each message are its variables (`{{1}}` the body, `{{2}}` the link's path), so a shop
creates a handful of resources, not one per message. A resource is named `hub_<hash of its shape>`:
Hub finds it again in the account (`GET /v1/Content`) after a restart instead of creating another.
Outside the 24-hour window only an approved template works; that is a `template` message naming
its `content_sid` (see `render`), never one of these.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from channels.text import truncate_chars
from channels.types import OutboundMessage

QUICK_REPLY = "twilio/quick-reply"
CALL_TO_ACTION = "twilio/call-to-action"
MAX_REPLY_BUTTONS = 3
BUTTON_TITLE = 20  # WhatsApp's limit on a button's title
BUTTON_ID = 200
BODY_LIMIT = 1024  # a quick reply's or call to action's body, its variables filled in
NAME_PREFIX = "hub_"


@dataclass(frozen=True)
class NativeContent:
    """A message's native buttons: the resource's shape (`types`) and this message's `variables`."""

    types: dict[str, Any] = field(hash=False)
    variables: dict[str, str] = field(hash=False)
    language: str = "en"

    @property
    def key(self) -> str:
        """The same for every message of this shape: what the SID is cached under."""
        shape = json.dumps({"types": self.types, "language": self.language}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(shape.encode()).hexdigest()[:24]

    @property
    def friendly_name(self) -> str:
        return NAME_PREFIX + self.key

    def create_request(self) -> dict[str, Any]:
        """The body of `POST /v1/Content` (this message's words are the variables' samples)."""
        return {"friendly_name": self.friendly_name, "language": self.language, "variables": self.variables,
                "types": self.types}

    def content_variables(self) -> str:
        return json.dumps(self.variables, ensure_ascii=False)


def body_of(message: OutboundMessage) -> str:
    """Header, text and footer in one body: Twilio's button types have only a body."""
    return "\n\n".join(part for part in (message.header, message.text, message.footer) if part)


def native_content(message: OutboundMessage) -> NativeContent | None:
    """The Content resource a buttons message is sent as on WhatsApp; None when it stays text.

    Reply buttons (1 to 3) become a quick reply; a single link button a call to action. More
    buttons, lists, a mix of both, an image with buttons, no text or too long a text stay a
    numbered text menu.
    """
    if message.kind != "buttons" or not message.buttons or message.media_url:
        return None
    body = body_of(message)
    if not body or len(body) > BODY_LIMIT:
        return None
    language = (message.template_language or "en").split("-")[0] or "en"
    links = [button for button in message.buttons if button.url]
    if links:
        if len(message.buttons) != 1:
            return None
        return _call_to_action(body, links[0].title, str(links[0].url), language)
    if len(message.buttons) > MAX_REPLY_BUTTONS:
        return None
    actions = [{"title": truncate_chars(button.title, BUTTON_TITLE), "id": (button.id or button.title)[:BUTTON_ID]}
               for button in message.buttons]
    return NativeContent({QUICK_REPLY: {"body": "{{1}}", "actions": actions}}, {"1": body}, language)


def _call_to_action(body: str, title: str, url: str, language: str) -> NativeContent | None:
    """The link's site is part of the shape; its path is a variable (Twilio allows one only at the end)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    site = f"{parts.scheme}://{parts.netloc}/"
    rest = url[len(site):]
    action: dict[str, Any] = {"type": "URL", "title": truncate_chars(title, BUTTON_TITLE)}
    variables = {"1": body}
    if rest and url.startswith(site):
        action["url"], variables["2"] = site + "{{2}}", rest
    else:
        action["url"] = url
    return NativeContent({CALL_TO_ACTION: {"body": "{{1}}", "actions": [action]}}, variables, language)


def filled(text: str, variables: dict[str, str]) -> str:
    """A content field as the customer sees it: `{{n}}` replaced by its variable."""
    for name, value in variables.items():
        text = text.replace("{{" + name + "}}", value)
    return text
