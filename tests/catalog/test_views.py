"""The catalog API: admins write products, staff read them; orders only for those who see the customer."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app
from tests.catalog.factories import make_customer, make_product, order_from_cart
from tests.factories import make_channel, make_team, make_user, token_for

SHOPIFY = Path(__file__).parent.parent / "fixtures" / "catalog" / "shopify_products.csv"




@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def shop(client):
    """Team A has the WhatsApp channel and a customer with an order; team B has another channel."""
    team_a, team_b = make_team("A"), make_team("B")
    whatsapp = make_channel("whatsapp_meta", "WA", team_ids=[team_a])
    make_channel("sms_twilio", "SMS", team_ids=[team_b])
    make_user("a@shop.test", team_ids=[team_a])
    make_user("b@shop.test", team_ids=[team_b])
    make_user("boss@shop.test", role="admin")
    ids = make_product()
    customer = make_customer(channel_id=whatsapp.id)
    order_id = order_from_cart(customer, {ids["SHIRT-M"]: 2})
    return {"customer": customer, "order": order_id, "a": token_for(client, "a@shop.test"),
            "b": token_for(client, "b@shop.test"), "admin": token_for(client, "boss@shop.test")}


def test_an_agent_of_another_team_gets_404_on_the_order(client, shop):
    order, contact = shop["order"], shop["customer"].contact_id
    for path in (f"/api/v1/orders/{order}", f"/api/v1/contacts/{contact}/orders"):
        assert client.get(path, headers=shop["b"]).status_code == 404, path
        assert client.get(path, headers=shop["a"]).status_code == 200, path
        assert client.get(path, headers=shop["admin"]).status_code == 200, path
    assert client.get(f"/api/v1/orders/{order}").status_code == 401


def test_an_order_shows_lines_totals_and_its_timeline(client, shop):
    answer = client.get(f"/api/v1/orders/{shop['order']}", headers=shop["a"]).json()
    assert (answer["status"], answer["currency"], answer["total_minor"], answer["total_display"]) == (
        "pending", "HKD", 25700, "HK$257.00")
    assert [(line["sku"], line["quantity"], line["unit_minor"]) for line in answer["lines"]] == [("SHIRT-M", 2, 12850)]
    assert [event["kind"] for event in answer["timeline"]] == ["created"]
    listed = client.get(f"/api/v1/contacts/{shop['customer'].contact_id}/orders", headers=shop["a"]).json()
    assert [o["id"] for o in listed] == [shop["order"]]


def test_only_admins_write_products_and_everyone_reads_them(client, shop):
    body = {"handle": "yukata", "title": {"ja": "浴衣", "en": "Yukata"},
            "variants": [{"sku": "YUKATA-L", "options": {"size": "L"}, "stock_on_hand": 4,
                          "prices": {"JPY": 12800, "hkd": 68000}}]}
    assert client.post("/api/v1/products", json=body, headers=shop["a"]).status_code == 403
    made = client.post("/api/v1/products", json=body, headers=shop["admin"])
    assert made.status_code == 201, made.text
    product = made.json()
    prices = {p["currency"]: (p["amount_minor"], p["amount"]) for p in product["variants"][0]["prices"]}
    assert prices == {"HKD": (68000, "680.00"), "JPY": (12800, "12800")}
    found = client.get("/api/v1/products", params={"q": "浴衣"}, headers=shop["a"]).json()
    assert [p["handle"] for p in found] == ["yukata"]
    patch = {"active": False, "variants": [{"sku": "YUKATA-L", "prices": {"JPY": 9800}}]}
    assert client.patch(f"/api/v1/products/{product['id']}", json=patch, headers=shop["b"]).status_code == 403
    changed = client.patch(f"/api/v1/products/{product['id']}", json=patch, headers=shop["admin"]).json()
    assert changed["active"] is False
    assert {p["currency"]: p["amount_minor"] for p in changed["variants"][0]["prices"]}["JPY"] == 9800
    assert changed["variants"][0]["options"] == {"size": "L"}  # options not mentioned are kept
    assert client.get("/api/v1/products/999", headers=shop["a"]).status_code == 404


@pytest.mark.parametrize(("body", "reason"), [
    ({"handle": "Bad Handle", "title": {"en": "x"}}, "not a handle"),
    ({"handle": "ok", "title": {}}, "title in at least one language"),
    ({"handle": "ok", "title": {"en": "x"}, "variants": [{"sku": "X", "prices": {"XYZ": 1}}]}, "ISO 4217"),
    ({"handle": "ok", "title": {"en": "x"}, "variants": [{"sku": "X", "prices": {"HKD": -1}}]}, "non-negative"),
    ({"handle": "silk-shirt", "title": {"en": "x"}}, "taken"),
])
def test_bad_products_get_400_with_a_reason(client, shop, body, reason):
    answer = client.post("/api/v1/products", json=body, headers=shop["admin"])
    assert answer.status_code == 400 and reason in answer.json()["detail"], answer.text


def test_csv_import_and_export_over_http(client, shop):
    upload = {"file": ("products.csv", SHOPIFY.read_bytes(), "text/csv")}
    assert client.post("/api/v1/products/import", files=upload, headers=shop["a"]).status_code == 403
    missing = client.post("/api/v1/products/import", params={"format": "shopify"}, files=upload,
                          headers=shop["admin"])
    assert missing.status_code == 400 and "currency" in missing.json()["detail"]
    done = client.post("/api/v1/products/import", params={"format": "shopify", "currency": "HKD", "locale": "zh_Hant"},
                       files=upload, headers=shop["admin"])
    assert done.status_code == 200, done.text
    counts = done.json()
    assert (counts["products_created"], counts["products_updated"], counts["errors"][0]["row"]) == (1, 1, 6)
    exported = client.get("/api/v1/products/export.csv", headers=shop["admin"])
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "絲質襯衫 Silk Shirt" in exported.content.decode("utf-8-sig")
    assert client.get("/api/v1/products/export.csv", headers=shop["a"]).status_code == 403
    again = client.post("/api/v1/products/import", files={"file": ("p.csv", exported.content, "text/csv")},
                        headers=shop["admin"]).json()
    assert (again["errors"], again["products_created"], again["products_updated"]) == ([], 0, 0)
    bad = client.post("/api/v1/products/import", files={"file": ("p.csv", "名前\n".encode("shift_jis"), "text/csv")},
                      headers=shop["admin"])
    assert bad.status_code == 400 and "UTF-8" in bad.json()["detail"]


def test_the_short_product_link_opens_a_public_page_in_the_browsers_language(client):
    """What an SMS customer sees on tapping the link: picture, title with size, price; no sign-in needed."""
    ids = make_product(title={"en": "Silk shirt <b>", "zh_Hant": "絲質襯衫"})
    variant_id = ids["SHIRT-M"]

    page = client.get(f"/p/{variant_id}", headers={"Accept-Language": "zh-HK,zh;q=0.9,en;q=0.8"})
    assert page.status_code == 200
    assert "<h1>絲質襯衫 (M)</h1>" in page.text and "HK$128.50" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    english = client.get(f"/p/{variant_id}")
    assert "Silk shirt &lt;b&gt; (M)" in english.text and "<b>" not in english.text
    assert client.get("/p/999999").status_code == 404
    assert client.get("/p/99999999999999999999").status_code == 422
