"""Hub's OutboundMessage as a WhatsApp Cloud API `/messages` request body.

Limits (Meta's): 3 reply buttons with titles of 20 characters; lists of 10 rows with titles
of 24 and descriptions of 72 characters and a button label of 20; headers and footers of 60.
What does not fit degrades instead of failing:

- 4 to 10 reply buttons become a list message (one row per button);
- more than 10 reply buttons or list rows, or reply and URL buttons mixed, or more than one
  URL button, become a numbered text menu with the links written out;
- exactly one URL button (and no reply buttons) becomes a `cta_url` message.

An image (`media_type` "image") on a buttons message becomes the image header of the reply-button
or `cta_url` message, and the text header then leads the body. List messages take only a text
header, so a list keeps its text header and leaves the image out.
"""

from __future__ import annotations

from typing import Any

from channels.text import numbered_menu, truncate_chars
from channels.types import Button, OutboundMessage

MAX_REPLY_BUTTONS = 3
MAX_LIST_ROWS = 10
MAX_PRODUCT_ITEMS = 30
BUTTON_TITLE = 20
BUTTON_ID = 256
ROW_TITLE = 24
ROW_ID = 200
ROW_DESCRIPTION = 72
LIST_BUTTON = 20
HEADER_TEXT = 60
FOOTER_TEXT = 60
BODY_TEXT = 1024
TEXT_BODY = 4096
DEFAULT_LIST_BUTTON = "Options"
MEDIA_TYPES = frozenset({"image", "video", "audio", "document"})
IMAGE_HEADER = frozenset({"button", "cta_url"})
"""Interactive types whose header may be an image (Meta: list headers are text only)."""

Json = dict[str, Any]


class RenderError(ValueError):
    """The message cannot be expressed on WhatsApp at all (the reason is for a person)."""


def recipient_fields(message: OutboundMessage) -> Json:
    """`to` (phone digits, no "+") or, for a customer known only by user id, `recipient`."""
    if message.to.kind == "phone":
        return {"to": message.to.value.lstrip("+")}
    if message.to.kind == "whatsapp_user":
        return {"recipient": message.to.value}
    raise RenderError(f"a {message.to.kind} identity cannot be reached on WhatsApp")


def render(message: OutboundMessage) -> Json:
    """The full JSON body for `POST /{phone_number_id}/messages`."""
    body: Json = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    body.update(recipient_fields(message))
    body.update(_content(message))
    if message.reference:  # echoed on every status webhook of this message
        body["biz_opaque_callback_data"] = message.reference[:512]
    return body


def _content(message: OutboundMessage) -> Json:
    if message.kind == "media":
        return _media(message)
    if message.kind == "buttons":
        return _buttons(message)
    if message.kind == "list":
        return _list(message, list(message.buttons))
    if message.kind == "template":
        return _template(message)
    if message.kind == "product":
        return _product(message)
    if message.kind == "product_list":
        return _product_list(message)
    return _text(message.text)


def _text(text: str | None) -> Json:
    if not text:
        raise RenderError("there is no text to send")
    return {"type": "text", "text": {"body": truncate_chars(text, TEXT_BODY), "preview_url": False}}


def _media(message: OutboundMessage) -> Json:
    if not message.media_url:
        raise RenderError("a media message needs a media_url")
    media_type = message.media_type if message.media_type in MEDIA_TYPES else "document"
    media: Json = {"link": message.media_url}
    if message.text and media_type != "audio":  # audio takes no caption
        media["caption"] = message.text
    if media_type == "document" and message.payload.get("filename"):
        media["filename"] = message.payload["filename"]
    return {"type": media_type, media_type: media}


def _buttons(message: OutboundMessage) -> Json:
    links = [button for button in message.buttons if button.url]
    replies = [button for button in message.buttons if not button.url]
    if not message.buttons:
        return _text(message.text)
    if len(links) == 1 and not replies:
        return _interactive(message, {
            "type": "cta_url",
            "action": {"name": "cta_url", "parameters": {
                "display_text": truncate_chars(links[0].title, BUTTON_TITLE), "url": links[0].url,
            }},
        })
    if links:
        return _text(numbered_menu(message.text, message.buttons))
    if len(replies) > MAX_REPLY_BUTTONS:
        return _list(message, replies)
    return _interactive(message, {
        "type": "button",
        "action": {"buttons": [
            {"type": "reply", "reply": {
                "id": (button.id or button.title)[:BUTTON_ID],
                "title": truncate_chars(button.title, BUTTON_TITLE),
            }}
            for button in replies
        ]},
    })


