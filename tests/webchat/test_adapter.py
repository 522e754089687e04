"""The `webchat` adapter: config, no webhooks, parsing stored frames, and sending through the transport."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from channels import ADAPTERS, ChannelConfig, IdentityRef, OutboundMessage, VerifyError, WebhookRequest
from channels.types import ParseError
from channels.webchat import WebChat, stored_frame, transport
from channels.webchat.identity import anonymous_identity, proves, signature

CHANNEL = ChannelConfig(id=5, kind="webchat", config={"allowed_origins": ["https://shop.example"]},
                        public_url="https://hub.example")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def frame(**fields: Any) -> bytes:
    values: dict[str, Any] = {"session": "5:s:abcdefgh", "verified": False, "client_id": "c-0001",
                              "frame_type": "message", "text": "你好", "sent_at": NOW, **fields}
    return stored_frame(**values)


def test_registered_with_the_contract_config_keys():
    adapter = ADAPTERS["webchat"]
    assert isinstance(adapter, WebChat)
    assert adapter.config_keys >= {"allowed_origins", "identity_secret", "api_base"}  # the contract's, kept
    assert adapter.config_keys - {"allowed_origins", "identity_secret", "api_base"} == {
        "greeting", "away_message", "timezone", "business_hours"}
    assert adapter.secret_keys == {"identity_secret"}
    assert (adapter.identity_kinds, adapter.reply_window_hours) == (("webchat",), None)
    assert adapter.uses_sandbox(ChannelConfig(id=1, kind="webchat", config={})) is False


def test_config_normalizes_origins_and_refuses_bad_ones():
    adapter = WebChat()
    clean = adapter.validate_config({"allowed_origins": ["https://Shop.example:443/", "http://localhost:3000"]})
    assert clean["allowed_origins"] == ["http://localhost:3000", "https://shop.example"]
    for bad in (["shop.example"], ["https://shop.example/path"], ["javascript:alert(1)"], "https://a b", [1]):
        with pytest.raises(ValueError):
            adapter.validate_config({"allowed_origins": bad})
    with pytest.raises(ValueError, match="16 characters"):
        adapter.validate_config({"identity_secret": "short"})
    assert adapter.public_config({"identity_secret": "x" * 20}) == {"identity_secret": "***"}


def test_origins_are_checked_against_the_list_or_hubs_own_origin():
    adapter = WebChat()
    assert adapter.origin_allowed(CHANNEL, "https://shop.example")
    assert not adapter.origin_allowed(CHANNEL, "https://hub.example")
    assert not adapter.origin_allowed(CHANNEL, "null")
    bare = ChannelConfig(id=5, kind="webchat", config={}, public_url="https://hub.example/")
    assert adapter.origin_allowed(bare, "https://hub.example") and not adapter.origin_allowed(bare, None)


def test_there_are_no_provider_webhooks():
    request = WebhookRequest(method="POST", url="https://hub.example/webhooks/webchat/5", headers={}, body=frame())
    with pytest.raises(VerifyError):
        WebChat().verify(CHANNEL, request, "")
    assert WebChat().event_id(CHANNEL, request, "") == "c-0001"


def test_a_stored_message_frame_parses_to_a_text_message():
    [message] = WebChat().parse(CHANNEL, frame(name="陳大文", locale="zh-HK"), "").messages
    assert message.identities == (IdentityRef("webchat", "5:s:abcdefgh"),)
    assert (message.provider_message_id, message.kind, message.text) == ("c-0001", "text", "你好")
    assert (message.profile_name, message.locale, message.sent_at, message.payload) == ("陳大文", "zh-HK", NOW, {})


def test_a_button_frame_parses_to_a_button_reply():
    [message] = WebChat().parse(CHANNEL, frame(frame_type="button", button_id="hold-yes", text="好"), "").messages
    assert message.kind == "button_reply"
    assert message.payload == {"id": "hold-yes", "title": "好", "payload": "hold-yes"}


def test_only_a_user_identity_can_be_marked_verified():
    [user] = WebChat().parse(CHANNEL, frame(session="5:u:42", verified=True), "").messages
    assert user.payload == {"identity_verified": True}
    [anonymous] = WebChat().parse(CHANNEL, frame(verified=True), "").messages
    assert anonymous.payload == {}


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b"{}",
    frame(session="6:s:abcdefgh"),  # another channel's session
    frame(text="   "),
    frame(frame_type="button", button_id=None),
    json.dumps({**json.loads(frame()), "sent_at": "yesterday"}).encode(),
])
def test_malformed_frames_raise_parse_error(body):
    with pytest.raises(ParseError):
        WebChat().parse(CHANNEL, body, "")


def test_the_shop_signature_is_hmac_sha256_hex_of_the_user_id():
    # The example in hub/webchat/PROTOCOL.md.
    assert signature("shop-identity-secret-0123456789", "42") == (
        "ada9d99b1482d9ae2be2b3492d86765267924579556d90e18352e2841e4c8bf9")
    good = signature("s" * 32, "user@shop.example")
    assert proves("s" * 32, "user@shop.example", good.upper())
    assert not proves("s" * 32, "user@shop.example", signature("s" * 32, "user@shop.example2"))
    assert not proves(None, "user@shop.example", good)
    assert not proves("s" * 32, "has space", signature("s" * 32, "has space"))
    assert anonymous_identity(5).startswith("5:s:") and anonymous_identity(5) != anonymous_identity(5)


async def test_send_hands_a_card_to_the_transport():
    sent: list[tuple[int, str, dict[str, Any]]] = []

    async def publisher(channel_id: int, identity: str, payload: dict[str, Any]) -> None:
        sent.append((channel_id, identity, payload))

    previous = transport.publisher()
    transport.set_publisher(publisher)
    try:
        result = await WebChat().send(CHANNEL, OutboundMessage(to=IdentityRef("webchat", "5:s:abc"), text="hi"))
        other = await WebChat().send(CHANNEL, OutboundMessage(to=IdentityRef("webchat", "6:s:abc"), text="hi"))
        transport.set_publisher(None)
        unset = await WebChat().send(CHANNEL, OutboundMessage(to=IdentityRef("webchat", "5:s:abc"), text="hi"))
    finally:
        transport.set_publisher(previous)
    assert result.ok and result.provider_message_id and result.provider_message_id.startswith("wc_")
    assert sent == [(5, "5:s:abc", {"provider_message_id": result.provider_message_id,
                                    "card": {"kind": "text", "text": "hi"}})]
    assert (other.ok, other.permanent) == (False, True)
    assert (unset.ok, unset.error_code, unset.permanent) == (False, "no_transport", False)


def test_greeting_and_hours_are_checked_when_saved():
    adapter = ADAPTERS["webchat"]
    clean = adapter.validate_config({"greeting": "Hi!", "away_message": {"ja-JP": "営業時間外です"},
                                     "timezone": "Asia/Tokyo", "business_hours": {"mon": [["09:00", "18:00"]]}})
    assert clean["greeting"] == {"en": "Hi!"} and clean["away_message"] == {"ja_JP": "営業時間外です"}
    for bad in ({"greeting": {"en": ""}}, {"greeting": ["Hi"]}, {"timezone": "Mars/Base"},
                {"business_hours": {"monday": [["09:00", "18:00"]]}}, {"business_hours": {"mon": [["9", "18:00"]]}}):
        with pytest.raises(ValueError):
            adapter.validate_config(bad)
