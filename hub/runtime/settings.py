"""Hub's settings, read from the environment and `.env` (names as in CONTRACT.md)."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.runtime import queues

VAR_DIR = Path("var")
SECRET_FILE = "secret_key"
MIN_SECRET_LENGTH = 32


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///./var/hub.runtime.db", validation_alias="HUB_DATABASE_URL")
    database_read_url: str | None = Field(None, validation_alias="HUB_DATABASE_READ_URL")
    """A read-only copy (a streaming replica) for reports: they read it instead of the primary."""
    database_pooled: bool = Field(False, validation_alias="HUB_DATABASE_POOLED")
    """The URL is a transaction-mode pooler's (PgBouncer before 1.21): no server-side prepared statements."""
    redis_url: str | None = Field(None, validation_alias="HUB_REDIS_URL")
    public_url: str = Field("http://127.0.0.1:8000", validation_alias="HUB_PUBLIC_URL")
    env: Literal["development", "test", "production"] = Field("development", validation_alias="HUB_ENV")
    secret_key: str | None = Field(None, validation_alias="HUB_SECRET_KEY")
    secret_key_old: str = Field("", validation_alias="HUB_SECRET_KEY_OLD")
    var_dir: Path = Field(VAR_DIR, validation_alias="HUB_VAR_DIR")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", validation_alias="HUB_LOG_LEVEL")
    redis_sentinels: str = Field("", validation_alias="HUB_REDIS_SENTINELS")
    """Comma-separated `host:port` of Redis Sentinels: Hub asks them for the master of HUB_REDIS_SENTINEL_MASTER
    (and follows a failover); HUB_REDIS_URL then gives only the database number and the password."""
    redis_master: str = Field("hub", validation_alias=AliasChoices("HUB_REDIS_SENTINEL_MASTER", "HUB_REDIS_MASTER"),
                              min_length=1)
    """The Sentinels' name for the master (HUB_REDIS_MASTER, its earlier name, is still read)."""
    redis_prefix: str = Field("hub", validation_alias="HUB_REDIS_PREFIX")
    media_max_bytes: int = Field(16 * 1024 * 1024, validation_alias="HUB_MEDIA_MAX_BYTES", gt=0)
    webhook_retention_days: int = Field(30, validation_alias="HUB_WEBHOOK_RETENTION_DAYS", ge=0)
    partitions_ahead_months: int = Field(3, validation_alias="HUB_PARTITIONS_AHEAD_MONTHS", ge=1, le=24)
    """PostgreSQL: months of partitions created ahead of today for webhook_event and report_event."""
    report_events_retention_months: int = Field(25, validation_alias="HUB_REPORT_EVENTS_RETENTION_MONTHS", ge=0)
    """Whole months of report facts kept before the current one (0 = forever); the daily rollups stay."""
    media_retention_days: int = Field(30, validation_alias="HUB_MEDIA_RETENTION_DAYS", ge=0)
    optout_all_channels: bool = Field(False, validation_alias="HUB_OPTOUT_ALL_CHANNELS")
    shop_name: str = Field("Hub demo shop", validation_alias="HUB_SHOP_NAME", min_length=1, max_length=80)
    default_locale: Literal["en", "zh_Hant", "ja"] = Field("en", validation_alias="HUB_DEFAULT_LOCALE")
    default_currency: str = Field("HKD", validation_alias="HUB_DEFAULT_CURRENCY", pattern=r"^[A-Z]{3}$")
    db_timeout: float = Field(4.0, validation_alias="HUB_DB_TIMEOUT", gt=0, le=5)
    keyword_replies_per_day: int = Field(3, validation_alias="HUB_KEYWORD_REPLIES_PER_DAY", ge=0)
    stop_confirmations_per_day: int = Field(1, validation_alias="HUB_STOP_CONFIRMATIONS_PER_DAY", ge=0)
    checkouts_per_hour: int = Field(5, validation_alias="HUB_CHECKOUTS_PER_HOUR", ge=0)
    stripe_secret_key: str | None = Field(None, validation_alias=AliasChoices("STRIPE_SECRET_KEY"))
    stripe_webhook_secret: str | None = Field(None, validation_alias=AliasChoices("STRIPE_WEBHOOK_SECRET"))
    stripe_api_base: str = Field("https://api.stripe.com", validation_alias=AliasChoices("STRIPE_API_BASE"))
    sandbox: bool = Field(False, validation_alias="HUB_SANDBOX")
    allow_private_urls: bool = Field(False, validation_alias="HUB_ALLOW_PRIVATE_URLS")
    trusted_proxies: str = Field("", validation_alias="HUB_TRUSTED_PROXIES")
    """Comma-separated addresses or CIDRs whose X-Forwarded-For / X-Forwarded-Proto are believed."""
    metrics_token: str | None = Field(None, validation_alias="HUB_METRICS_TOKEN", min_length=16)
    public_metrics: bool = Field(False, validation_alias="HUB_PUBLIC_METRICS")
    public_docs: bool = Field(False, validation_alias="HUB_PUBLIC_DOCS")
    worker_queues: str = Field("all", validation_alias="HUB_WORKER_QUEUES")
    """The queues `hub worker` serves when not given `--queues`: comma-separated classes (see hub.runtime.queues)."""
    worker_grace_seconds: float = Field(25.0, validation_alias="HUB_WORKER_GRACE_SECONDS", gt=0, le=3600)
    """After SIGTERM a worker finishes its job for this long, then gives it back and exits: keep it below the
    pod's terminationGracePeriodSeconds (Kubernetes' default is 30)."""

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("database_read_url")
    @classmethod
    def _known_read_database(cls, value: str | None) -> str | None:
        return cls._known_database(value) if value else None

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinel_list(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            host, _, port = item.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{item!r} is not host:port")
        return value

    @field_validator("worker_queues")
    @classmethod
    def _known_queues(cls, value: str) -> str:
        queues.parse(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// or rediss:// URL")
        return value

    @field_validator("public_url", "stripe_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not an address or a CIDR range") from None
        return value

    @model_validator(mode="after")
    def _production_has_real_secrets(self) -> Settings:
        if self.env != "production":
            return self
        if self.sandbox:
            raise ValueError("HUB_SANDBOX cannot be on in production: sandbox secrets derive from channel ids")
        if self.allow_private_urls:
            raise ValueError("HUB_ALLOW_PRIVATE_URLS cannot be on in production: it lets fetches reach internal hosts")
        if not self.secret_key or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(f"HUB_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} characters in production")
        if self.secret_key.startswith(("change", "dev", "secret")):
            raise ValueError("HUB_SECRET_KEY is a default value; set a random one in production")
        if not self.public_url.startswith("https://"):
            raise ValueError("HUB_PUBLIC_URL must be https:// in production (cookies and provider callbacks)")
        if self.stripe_secret_key and not self.stripe_webhook_secret:
            raise ValueError("STRIPE_WEBHOOK_SECRET must be set in production when STRIPE_SECRET_KEY is")
        return self

    @property
    def old_secret_keys(self) -> list[str]:
        """Earlier values of HUB_SECRET_KEY (comma-separated): they still open sealed channel secrets."""
        return [key.strip() for key in self.secret_key_old.split(",") if key.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sandbox_allowed(self) -> bool:
        """The provider sandbox and sandbox channels: only when `HUB_SANDBOX` is on (`hub run` turns it on).

        A sandbox channel's secret derives from its id, so anyone could sign its webhooks: off by default.
        """
        return self.sandbox and self.env != "production"

    def resolved_secret_key(self) -> str:
        """The secret key, generated into `var/` on first run outside production."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / SECRET_FILE
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def describe(error: ValidationError) -> str:
    """One line naming the first bad setting and what is wrong with it."""
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "settings"
    return f"bad setting {name}: {first['msg'].removeprefix('Value error, ')}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe(error)) from None