def _list(message: OutboundMessage, rows: list[Button]) -> Json:
    if not rows:
        return _text(message.text)
    if len(rows) > MAX_LIST_ROWS or any(button.url for button in rows):
        return _text(numbered_menu(message.text, rows))
    section_rows: list[Json] = []
    for button in rows:
        row: Json = {
            "id": (button.id or button.title)[:ROW_ID],
            "title": truncate_chars(button.title, ROW_TITLE),
        }
        if button.description:
            row["description"] = truncate_chars(button.description, ROW_DESCRIPTION)
        section_rows.append(row)
    label = message.list_button or DEFAULT_LIST_BUTTON
    return _interactive(message, {
        "type": "list",
        "action": {"button": truncate_chars(label, LIST_BUTTON), "sections": [{"rows": section_rows}]},
    })


def _interactive(message: OutboundMessage, interactive: Json, *, body_required: bool = True) -> Json:
    """Wrap an interactive object with Hub's header, body and footer."""
    body_text = message.text or _titles(message.buttons)
    if body_text:
        interactive["body"] = {"text": truncate_chars(body_text, BODY_TEXT)}
    elif body_required:
        raise RenderError("an interactive message needs a text")
    image = message.media_url if message.media_type == "image" and interactive["type"] in IMAGE_HEADER else None
    if image:
        interactive["header"] = {"type": "image", "image": {"link": image}}
        if message.header:  # the title leads the body, in bold, rather than being lost
            lead = f"*{truncate_chars(message.header, HEADER_TEXT)}*"
            interactive["body"] = {"text": truncate_chars("\n".join(p for p in (lead, body_text) if p), BODY_TEXT)}
    elif message.header:
        interactive["header"] = {"type": "text", "text": truncate_chars(message.header, HEADER_TEXT)}
    if message.footer:
        interactive["footer"] = {"text": truncate_chars(message.footer, FOOTER_TEXT)}
    order = ("type", "header", "body", "footer", "action")
    ordered = {key: interactive[key] for key in order if key in interactive}
    return {"type": "interactive", "interactive": ordered}


def _titles(buttons: tuple[Button, ...]) -> str:
    return " / ".join(button.title for button in buttons)


def _template(message: OutboundMessage) -> Json:
    if not message.template_name:
        raise RenderError("a template message needs a template_name")
    language = message.template_language or "en_US"
    template: Json = {"name": message.template_name, "language": {"code": language}}
    components = message.payload.get("components")
    if components is None and message.template_params:
        parameters = [{"type": "text", "text": param} for param in message.template_params]
        components = [{"type": "body", "parameters": parameters}]
    if components:
        template["components"] = components
    return {"type": "template", "template": template}


def _product(message: OutboundMessage) -> Json:
    catalog_id = message.payload.get("catalog_id")
    retailer_id = message.payload.get("product_retailer_id")
    if not catalog_id or not retailer_id:
        raise RenderError("a product message needs catalog_id and product_retailer_id in its payload")
    action = {"catalog_id": str(catalog_id), "product_retailer_id": str(retailer_id)}
    plain = OutboundMessage(to=message.to, text=message.text, footer=message.footer)
    return _interactive(plain, {"type": "product", "action": action}, body_required=False)


def _product_list(message: OutboundMessage) -> Json:
    catalog_id = message.payload.get("catalog_id")
    sections = message.payload.get("sections")
    if sections is None:
        wanted = message.payload.get("product_retailer_ids", [])
        retailer_ids = [str(item) for item in wanted][:MAX_PRODUCT_ITEMS]
        title = truncate_chars(message.payload.get("section_title") or message.header or "", ROW_TITLE)
        sections = [{"title": title, "product_items": [{"product_retailer_id": rid} for rid in retailer_ids]}]
    if not catalog_id or not sections or not message.header or not message.text:
        raise RenderError("a product list needs catalog_id, products, a header and a text")
    action = {"catalog_id": str(catalog_id), "sections": sections}
    return _interactive(message, {"type": "product_list", "action": action})
