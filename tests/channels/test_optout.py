"""Opt-out keywords: whole-message matches, case and width folded, per channel kind."""

from __future__ import annotations

import pytest

from channels.optout import classify_keyword


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        ("  Stop!  ", "stop"),
        ("ＳＴＯＰ", "stop"),
        ("stop。", "stop"),
        ("STOPALL", "stop"),
        ("Unsubscribe", "stop"),
        ("cancel", "stop"),
        ("END", "stop"),
        ("quit.", "stop"),
        ("OPTOUT", "stop"),
        ("revoke", "stop"),
        ("START", "start"),
        ("unstop", "start"),
        ("Yes", "start"),
        ("ｙｅｓ！", "start"),
        ("HELP", "help"),
        ("info?", "help"),
    ],
)
def test_sms_keywords(text: str, expected: str) -> None:
    assert classify_keyword(text, "sms_twilio") == expected


@pytest.mark.parametrize(
    "text",
    ["stop sending me this", "please stop", "STOP STOP", "", "   ", "停止", "退订", "s t o p", "stopp"],
)
def test_sms_non_keywords(text: str) -> None:
    assert classify_keyword(text, "sms_twilio") is None


@pytest.mark.parametrize("kind", ["whatsapp_meta", "whatsapp_twilio", "telegram", "webchat"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("退订", "stop"),
        ("退訂", "stop"),
        ("取消訂閱", "stop"),
        ("取消订阅", "stop"),
        ("停止", "stop"),
        ("停止！", "stop"),
        ("配信停止", "stop"),
        ("unsubscribe", "stop"),
        ("STOP", "stop"),
        ("START", "start"),
    ],
)
def test_chat_keywords(kind: str, text: str, expected: str) -> None:
    assert classify_keyword(text, kind) == expected


@pytest.mark.parametrize("text, expected", [("cancel", "stop"), ("END", "stop"), ("quit", "stop"), ("yes", "start"),
                                            ("help", "help"), ("info", "help")])
def test_chat_apps_honour_the_same_words_as_sms(text: str, expected: str) -> None:
    assert classify_keyword(text, "whatsapp_meta") == expected
    assert classify_keyword(text, "telegram") == expected


@pytest.mark.parametrize("text", ["取消", "停止配送", "cancel my order", "yes please", "I need help"])
def test_sentences_and_other_words_are_not_keywords(text: str) -> None:
    assert classify_keyword(text, "whatsapp_meta") is None


def test_no_text() -> None:
    assert classify_keyword(None, "sms_twilio") is None
