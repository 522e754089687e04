"""SSRF at the adapters: without `allow_private_urls` no send or fetch reaches a loopback, private or metadata
address, and the credentials never leave; Telegram's getFile cannot make Hub read a file from its own disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from channels import netguard
from channels.meta import MetaWhatsApp
from channels.telegram import Telegram
from channels.twilio import TwilioSMS
from channels.types import ChannelConfig, IdentityRef, OutboundMessage

PHONE = IdentityRef("phone", "+85291234567")
TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def configs(url: str, allow: bool) -> dict[str, ChannelConfig]:
    return {
        "meta": ChannelConfig(id=1, kind="whatsapp_meta", allow_private_urls=allow, config={
            "phone_number_id": "1", "access_token": "EAAG-secret", "app_secret": "s", "verify_token": "v",
            "api_base": url}),
        "twilio": ChannelConfig(id=2, kind="sms_twilio", allow_private_urls=allow, config={
            "account_sid": "AC" + "1" * 32, "auth_token": "secret", "from_number": "+15550001111", "api_base": url}),
        "telegram": ChannelConfig(id=3, kind="telegram", allow_private_urls=allow, config={
            "bot_token": TOKEN, "secret_token": "s", "api_base": url}),
    }


ADAPTERS = {"meta": MetaWhatsApp(), "twilio": TwilioSMS(), "telegram": Telegram()}


@pytest.mark.parametrize("provider", ["meta", "twilio", "telegram"])
async def test_a_send_to_an_api_base_on_loopback_is_refused_before_any_request(provider_server: Any, provider):
    message = OutboundMessage(to=IdentityRef("telegram", "7012345678") if provider == "telegram" else PHONE, text="hi")
    result = await ADAPTERS[provider].send(configs(provider_server.url, allow=False)[provider], message)
    assert not result.ok and result.permanent and result.error_code == "blocked"
    assert "refused" in (result.error_reason or "")
    assert provider_server.requests == []


@pytest.mark.parametrize("provider", ["meta", "telegram"])
async def test_a_media_fetch_from_an_api_base_on_loopback_is_refused(provider_server: Any, provider):
    payload = {"media_id": "123"} if provider == "meta" else {"file_id": "AgAD"}
    fetched = await ADAPTERS[provider].fetch_media(configs(provider_server.url, allow=False)[provider], payload, 0,
                                                   1024 * 1024)
    assert not fetched.ok and fetched.permanent and "refused" in (fetched.error or "")
    assert provider_server.requests == []


async def test_graph_media_urls_pointing_inside_are_refused_and_get_no_token(provider_server: Any, monkeypatch):
    original = netguard.is_public_address
    monkeypatch.setattr(netguard, "is_public_address", lambda address: address == "127.0.0.1" or original(address))
    provider_server.answer(200, {"url": "http://169.254.169.254/latest/meta-data/", "mime_type": "image/jpeg"})
    fetched = await ADAPTERS["meta"].fetch_media(configs(provider_server.url, allow=False)["meta"],
                                                 {"media_id": "123"}, 0, 1024 * 1024)
    assert not fetched.ok and "169.254.169.254" in (fetched.error or "")
    assert [request.path for request in provider_server.requests] == ["/v21.0/123"]


async def test_telegram_get_file_naming_a_local_file_is_not_read(provider_server: Any, tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    provider_server.answer(200, {"ok": True, "result": {"file_id": "AgAD", "file_unique_id": "u", "file_size": 14,
                                                        "file_path": str(secret)}})
    fetched = await ADAPTERS["telegram"].fetch_media(configs(provider_server.url, allow=True)["telegram"],
                                                     {"file_id": "AgAD"}, 0, 1024 * 1024)
    assert not fetched.ok and b"do not read me" not in fetched.content
    assert "outside the bot's file URL" in (fetched.error or "")


def test_what_counts_as_public() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.100.100.200",
                    "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "224.0.0.1"):
        assert not netguard.is_public_address(address), address
    for address in ("8.8.8.8", "157.240.1.1", "2a03:2880:f003:c07:face:b00c::2"):
        assert netguard.is_public_address(address), address
