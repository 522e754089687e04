"""The provider sandbox is off unless `hub run` (HUB_SANDBOX) turns it on, and never speaks for a real channel."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from channels.sandbox_secrets import sandbox_secret
from channels.types import ChannelConfig
from hub.channel_records.service import forget_cache
from hub.composition import create_app
from hub.runtime.db import session_scope
from hub.runtime.settings import Settings, SettingsError, get_settings
from hub.webhooks.models import WebhookEvent
from tests.factories import make_channel

REAL_META = {"phone_number_id": "106540352242922", "access_token": "EAAG-real", "app_secret": "real-app-secret",
             "verify_token": "vt"}
REAL_TWILIO = {"account_sid": "AC" + "1" * 32, "auth_token": "real-auth-token", "from_number": "+12025550143"}


def events_stored() -> int:
    with session_scope() as session:
        return len(session.exec(select(WebhookEvent)).all())


def sandbox_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_SANDBOX", raising=False)
    get_settings.cache_clear()
    forget_cache()


def test_the_sandbox_is_off_by_default(monkeypatch):
    monkeypatch.delenv("HUB_SANDBOX", raising=False)
    monkeypatch.delenv("HUB_ENV", raising=False)
    assert Settings(_env_file=None).sandbox_allowed is False  # type: ignore[call-arg]


@pytest.mark.parametrize("config", [REAL_META, {}], ids=["real channel", "sandbox channel"])
def test_with_the_default_settings_nobody_can_post_as_a_customer(backend, monkeypatch, config):
    channel_id = make_channel("whatsapp_meta", config=config).id
    sandbox_off(monkeypatch)
    with TestClient(create_app()) as client:
        answer = client.post(f"/sandbox/phone/{channel_id}/send", json={"text": "forged", "from": "+85291234567"})
        assert answer.status_code == 404
        assert client.get(f"/sandbox/phone/{channel_id}").status_code == 404
    assert events_stored() == 0


def test_a_sandbox_channels_derivable_secret_is_refused_when_the_sandbox_is_off(backend, monkeypatch):
    channel = make_channel("telegram", config={})
    sandbox_off(monkeypatch)
    secret = sandbox_secret(ChannelConfig(id=channel.id or 0, kind="telegram", config={}))
    with TestClient(create_app()) as client:
        answer = client.post(f"/webhooks/telegram/{channel.id}", content=b'{"update_id": 1}',
                             headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"})
    assert answer.status_code == 404
    assert events_stored() == 0


@pytest.mark.parametrize(("kind", "config"), [("whatsapp_meta", REAL_META), ("sms_twilio", REAL_TWILIO)])
def test_the_sandbox_never_signs_for_a_channel_with_real_credentials(backend, kind, config):
    channel_id = make_channel(kind, config=config).id
    with TestClient(create_app()) as client:
        answer = client.post(f"/sandbox/phone/{channel_id}/send", json={"text": "forged", "from": "+85291234567"})
        assert answer.status_code == 404
        assert client.get(f"/sandbox/phone/{channel_id}").status_code == 404
    assert events_stored() == 0


def test_a_sandbox_channel_is_served_when_hub_run_turns_the_sandbox_on(backend):
    channel_id = make_channel("whatsapp_meta", config={}).id
    with TestClient(create_app()) as client:
        assert client.get(f"/sandbox/phone/{channel_id}").status_code == 200


@pytest.mark.parametrize("name", ["HUB_SANDBOX", "HUB_ALLOW_PRIVATE_URLS"])
def test_production_refuses_the_sandbox_and_private_urls(monkeypatch, name):
    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.setenv("HUB_SECRET_KEY", "x" * 48)
    monkeypatch.setenv(name, "true")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match=name):
        get_settings()
    get_settings.cache_clear()
