"""`/widget.js`: served as JavaScript with cache headers, and written for a strict CSP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.webchat.routes import WIDGET


def test_the_widget_is_served_as_javascript_with_cache_headers():
    client = TestClient(create_app())  # no lifespan: the script needs neither database nor Redis
    answer = client.get("/widget.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/javascript")
    assert "max-age" in answer.headers["cache-control"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.content == WIDGET.read_bytes()
    again = client.get("/widget.js", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_widget_builds_its_dom_without_html_strings_or_inline_styles():
    source = WIDGET.read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                      'setAttribute("style"', "<style", "cssText"):
        assert forbidden not in source, forbidden
    for needed in ("textContent", "isComposing", 'rel = "noopener noreferrer"', "localStorage", "last_id",
                   "max-width: 480px", '"receipt"', "data-user-signature"):
        assert needed in source, needed


def test_the_demo_shop_page_carries_the_widget_for_its_channel(client):
    from tests.factories import make_channel

    channel = make_channel("webchat")
    page = client.get(f"/webchat/{channel.id}/demo")
    assert page.status_code == 200
    assert f'<script src="/widget.js" data-channel="{channel.id}" async></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get(f"/webchat/{make_channel('telegram').id}/demo").status_code == 404
