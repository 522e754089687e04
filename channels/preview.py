"""What a customer sees of a message, read off the very request its channel's renderer makes to send it.

A campaign's preview (and anything else that shows staff a message before it goes) calls `seen` so that
the preview cannot promise what the provider is not asked for: WhatsApp reply buttons that were really a
numbered text menu, an image that an interactive message drops, a link written out in the text.

The answer: `text`, `buttons` (each `{"title"}` or `{"title", "url"}`), `native` (true when they are the
channel's own buttons, false when there are none or they were written into the text), `list_button` (a
WhatsApp list's label), `media_url`, `template` (a WhatsApp template or Twilio Content template) and
`request` (the provider request itself, for the curious; on Twilio WhatsApp with native buttons also the
Content resource the sender creates, as `request.content`); or `error` when the channel would refuse it.
"""

from __future__ import annotations

from typing import Any

from channels.types import ChannelConfig, IdentityRef, OutboundMessage

SAMPLE_ADDRESS = {"telegram": IdentityRef(kind="telegram", value="700100200"),
                  "webchat": IdentityRef(kind="webchat", value="preview")}
PHONE = IdentityRef(kind="phone", value="+85291234567")
SAMPLE_SENDER = "+15005550006"  # Twilio's magic test number, when the channel has none configured


def address_for(kind: str) -> IdentityRef:
    """A sample address of the right kind for a channel kind's renderer."""
    return SAMPLE_ADDRESS.get(kind, PHONE)


def _empty() -> dict[str, Any]:
    return {"text": None, "buttons": [], "native": False, "list_button": None, "media_url": None, "template": None}


def seen(kind: str, message: OutboundMessage, channel: ChannelConfig) -> dict[str, Any]:
    """What the customer gets on a channel of `kind` (see the module docstring)."""
    try:
        if kind == "whatsapp_meta":
            return _meta(message)
        if kind in ("sms_twilio", "whatsapp_twilio"):
            return _twilio(message, channel, whatsapp=kind == "whatsapp_twilio")
        if kind == "telegram":
            return _telegram(message)
        if kind == "webchat":
            return _webchat(message)
    except ValueError as error:  # every renderer's RenderError: the channel would refuse to send it
        return {**_empty(), "error": str(error)}
    return {**_empty(), "text": message.text, "error": f"no preview for {kind} channels"}


def _meta(message: OutboundMessage) -> dict[str, Any]:
    from channels.meta.render import render

    body = render(message)
    out = {**_empty(), "request": body}
    kind = body["type"]
    if kind == "text":
        out["text"] = body["text"]["body"]
    elif kind == "template":
        template = body["template"]
        components = template.get("components", [])
        params = [p.get("text") for c in components if c.get("type") == "body" for p in c.get("parameters", [])]
        out["template"] = {"name": template["name"], "language": template["language"]["code"], "params": params}
        out["buttons"] = [{"title": f"/l/{p.get('text')}", "url": f"/l/{p.get('text')}"}
                          for c in components if c.get("type") == "button" for p in c.get("parameters", [])]
        out["native"] = bool(out["buttons"])
    elif kind == "interactive":
        interactive = body["interactive"]
        out["text"] = interactive.get("body", {}).get("text")
        header = interactive.get("header") or {}
        if header.get("type") in ("image", "video", "document"):
            out["media_url"] = header[header["type"]]["link"]
        action, native = interactive.get("action", {}), interactive["type"]
        if native == "button":
            out["buttons"] = [{"title": b["reply"]["title"]} for b in action.get("buttons", [])]
        elif native == "cta_url":
            parameters = action["parameters"]
            out["buttons"] = [{"title": parameters["display_text"], "url": parameters["url"]}]
        elif native == "list":
            out["list_button"] = action.get("button")
            out["buttons"] = [{"title": row["title"]} for s in action.get("sections", []) for row in s["rows"]]
        out["native"] = bool(out["buttons"])
    else:  # image, video, audio, document
        out["media_url"] = body[kind].get("link")
        out["text"] = body[kind].get("caption")
    return out


def _twilio(message: OutboundMessage, channel: ChannelConfig, *, whatsapp: bool) -> dict[str, Any]:
    from channels.twilio.content import filled
    from channels.twilio.render import render

    config = dict(channel.config)
    if not config.get("from_number") and not config.get("messaging_service_sid"):
        config["from_number"] = SAMPLE_SENDER
    rendered = render(ChannelConfig(id=channel.id, kind=channel.kind, config=config, public_url=channel.public_url),
                      message, whatsapp=whatsapp)
    arguments = rendered.arguments
    out = {**_empty(), "request": {k: v for k, v in arguments.items() if k not in ("from_", "status_callback")}}
    if rendered.content is not None:  # native buttons: a Content resource the sender creates once per shape
        content = rendered.content
        out["request"]["content"] = content.create_request()
        [(_, shape)] = content.types.items()
        out["text"] = filled(shape["body"], content.variables)
        out["buttons"] = [{"title": action["title"], **({"url": filled(action["url"], content.variables)}
                                                       if action.get("url") else {})} for action in shape["actions"]]
        out["native"] = True
        return out
    if arguments.get("content_sid"):
        out["template"] = {"content_sid": arguments["content_sid"], "variables": arguments.get("content_variables")}
        return out
    out["text"] = arguments.get("body")
    out["media_url"] = (arguments.get("media_url") or [None])[0]
    return out


def _telegram(message: OutboundMessage) -> dict[str, Any]:
    from channels.telegram.render import render

    call = render(message)
    arguments = call.arguments
    out = {**_empty(), "request": {"method": call.method}}
    out["text"] = arguments.get("text") or arguments.get("caption")
    for name in ("photo", "video", "document", "audio"):
        if name in arguments:
            out["media_url"] = arguments[name]
    keyboard = arguments.get("reply_markup")
    if keyboard is not None:
        out["buttons"] = [{"title": key.text, **({"url": key.url} if key.url else {})}
                          for row in keyboard.inline_keyboard for key in row]
        out["native"] = True
    return out


def _webchat(message: OutboundMessage) -> dict[str, Any]:
    from channels.webchat.render import card

    body = card(message)
    out = {**_empty(), "request": body, "text": body.get("text"), "list_button": body.get("button_label")}
    out["media_url"] = (body.get("media") or {}).get("url")
    out["buttons"] = [{"title": b.get("title"), **({"url": b["url"]} if b.get("url") else {})}
                      for b in body.get("buttons", [])]
    out["native"] = bool(out["buttons"])
    return out
