import subprocess
import sys

import pytest
from pydantic import ValidationError

from hub.runtime.settings import Settings, SettingsError, get_settings


def run_hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_a_bad_value_stops_the_command_with_one_line_naming_the_setting(monkeypatch, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HUB_ENV": "staging", "HUB_VAR_DIR": str(tmp_path)}
    result = run_hub(env, "migrate")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "HUB_ENV" in lines[0] and "production" in lines[0]


def test_a_bad_database_url_names_the_setting(monkeypatch):
    monkeypatch.setenv("HUB_DATABASE_URL", "mysql://nope")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="HUB_DATABASE_URL"):
        get_settings()
    get_settings.cache_clear()


def test_production_refuses_a_missing_or_default_secret(monkeypatch):
    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="HUB_SECRET_KEY"):
        get_settings()
    monkeypatch.setenv("HUB_SECRET_KEY", "changeme-changeme-changeme-changeme-1234")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="default"):
        get_settings()
    get_settings.cache_clear()


def test_production_refuses_plain_http_and_stripe_without_its_webhook_secret():
    real = {"HUB_ENV": "production", "HUB_SECRET_KEY": "k" * 48, "HUB_PUBLIC_URL": "https://hub.shop.example"}
    assert Settings(**real).public_url == "https://hub.shop.example"
    with pytest.raises(ValidationError, match="https"):
        Settings(**{**real, "HUB_PUBLIC_URL": "http://hub.shop.example"})
    with pytest.raises(ValidationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings(**real, STRIPE_SECRET_KEY="sk_live_x")
    assert Settings(**real, STRIPE_SECRET_KEY="sk_live_x", STRIPE_WEBHOOK_SECRET="whsec_x").stripe_webhook_secret
    assert Settings(HUB_ENV="development", HUB_PUBLIC_URL="http://127.0.0.1:8000")  # fine outside production


def test_trusted_proxies_are_addresses_or_cidrs():
    assert Settings(HUB_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.7,::1").trusted_proxies
    with pytest.raises(ValidationError, match="not an address"):
        Settings(HUB_TRUSTED_PROXIES="10.0.0.0/8, proxy.internal")


def test_the_secret_key_is_generated_once_outside_production(tmp_path):
    settings = Settings(HUB_VAR_DIR=tmp_path, HUB_ENV="development")
    first = settings.resolved_secret_key()
    assert len(first) >= 32
    assert Settings(HUB_VAR_DIR=tmp_path).resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_get_the_psycopg_driver():
    assert Settings(HUB_DATABASE_URL="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"


def test_the_sentinels_master_is_named_as_the_contract_says_and_by_its_earlier_name(monkeypatch):
    assert Settings().redis_master == "hub"
    assert Settings(HUB_REDIS_SENTINEL_MASTER="shop-redis").redis_master == "shop-redis"
    monkeypatch.setenv("HUB_REDIS_MASTER", "older-name")
    assert Settings().redis_master == "older-name"
    monkeypatch.setenv("HUB_REDIS_SENTINEL_MASTER", "shop-redis")
    assert Settings().redis_master == "shop-redis"  # the contract's name wins
