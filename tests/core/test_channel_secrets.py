"""Provider secrets in channel.config: sealed in the database, plain to Hub, re-sealed on key rotation."""

from __future__ import annotations

import json
import logging

from sqlalchemy import text

from hub import cli
from hub.channel_records.models import Channel
from hub.runtime.db import get_engine, reset_engines, session_scope
from hub.runtime.settings import get_settings
from tests.factories import make_channel

TOKEN = "EAAG-very-secret-access-token"
META = {"phone_number_id": "106540352242922", "access_token": TOKEN, "app_secret": "s3cr3t-app",
        "verify_token": "vt-123-verify"}


def stored_config(channel_id: int) -> str:
    with get_engine().connect() as conn:
        raw = conn.execute(text("SELECT config FROM channel WHERE id = :id"), {"id": channel_id}).scalar_one()
    return raw if isinstance(raw, str) else json.dumps(raw)


def read_config(channel_id: int) -> dict[str, object]:
    with session_scope() as session:
        channel = session.get(Channel, channel_id)
        assert channel is not None
        return dict(channel.config)


def use_keys(monkeypatch, current: str, old: str = "") -> None:
    monkeypatch.setenv("HUB_SECRET_KEY", current)
    monkeypatch.setenv("HUB_SECRET_KEY_OLD", old)
    get_settings.cache_clear()
    reset_engines()


def test_secrets_are_sealed_in_the_database_and_plain_to_hub(backend):
    channel = make_channel("whatsapp_meta", config=META)
    raw = stored_config(channel.id)
    assert TOKEN not in raw and "s3cr3t-app" not in raw and "vt-123-verify" not in raw
    assert "106540352242922" in raw  # not a secret: stays readable for routing
    assert read_config(channel.id)["access_token"] == TOKEN


def test_rotation_keeps_channels_working_and_drops_the_old_key(backend, monkeypatch, caplog):
    old_key, new_key = "old-key-0123456789-0123456789-0123456789", "new-key-9876543210-9876543210-9876543210"
    use_keys(monkeypatch, old_key)
    channel = make_channel("whatsapp_meta", config=META)
    use_keys(monkeypatch, new_key, old=old_key)
    assert read_config(channel.id)["access_token"] == TOKEN  # the old key still opens it
    assert cli.main(["rotate-secrets"]) == 0
    use_keys(monkeypatch, new_key)
    assert read_config(channel.id)["access_token"] == TOKEN  # sealed again with the new key alone
    use_keys(monkeypatch, old_key)
    with caplog.at_level(logging.WARNING):
        assert read_config(channel.id)["access_token"] is None  # the old key alone no longer opens it
    assert TOKEN not in caplog.text and "access_token" in caplog.text


def test_channels_stored_before_sealing_are_read_then_sealed_by_rotate(backend):
    with get_engine().begin() as conn:  # a row written by an earlier Hub, secrets in plain JSON
        conn.execute(text("INSERT INTO channel (kind, name, config, is_active, created_at) "
                          "VALUES ('whatsapp_meta', 'old', :config, true, CURRENT_TIMESTAMP)"),
                     {"config": json.dumps(META)})
        channel_id = conn.execute(text("SELECT max(id) FROM channel")).scalar_one()
    assert read_config(channel_id)["access_token"] == TOKEN
    assert cli.main(["rotate-secrets"]) == 0
    assert TOKEN not in stored_config(channel_id)
    assert read_config(channel_id)["app_secret"] == "s3cr3t-app"
