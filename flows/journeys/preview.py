"""The editor's preview of a `send_message` step: the text a sample customer gets in a language, and what
the channel will do with it (warnings)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from flows.journeys import messages
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of
from hub.contacts.models import Contact

SAMPLE = Contact(name="陳大文 Tai Man", custom_fields={"city": "香港"})


def preview_node(session: Session, node: dict[str, Any], channel_id: int | None, locale: str
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    config = node.get("config") if isinstance(node.get("config"), dict) else {}
    assert isinstance(config, dict)
    warnings: list[str] = []
    if node.get("type") != "send_message":
        return [], ["only send_message steps send something to preview"]
    fields = messages.context_of(SAMPLE, config.get("coupon_code") or "SAMPLE10")
    texts = config.get("text") if isinstance(config.get("text"), dict) else {}
    assert isinstance(texts, dict)
    if not any(messages.locale_key(k) == messages.locale_key(locale) for k in texts):
        warnings.append(f"no text in {locale}: customers who read it get the shop's default language")
    text = messages.render(messages.pick(texts, locale), fields)
    buttons = [messages.render(messages.pick(b.get("title"), locale), fields)
               for b in config.get("buttons") or [] if isinstance(b, dict)]
    channel = session.get(Channel, channel_id) if channel_id else None
    if channel is not None:
        adapter = adapter_of(channel.kind)
        if adapter.reply_window_hours is not None and not config.get("template"):
            warnings.append(f"{channel.kind}: after {adapter.reply_window_hours} hours without a customer message "
                            "this step is skipped (outside_window) unless it names an approved template")
        if len(buttons) > 3 and channel.kind.startswith("whatsapp"):
            warnings.append("WhatsApp shows at most 3 reply buttons")
    if any(len(b) > 20 for b in buttons):
        warnings.append("button titles are cut at 20 characters")
    kind = "buttons" if buttons else "media" if config.get("media_url") else "text"
    return [{"kind": kind, "text": text, "buttons": [b[:20] for b in buttons]}], warnings
