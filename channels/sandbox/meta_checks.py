"""What Graph's `/messages` refuses, with the code and wording Meta uses.

Strict on purpose: a body the real Cloud API would refuse must fail here too, so that an
adapter bug shows up in development. Missing parameters are error 100; values outside
WhatsApp's limits (three reply buttons, ten list rows, title lengths, ...) are 131009.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from channels.identities import is_whatsapp_user_id

MESSAGE_TYPES = ("audio", "contacts", "document", "image", "interactive", "location", "reaction", "sticker",
                 "template", "text", "video")
MEDIA_TYPES = frozenset({"audio", "document", "image", "sticker", "video"})
INTERACTIVE_TYPES = frozenset({"button", "list", "cta_url", "product", "product_list", "catalog_message", "flow",
                               "location_request_message", "address_message"})
BODY_REQUIRED = frozenset({"button", "list", "cta_url", "product_list", "catalog_message", "flow",
                           "location_request_message", "address_message"})
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{4,20}$")
_URL = re.compile(r"^https?://[^\s/]+\S*$")

Json = dict[str, Any]


@dataclass
class GraphError(Exception):
    """A Graph error: the HTTP status and the fields of Graph's `{"error": {...}}` envelope."""

    code: int
    message: str
    details: str | None = None
    status: int = 400
    subcode: int | None = None
    type: str = "OAuthException"


def missing(name: str) -> GraphError:
    return GraphError(100, f"(#100) The parameter {name} is required.")


def invalid(details: str) -> GraphError:
    return GraphError(131009, "(#131009) Parameter value is not valid", details)


def check_message(body: Any) -> None:
    """Raise GraphError for a `/messages` body the Cloud API would refuse."""
    if not isinstance(body, dict):
        raise GraphError(100, "(#100) Invalid parameter", "the request body must be a JSON object")
    product = body.get("messaging_product")
    if product is None:
        raise missing("messaging_product")
    if product != "whatsapp":
        raise GraphError(100, f'(#100) Param messaging_product must be one of {{WHATSAPP}} - got "{product}".')
    _check_recipient(body)
    kind = body.get("type", "text")
    if kind not in MESSAGE_TYPES:
        raise GraphError(100, f'(#100) Param type must be one of {{{", ".join(t.upper() for t in MESSAGE_TYPES)}}}'
                              f' - got "{kind}".')
    content = body.get(kind)
    if kind == "contacts":
        if not isinstance(content, list) or not content:
            raise missing("contacts")
        return
    if not isinstance(content, dict):
        raise missing(kind)
    CHECKS.get(kind, _no_check)(content, kind)


def _check_recipient(body: Json) -> None:
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type not in ("individual", "group"):
        raise GraphError(100, f'(#100) Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got '
                              f'"{recipient_type}".')
    to, recipient = body.get("to"), body.get("recipient")
    if to is None and recipient is None:
        raise missing("to")
    if to is not None and (not isinstance(to, str) or not _PHONE.match(to)):
        raise GraphError(100, "(#100) Invalid parameter", f"Invalid WhatsApp phone number: {to!r}")
    if to is None and (not isinstance(recipient, str) or not is_whatsapp_user_id(recipient)):
        raise GraphError(100, "(#100) Invalid parameter", f"Invalid WhatsApp user id: {recipient!r}")


def _no_check(content: Json, kind: str) -> None:
    return None


def _text(content: Json, kind: str) -> None:
    text = content.get("body")
    if not isinstance(text, str) or not text.strip():
        raise missing("text['body']")
    _at_most(text, 4096, "text['body']")


def _media(content: Json, kind: str) -> None:
    link, media_id = content.get("link"), content.get("id")
    if bool(link) == bool(media_id):
        raise GraphError(100, f"(#100) Param {kind} must have exactly one of 'id' or 'link'.")
    if link is not None and (not isinstance(link, str) or not _URL.match(link)):
        raise invalid(f"{kind}['link'] is not an http(s) URL: {link!r}")
    if "caption" in content:
        if kind in ("audio", "sticker"):
            raise invalid(f"{kind} messages do not take a caption")
        _at_most(content["caption"], 1024, f"{kind}['caption']")


def _location(content: Json, kind: str) -> None:
    for key in ("latitude", "longitude"):
        if not isinstance(content.get(key), int | float | str):
            raise missing(f"location['{key}']")


def _reaction(content: Json, kind: str) -> None:
    if not content.get("message_id"):
        raise missing("reaction['message_id']")
    if "emoji" not in content:
        raise missing("reaction['emoji']")


def _template(content: Json, kind: str) -> None:
    if not isinstance(content.get("name"), str) or not content["name"]:
        raise missing("template['name']")
    language = content.get("language")
    if not isinstance(language, dict) or not language.get("code"):
        raise missing("template['language']['code']")
    if "components" in content and not isinstance(content["components"], list):
        raise invalid("template['components'] must be a list")


