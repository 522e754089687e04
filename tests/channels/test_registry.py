"""The registry: one adapter per contract kind, each matching the contract's config keys."""

from __future__ import annotations

from channels import ADAPTERS, adapter_for
from channels.meta import MetaWhatsApp
from channels.sandbox_secrets import sandbox_account_sid, sandbox_api_base, sandbox_secret
from channels.telegram import Telegram
from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.types import ChannelConfig


def test_every_contract_kind_has_its_adapter() -> None:
    assert set(ADAPTERS) == {"whatsapp_meta", "whatsapp_twilio", "sms_twilio", "telegram", "webchat"}
    assert isinstance(adapter_for("whatsapp_meta"), MetaWhatsApp)
    assert isinstance(adapter_for("sms_twilio"), TwilioSMS)
    assert isinstance(adapter_for("whatsapp_twilio"), TwilioWhatsApp)
    assert isinstance(adapter_for("telegram"), Telegram)
    assert all(kind == adapter.kind for kind, adapter in ADAPTERS.items())


def test_contract_config_keys_and_webhook_paths() -> None:
    assert adapter_for("whatsapp_meta").config_keys == {
        "phone_number_id",
        "access_token",
        "app_secret",
        "verify_token",
        "api_version",
        "api_base",
    }
    assert adapter_for("whatsapp_twilio").config_keys == {
        "account_sid",
        "auth_token",
        "from_number",
        "api_base",
    }
    assert adapter_for("sms_twilio").config_keys == {
        "account_sid",
        "auth_token",
        "from_number",
        "messaging_service_sid",
        "api_base",
    }
    # the contract's three, plus the optional token for Telegram Payments (issue #6)
    assert adapter_for("telegram").config_keys == {"bot_token", "secret_token", "api_base", "payment_provider_token"}
    assert adapter_for("webchat").config_keys == {"allowed_origins", "identity_secret", "api_base",  # the contract's
                                                  "greeting", "away_message", "timezone", "business_hours"}
    assert {kind: (a.provider, a.endpoints) for kind, a in ADAPTERS.items()} == {
        "whatsapp_meta": ("meta", {""}),
        "whatsapp_twilio": ("twilio", {"inbound", "status"}),
        "sms_twilio": ("twilio", {"inbound", "status"}),
        "telegram": ("telegram", {""}),
        "webchat": ("webchat", set()),  # Hub serves web chat itself: a WebSocket, no provider webhooks
    }


def test_addressing_and_reply_windows() -> None:
    assert adapter_for("whatsapp_meta").identity_kinds == ("phone", "whatsapp_user")
    assert adapter_for("whatsapp_meta").reply_window_hours == 24
    assert adapter_for("whatsapp_twilio").reply_window_hours == 24
    assert adapter_for("sms_twilio").identity_kinds == ("phone",)
    assert adapter_for("sms_twilio").reply_window_hours is None
    assert adapter_for("telegram").identity_kinds == ("telegram",)


def test_sandbox_constants() -> None:
    channel = ChannelConfig(id=42, kind="telegram", config={}, public_url="http://127.0.0.1:8000/")
    assert sandbox_secret(channel) == "sandbox:42"
    assert sandbox_account_sid(channel) == "ACsandbox42"
    assert sandbox_api_base(channel, "telegram") == "http://127.0.0.1:8000/sandbox/telegram"
    assert all(adapter.uses_sandbox(channel) for kind, adapter in ADAPTERS.items() if kind != "webchat")
    assert not adapter_for("webchat").uses_sandbox(channel)
