"""Meta rendering: what each OutboundMessage kind becomes, and how WhatsApp's limits degrade."""

from __future__ import annotations

import pytest

from channels.meta.render import RenderError, render
from channels.types import Button, IdentityRef, OutboundMessage

TO = IdentityRef("phone", "+85291234567")


def buttons(*titles: str) -> tuple[Button, ...]:
    return tuple(Button(title, id=f"b{index}") for index, title in enumerate(titles, start=1))


def test_long_cjk_button_titles_are_cut_on_characters() -> None:
    title = "這是一個非常長的中文按鈕標題超過二十個字元"  # 22 characters, 66 UTF-8 bytes
    body = render(OutboundMessage(to=TO, kind="buttons", text="選一個", buttons=buttons(title, "好")))

    reply = body["interactive"]["action"]["buttons"][0]["reply"]
    assert reply["title"] == "這是一個非常長的中文按鈕標題超過二十個…"
    assert len(reply["title"]) == 20
    assert reply["title"].encode().decode() == reply["title"]  # still valid text, no split character


def test_four_reply_buttons_become_a_list_message() -> None:
    body = render(
        OutboundMessage(
            to=TO, kind="buttons", text="尺碼？", list_button="選擇尺碼", buttons=buttons("S", "M", "L", "XL")
        )
    )

    interactive = body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["body"] == {"text": "尺碼？"}
    assert interactive["action"] == {
        "button": "選擇尺碼",
        "sections": [
            {
                "rows": [
                    {"id": "b1", "title": "S"},
                    {"id": "b2", "title": "M"},
                    {"id": "b3", "title": "L"},
                    {"id": "b4", "title": "XL"},
                ]
            }
        ],
    }


def test_more_than_ten_options_fall_back_to_a_numbered_text_menu() -> None:
    body = render(
        OutboundMessage(to=TO, kind="list", text="Pick", buttons=buttons(*[f"Item {n}" for n in range(1, 12)]))
    )

    assert body["type"] == "text"
    lines = body["text"]["body"].split("\n")
    assert lines[0] == "Pick" and lines[2] == "1. Item 1" and lines[-1] == "11. Item 11"


def test_list_rows_respect_title_description_and_label_limits() -> None:
    row = Button("北海道產十勝紅豆紅豆麻糬禮盒裝二十四入期間限定販售中", id="mochi", description="甜" * 80)  # 27 chars
    body = render(
        OutboundMessage(
            to=TO,
            kind="list",
            text="菜單",
            list_button="查看全部商品與優惠活動資訊以及會員專屬價格",
            header="本週推薦",
            footer="價格含稅",
            buttons=(row,),
        )
    )

    interactive = body["interactive"]
    [rendered] = interactive["action"]["sections"][0]["rows"]
    assert len(rendered["title"]) == 24 and rendered["title"].endswith("…")
    assert len(rendered["description"]) == 72
    assert len(interactive["action"]["button"]) == 20
    assert interactive["header"] == {"type": "text", "text": "本週推薦"}
    assert interactive["footer"] == {"text": "價格含稅"}


def test_one_url_button_is_a_cta_url_message() -> None:
    body = render(
        OutboundMessage(
            to=TO,
            kind="buttons",
            text="付款連結",
            buttons=(Button("立即付款", url="https://pay.example.test/c/1"),),
        )
    )

    assert body["interactive"] == {
        "type": "cta_url",
        "body": {"text": "付款連結"},
        "action": {
            "name": "cta_url",
            "parameters": {"display_text": "立即付款", "url": "https://pay.example.test/c/1"},
        },
    }


def test_mixed_or_several_url_buttons_become_text_with_links() -> None:
    body = render(
        OutboundMessage(
            to=TO,
            kind="buttons",
            text="Next?",
            buttons=(Button("Track", url="https://t.example.test"), Button("Agent", id="agent")),
        )
    )

    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "85291234567",
        "type": "text",
        "text": {"body": "Next?\n\nTrack: https://t.example.test\n1. Agent", "preview_url": False},
    }


def test_media_with_caption_and_document_filename() -> None:
    image = render(
        OutboundMessage(to=TO, kind="media", media_type="image", media_url="https://c.test/a.jpg", text="新品")
    )
    document = render(
        OutboundMessage(
            to=TO,
            kind="media",
            media_type="document",
            media_url="https://c.test/i.pdf",
            payload={"filename": "invoice.pdf"},
        )
    )
    audio = render(
        OutboundMessage(to=TO, kind="media", media_type="audio", media_url="https://c.test/v.ogg", text="ignored")
    )

    assert image["type"] == "image" and image["image"] == {"link": "https://c.test/a.jpg", "caption": "新品"}
    assert document["document"] == {"link": "https://c.test/i.pdf", "filename": "invoice.pdf"}
    assert audio["audio"] == {"link": "https://c.test/v.ogg"}


def test_template_with_body_parameters() -> None:
    body = render(
        OutboundMessage(
            to=TO,
            kind="template",
            template_name="order_shipped",
            template_language="zh_HK",
            template_params=("陳大文", "#1024"),
        )
    )

    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_shipped",
        "language": {"code": "zh_HK"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "陳大文"}, {"type": "text", "text": "#1024"}],
            }
        ],
    }


def test_product_and_product_list() -> None:
    product = render(
        OutboundMessage(
            to=TO,
            kind="product",
            text="看看這個",
            payload={"catalog_id": "194836987003835", "product_retailer_id": "di9ozbzfi4"},
        )
    )
    products = render(
        OutboundMessage(
            to=TO,
            kind="product_list",
            header="新品",
            text="本週上架",
            payload={"catalog_id": "194836987003835", "product_retailer_ids": ["a1", "b2"]},
        )
    )

    assert product["interactive"] == {
        "type": "product",
        "body": {"text": "看看這個"},
        "action": {"catalog_id": "194836987003835", "product_retailer_id": "di9ozbzfi4"},
    }
    assert products["interactive"]["type"] == "product_list"
    assert products["interactive"]["header"] == {"type": "text", "text": "新品"}
    assert products["interactive"]["action"]["sections"] == [
        {"title": "新品", "product_items": [{"product_retailer_id": "a1"}, {"product_retailer_id": "b2"}]}
    ]


@pytest.mark.parametrize(
    "message",
    [
        OutboundMessage(to=TO, text=None),
        OutboundMessage(to=TO, kind="media"),
        OutboundMessage(to=TO, kind="template"),
        OutboundMessage(to=TO, kind="product", payload={"catalog_id": "1"}),
        OutboundMessage(to=IdentityRef("telegram", "1"), text="hi"),
    ],
)
def test_messages_that_cannot_be_rendered(message: OutboundMessage) -> None:
    with pytest.raises(RenderError):
        render(message)


def test_hubs_reference_rides_along_for_the_receipts() -> None:
    body = render(OutboundMessage(to=TO, text="你好", reference="hub:42"))
    assert body["biz_opaque_callback_data"] == "hub:42" and body["text"] == {"body": "你好", "preview_url": False}
    assert "biz_opaque_callback_data" not in render(OutboundMessage(to=TO, text="hi"))
