"""OutboundMessage → web chat card: every kind, and only http(s) URLs."""

from __future__ import annotations

import pytest

from channels import Button, IdentityRef, OutboundMessage
from channels.webchat import RenderError, card

TO = IdentityRef("webchat", "5:s:abc")


def out(**fields) -> OutboundMessage:
    return OutboundMessage(to=TO, **fields)


def test_text_keeps_header_and_footer_and_cuts_long_text_on_a_character():
    assert card(out(text="こんにちは", header="Shop", footer="Reply STOP to stop")) == {
        "kind": "text", "header": "Shop", "text": "こんにちは", "footer": "Reply STOP to stop"}
    assert len(card(out(text="字" * 5000))["text"]) == 4096


def test_media_needs_an_http_url():
    assert card(out(kind="media", media_url="https://cdn.example/a.jpg", media_type="image", text="新款")) == {
        "kind": "media", "text": "新款", "media": {"url": "https://cdn.example/a.jpg", "type": "image"}}
    document = card(out(kind="media", media_url="https://cdn.example/r.pdf", media_type="pdf",
                        payload={"filename": "receipt.pdf"}))
    assert document["media"] == {"url": "https://cdn.example/r.pdf", "type": "document", "filename": "receipt.pdf"}
    with pytest.raises(RenderError):
        card(out(kind="media", media_url="javascript:alert(1)"))


def test_lists_become_buttons_with_descriptions_and_url_buttons_must_be_http():
    rendered = card(out(kind="list", text="Pick a size", list_button="Sizes", buttons=(
        Button(title="S", id="size-s", description="chest 88 cm"), Button(title="M", id="size-m"))))
    assert rendered == {"kind": "buttons", "text": "Pick a size", "button_label": "Sizes", "buttons": [
        {"type": "reply", "id": "size-s", "title": "S", "description": "chest 88 cm"},
        {"type": "reply", "id": "size-m", "title": "M"}]}
    with pytest.raises(RenderError):
        card(out(kind="buttons", text="x", buttons=(Button(title="Go", url="data:text/html,hi"),)))
    with pytest.raises(RenderError):
        card(out(kind="buttons", text="x", buttons=tuple(Button(title=str(i), id=str(i)) for i in range(21))))


def test_templates_are_sent_as_their_text():
    assert card(out(kind="template", template_name="coupon", template_params=("花子", "SAVE10")))["text"] == \
        "花子 SAVE10"


def test_product_and_product_list_cards():
    single = card(out(kind="product", text="Our bestseller", payload={
        "title": "Linen shirt", "price": "HK$399.00", "image_url": "https://cdn.example/s.jpg",
        "url": "https://shop.example/p/1", "catalog_id": "c1"}))
    assert single == {"kind": "product", "text": "Our bestseller", "products": [{
        "title": "Linen shirt", "price": "HK$399.00", "image": "https://cdn.example/s.jpg",
        "url": "https://shop.example/p/1"}]}
    listed = card(out(kind="product_list", text="New in", payload={"products": [
        {"name": "浴衣", "price": 12800, "currency": "JPY", "image": "javascript:x",
         "buttons": [{"title": "Add to cart", "id": "add:7"}]},
        {"description": "no title: skipped"}]}))
    assert listed["products"] == [{"title": "浴衣", "price": "12800 JPY",
                                   "buttons": [{"type": "reply", "id": "add:7", "title": "Add to cart"}]}]
    assert card(out(kind="product", text="see the shop"))["kind"] == "text"  # no product details
    with pytest.raises(RenderError):
        card(out(kind="product_list", text="x", payload={"products": []}))


def test_an_empty_message_is_refused():
    with pytest.raises(RenderError):
        card(out(text=""))
