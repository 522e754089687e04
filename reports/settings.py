"""The shop-wide settings reports read: its time zone, opening hours, holiday calendars and targets."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.assignment import hours

DEFAULT_HOURS: dict[str, list[list[str]]] = {day: [["09:00", "18:00"]] for day in hours.DAYS[:5]}


class ReportSettings(BaseSettings):
    """`HUB_SHOP_HOURS` is JSON in the teams' form (`{"mon": [["09:00", "18:00"]], ...}`); a team with its own
    hours (Settings → Teams) uses those. `HUB_SHOP_HOLIDAYS`: country codes of the public holiday calendars the
    shop closes on (HK, TW, JP; comma-separated; empty for none). `HUB_DEMO_HISTORY_DAYS`: how far back the demo
    shop's made-up history goes (`reports.demo_history`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    timezone: str = Field("Asia/Hong_Kong", validation_alias="HUB_SHOP_TIMEZONE")
    weekly_hours: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_HOURS),
                                         validation_alias="HUB_SHOP_HOURS")
    holidays: str = Field("HK", validation_alias="HUB_SHOP_HOLIDAYS")
    active_target: float = Field(0.30, validation_alias="HUB_LIFECYCLE_ACTIVE_TARGET", ge=0, le=1)
    demo_history_days: int = Field(150, validation_alias="HUB_DEMO_HISTORY_DAYS", ge=28, le=366)
    """The demo's history: its days, and its customers, campaigns and journey runs in proportion (150: about 800
    customers). At least four weeks, so it always spans a month's end and weekends."""
    record_live: bool = Field(True, validation_alias="HUB_REPORTS_RECORD")
    """False: listeners record nothing (a bulk import, or measuring what recording costs); `hub reports
    backfill` catches up later."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        hours.zone(value)
        return value

    @field_validator("weekly_hours", mode="before")
    @classmethod
    def _weekly(cls, value: Any) -> Any:
        weekly = json.loads(value) if isinstance(value, str) else value
        hours.validate("UTC", weekly)
        return weekly

    @property
    def holiday_countries(self) -> tuple[str, ...]:
        return tuple(code.strip().upper() for code in self.holidays.split(",") if code.strip())


@lru_cache(maxsize=1)
def get_report_settings() -> ReportSettings:
    return ReportSettings()