def _interactive(content: Json, kind: str) -> None:
    subtype = content.get("type")
    if subtype is None:
        raise missing("interactive['type']")
    if subtype not in INTERACTIVE_TYPES:
        raise invalid(f"interactive['type'] {subtype!r} is not supported")
    action = content.get("action")
    if not isinstance(action, dict):
        raise missing("interactive['action']")
    body = content.get("body")
    if subtype in BODY_REQUIRED and (not isinstance(body, dict) or not body.get("text")):
        raise missing("interactive['body']['text']")
    if isinstance(body, dict) and body.get("text"):
        _at_most(body["text"], 1024, "interactive['body']['text']")
    header = content.get("header")
    if isinstance(header, dict) and header.get("type") == "text":
        _at_most(header.get("text") or "", 60, "interactive['header']['text']")
    elif isinstance(header, dict):
        _media_header(subtype, header)
    footer = content.get("footer")
    if isinstance(footer, dict):
        _at_most(footer.get("text") or "", 60, "interactive['footer']['text']")
    if subtype == "button":
        _reply_buttons(action)
    elif subtype == "list":
        _list(action)
    elif subtype == "cta_url":
        parameters = action.get("parameters")
        if not isinstance(parameters, dict) or not parameters.get("display_text") or not parameters.get("url"):
            raise missing("interactive['action']['parameters']")
        _at_most(parameters["display_text"], 20, "cta_url display_text")
    elif subtype in ("product", "product_list"):
        _products(subtype, action, header)


def _media_header(subtype: str, header: Json) -> None:
    """Reply-button and cta_url messages take an image, video or document header; lists only a text one."""
    kind = header.get("type")
    if subtype not in ("button", "cta_url") or kind not in ("image", "video", "document"):
        raise invalid(f"interactive['header']['type'] {kind!r} is not allowed for a {subtype} message")
    media = header.get(kind)
    if not isinstance(media, dict) or not (media.get("link") or media.get("id")):
        raise missing(f"interactive['header']['{kind}']")


def _reply_buttons(action: Json) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise missing("interactive['action']['buttons']")
    if len(buttons) > 3:
        raise invalid(f"at most 3 reply buttons are allowed, got {len(buttons)}")
    ids, titles = set(), set()
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(reply, dict) or button.get("type") != "reply":
            raise invalid("each button must be {'type': 'reply', 'reply': {'id', 'title'}}")
        if not reply.get("id") or not reply.get("title"):
            raise missing("interactive['action']['buttons'][]['reply']['id' and 'title']")
        _at_most(reply["id"], 256, "button id")
        _at_most(reply["title"], 20, "button title")
        if reply["id"] in ids or reply["title"] in titles:
            raise invalid("button ids and titles must be unique")
        ids.add(reply["id"])
        titles.add(reply["title"])


def _list(action: Json) -> None:
    if not action.get("button"):
        raise missing("interactive['action']['button']")
    _at_most(action["button"], 20, "list button")
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise missing("interactive['action']['sections']")
    if len(sections) > 10:
        raise invalid("at most 10 sections are allowed")
    rows = [row for section in sections if isinstance(section, dict) for row in section.get("rows") or []]
    if not rows:
        raise missing("interactive['action']['sections'][]['rows']")
    if len(rows) > 10:
        raise invalid(f"at most 10 rows are allowed in a list, got {len(rows)}")
    if len(sections) > 1 and not all(isinstance(s, dict) and s.get("title") for s in sections):
        raise missing("interactive['action']['sections'][]['title']")
    ids = set()
    for row in rows:
        if not isinstance(row, dict) or not row.get("id") or not row.get("title"):
            raise missing("interactive['action']['sections'][]['rows'][]['id' and 'title']")
        _at_most(row["id"], 200, "row id")
        _at_most(row["title"], 24, "row title")
        _at_most(row.get("description") or "", 72, "row description")
        if row["id"] in ids:
            raise invalid("row ids must be unique")
        ids.add(row["id"])


def _products(subtype: str, action: Json, header: Any) -> None:
    if not action.get("catalog_id"):
        raise missing("interactive['action']['catalog_id']")
    if subtype == "product":
        if not action.get("product_retailer_id"):
            raise missing("interactive['action']['product_retailer_id']")
        return
    if not isinstance(header, dict) or not header.get("text"):
        raise missing("interactive['header']")
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise missing("interactive['action']['sections']")
    items = [item for section in sections if isinstance(section, dict) for item in section.get("product_items") or []]
    if not items:
        raise missing("interactive['action']['sections'][]['product_items']")
    if len(items) > 30:
        raise invalid(f"at most 30 products are allowed, got {len(items)}")


def _at_most(value: Any, limit: int, name: str) -> None:
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string")
    if len(value) > limit:
        raise invalid(f"{name} must be at most {limit} characters, got {len(value)}")


CHECKS = {
    "text": _text, "image": _media, "audio": _media, "video": _media, "document": _media, "sticker": _media,
    "location": _location, "reaction": _reaction, "template": _template, "interactive": _interactive,
}
