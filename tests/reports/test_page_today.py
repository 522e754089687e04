"""The report pages' default range ends on the shop's today, whatever the browser's clock says: the reports count
days in the shop's time zone, so a range ending on the browser's (UTC) date missed the shop's today for part of
every day."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.runtime.settings import get_settings
from reports.settings import get_report_settings
from tests.factories import PASSWORD, make_user


# 14 hours ahead of UTC and 12 behind: at any hour one of them is on another date than UTC
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_page_gives_the_browser_the_shops_today(backend, monkeypatch, zone):
    monkeypatch.setenv("HUB_SHOP_TIMEZONE", zone)
    get_report_settings.cache_clear()
    make_user("owner@shop.test", role="admin")
    origin = get_settings().public_url
    try:
        with TestClient(create_app(), base_url=origin, follow_redirects=False) as browser:
            signed = browser.post("/login", data={"email": "owner@shop.test", "password": PASSWORD},
                                  headers={"Origin": origin})
            assert signed.status_code == 303, signed.text
            page = browser.get("/reports")
            assert page.status_code == 200
            boot = json.loads(re.search(r'id="hub-boot">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
            assert boot["today"] == datetime.now(ZoneInfo(zone)).date().isoformat()
    finally:
        get_report_settings.cache_clear()
