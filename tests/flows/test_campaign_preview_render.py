"""The preview is what is sent (issue 13 item 13): each channel's preview comes from the renderer that sends,
so WhatsApp shows buttons only where the customer gets buttons."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels.meta.render import render
from channels.preview import address_for
from flows.campaigns.personalise import ContactFields, compose
from hub.composition import create_app
from hub.conversations import outbound
from hub.conversations.models import Message
from tests.factories import make_channel, make_user, token_for


@pytest.fixture
def client(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    make_user("mika@shop.test", role="marketer")
    with TestClient(create_app()) as test_client:
        yield test_client


def previews(client: Any, buttons: list[dict[str, str]], media: str | None = None) -> dict[str, Any]:
    marketer = token_for(client, "mika@shop.test")
    whatsapp = make_channel("whatsapp_meta", "WA").id
    sms = make_channel("sms_twilio", "SMS").id
    created = client.post("/api/v1/campaigns", headers=marketer, json={
        "name": "spring", "channel_ids": [whatsapp, sms], "channel_mode": "preferred",
        "template": {"name": "spring_sale", "language": "en", "params": ["{{ contact.first_name }}"]},
        "variants": [{"name": "A", "text": "Spring sale!", "buttons": buttons, "media_url": media,
                      "media_type": "image" if media else None}]}).json()
    answer = client.post(f"/api/v1/campaigns/{created['id']}/preview", headers=marketer, json={})
    assert answer.status_code == 200, answer.text
    return {entry["style"]: entry for entry in answer.json()["previews"]}


def test_a_link_and_a_reply_on_whatsapp_preview_as_the_text_menu_the_customer_gets(client: Any) -> None:
    """The reported case: the preview showed two buttons, the customer got text with "1. Not interested"."""
    shown = previews(client, [{"title": "Shop now", "url": "https://shop.example/sale"},
                              {"title": "Not interested"}])
    whatsapp = shown["whatsapp"]["seen"]
    assert whatsapp["native"] is False and whatsapp["buttons"] == []
    assert "1. Not interested" in whatsapp["text"] and "Shop now: https://shop.example/sale" in whatsapp["text"]
    assert whatsapp["request"]["type"] == "text"  # the very body the sender posts to Graph
    sms = shown["sms"]["seen"]
    assert sms["native"] is False and "1. Not interested" in sms["text"]
    assert shown["telegram"]["seen"]["native"] is True and shown["telegram"]["in_campaign"] is False
    template = shown["whatsapp"]["outside_window"]["seen"]["template"]
    assert template == {"name": "spring_sale", "language": "en", "params": ["陳大文"]}


def test_reply_buttons_on_whatsapp_are_native_and_keep_the_image(client: Any) -> None:
    shown = previews(client, [{"title": "Yes please"}, {"title": "Not interested"}],
                     media="https://shop.example/spring.jpg")
    whatsapp = shown["whatsapp"]["seen"]
    assert whatsapp["native"] is True
    assert [b["title"] for b in whatsapp["buttons"]] == ["Yes please", "Not interested"]
    assert whatsapp["media_url"] == "https://shop.example/spring.jpg"  # the interactive header, as sent
    assert whatsapp["request"]["interactive"]["header"] == {"type": "image",
                                                            "image": {"link": "https://shop.example/spring.jpg"}}


def test_the_preview_is_the_sent_request() -> None:
    """Same compose, same storage shape, same renderer: the preview's request equals the sender's."""
    from flows.campaigns.models import Campaign

    campaign = Campaign(id=5, name="x", variants=[{"name": "A", "text": "Hi", "buttons": [{"title": "OK"}]}])
    kind, text, payload = compose(campaign, "A", ContactFields(name="Ann"))
    message = Message(conversation_id=1, channel_id=1, direction="outbound", kind=kind, text=text, payload=payload)
    sent = render(outbound.as_outbound(message, address_for("whatsapp_meta")))
    assert sent["interactive"]["action"]["buttons"][0]["reply"] == {"id": "campaign:5:0", "title": "OK"}


def test_outside_the_window_the_template_carries_a_tracked_native_url_button(backend: Any) -> None:
    """A WhatsApp customer outside the 24-hour window gets the approved template; its dynamic URL button's
    parameter is their tracked-link token, so the click counts (and the preview shows the button)."""
    from sqlmodel import select

    from channels.preview import seen
    from channels.types import ChannelConfig
    from flows.campaigns.models import Campaign, Recipient, TrackedLink
    from flows.campaigns.personalise import message_for
    from hub.contacts.models import Contact
    from hub.runtime.db import session_scope

    whatsapp = make_channel("whatsapp_meta", "WA")
    with session_scope() as session:
        contact = Contact(name="Ann Lee")
        campaign = Campaign(name="spring", channel_ids=[whatsapp.id], variants=[{"name": "A", "text": "Hi"}],
                            template={"name": "spring_sale", "language": "en", "params": ["{{ contact.first_name }}"],
                                      "button_url": "https://shop.example/sale"})
        session.add(contact)
        session.add(campaign)
        session.flush()
        recipient = Recipient(campaign_id=campaign.id or 0, contact_id=contact.id or 0, channel_id=whatsapp.id)
        session.add(recipient)
        session.flush()
        kind, text, payload = message_for(session, campaign, recipient, contact, whatsapp, window=False)
        link = session.exec(select(TrackedLink).where(TrackedLink.recipient_id == recipient.id)).one()
        assert link.url == "https://shop.example/sale"
        message = Message(conversation_id=1, channel_id=whatsapp.id or 0, direction="outbound", kind=kind, text=text,
                          payload=payload)
        body = render(outbound.as_outbound(message, address_for("whatsapp_meta")))
        assert body["template"]["components"] == [
            {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": link.token}]}]
        shown = seen("whatsapp_meta", outbound.as_outbound(message, address_for("whatsapp_meta")),
                     ChannelConfig(id=1, kind="whatsapp_meta", config={}))
        assert shown["native"] is True and shown["template"]["params"] == ["Ann"]


def test_on_twilio_whatsapp_the_template_is_its_content_sid_with_the_token_as_a_variable(backend: Any) -> None:
    """The same approved template through Twilio: ContentSid, the params as {{1}}…, the tracked token after them;
    inside the window the campaign's reply buttons are native (a quick reply), in the preview as when sent."""
    import json

    from sqlmodel import select

    from channels.preview import seen
    from channels.twilio.render import render as twilio_render
    from channels.types import ChannelConfig
    from flows.campaigns.models import Campaign, Recipient, TrackedLink
    from flows.campaigns.personalise import message_for
    from hub.contacts.models import Contact
    from hub.runtime.db import session_scope

    whatsapp = make_channel("whatsapp_twilio", "WA Twilio", config={"from_number": "whatsapp:+14155238886"})
    config = ChannelConfig(id=whatsapp.id, kind="whatsapp_twilio", config={"from_number": "whatsapp:+14155238886"})
    sid = "HX" + "ab" * 16
    with session_scope() as session:
        contact = Contact(name="Ann Lee")
        campaign = Campaign(name="spring", channel_ids=[whatsapp.id],
                            variants=[{"name": "A", "text": "Spring sale!", "buttons": [{"title": "Yes please"},
                                                                                       {"title": "No thanks"}]}],
                            template={"name": "spring_sale", "language": "en", "params": ["{{ contact.first_name }}"],
                                      "button_url": "https://shop.example/sale", "content_sid": sid})
        session.add(contact)
        session.add(campaign)
        session.flush()
        recipient = Recipient(campaign_id=campaign.id or 0, contact_id=contact.id or 0, channel_id=whatsapp.id)
        session.add(recipient)
        session.flush()
        to = address_for("whatsapp_twilio")
        kind, text, payload = message_for(session, campaign, recipient, contact, whatsapp, window=False)
        token = session.exec(select(TrackedLink).where(TrackedLink.recipient_id == recipient.id)).one().token
        outside = outbound.as_outbound(Message(conversation_id=1, channel_id=whatsapp.id or 0, direction="outbound",
                                               kind=kind, text=text, payload=payload), to)
        arguments = twilio_render(config, outside, whatsapp=True).arguments
        assert arguments["content_sid"] == sid and "body" not in arguments
        assert json.loads(arguments["content_variables"]) == {"1": "Ann", "2": token}
        assert seen("whatsapp_twilio", outside, config)["template"]["content_sid"] == sid
        kind, text, payload = message_for(session, campaign, recipient, contact, whatsapp, window=True)
        inside = outbound.as_outbound(Message(conversation_id=1, channel_id=whatsapp.id or 0, direction="outbound",
                                              kind=kind, text=text, payload=payload), to)
        sent = twilio_render(config, inside, whatsapp=True)
        assert sent.content is not None and "twilio/quick-reply" in sent.content.types
        shown = seen("whatsapp_twilio", inside, config)
        assert shown["native"] is True and [b["title"] for b in shown["buttons"]] == ["Yes please", "No thanks"]
        assert shown["request"]["content"]["types"] == sent.content.types
