"""Text limits and the numbered-menu fallback."""

from __future__ import annotations

from channels.text import choice_from_reply, numbered_menu, truncate_chars, truncate_utf8
from channels.types import Button


def test_truncate_counts_characters_not_bytes() -> None:
    assert truncate_chars("短い", 20) == "短い"
    assert truncate_chars("一二三四五六七八九十", 5) == "一二三四…"
    assert truncate_chars("abc", 0) == ""


def test_truncate_never_splits_accents_or_emoji_sequences() -> None:
    assert truncate_chars("cafe\u0301 au lait", 5) == "caf…"  # the accent stays with its e
    assert truncate_chars("ok 👍🏽 thanks", 5) == "ok…"  # the skin tone stays with its thumb
    family = "👨\u200d👩\u200d👧"
    assert truncate_chars("ab" + family + "cd", 5) == "ab…"


def test_truncate_utf8_cuts_on_character_boundaries() -> None:
    assert truncate_utf8("訂單", 64) == "訂單"
    assert truncate_utf8("訂單編號", 7) == "訂單"  # 3 + 3 bytes; a third character would need 9
    assert truncate_utf8("a" * 70, 64) == "a" * 64


def test_numbered_menu_and_reply_mapping() -> None:
    options = (
        Button("小杯", id="s"),
        Button("大杯", id="l", description="+HK$5"),
        Button("Menu", url="https://shop.example.test/menu"),
    )

    assert numbered_menu("要哪個尺寸？", options) == (
        "要哪個尺寸？\n\n1. 小杯\n2. 大杯 (+HK$5)\nMenu: https://shop.example.test/menu"
    )
    assert choice_from_reply("2", options) == options[1]
    assert choice_from_reply(" ２。", options) == options[1]  # full-width digit and CJK full stop
    assert choice_from_reply("小杯", options) == options[0]
    assert choice_from_reply("3", options) is None  # URL buttons are not numbered
    assert choice_from_reply("0", options) is None
    assert choice_from_reply(None, options) is None
