"""Card numbers (Luhn-valid, 13 to 19 digits) are masked in stored and shown message text."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from hub.composition import create_app
from hub.ingest.service import receive
from hub.privacy.cards import mask_cards
from hub.runtime.db import get_engine, session_scope
from tests.factories import inbound, make_channel, make_team, make_user, token_for


@pytest.mark.parametrize("written, shown", [
    ("card 4242 4242 4242 4242 exp 12/30", "card [card ****4242] exp 12/30"),
    ("卡號4111-1111-1111-1111，謝謝", "卡號[card ****1111]，謝謝"),
    ("カード番号は４０１２８８８８８８８８１８８１です", "カード番号は[card ****1881]です"),
    ("amex 378282246310005", "amex [card ****0005]"),
])
def test_luhn_valid_card_numbers_are_masked(written, shown):
    assert mask_cards(written) == shown


@pytest.mark.parametrize("written", ["order 1234 5678 9012 3456", "call +852 9123 4567", "ref 42424242424242424242"])
def test_other_numbers_are_left_alone(written):
    assert mask_cards(written) == written


def raw_texts() -> list[str]:
    with get_engine().connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT text FROM message ORDER BY id"))]


def test_a_customers_card_number_is_never_stored_nor_found(backend):
    team = make_team("A")
    channel = make_channel("whatsapp_meta", team_ids=[team])
    make_user("a@shop.test", team_ids=[team])
    with session_scope() as session:
        message = receive(session=session, channel_id=channel.id,
                          inbound=inbound("wamid.1", "+85291110000", "pay with 4242 4242 4242 4242 please"))
        assert message is not None
    assert raw_texts() == ["pay with [card ****4242] please"]
    with TestClient(create_app()) as client:
        headers = token_for(client, "a@shop.test")
        thread = client.get(f"/api/v1/conversations/{message.conversation_id}/messages", headers=headers)
        assert "4242 4242 4242 4242" not in thread.text and "[card ****4242]" in thread.text
        found = client.get("/api/v1/conversations", params={"q": "4242 4242 4242 4242"}, headers=headers)
        assert found.json()["items"] == []


def test_an_agents_reply_with_a_card_number_is_stored_and_sent_masked(backend):
    team = make_team("A")
    channel = make_channel("whatsapp_meta", team_ids=[team])
    make_user("a@shop.test", team_ids=[team])
    with session_scope() as session:
        message = receive(session=session, channel_id=channel.id, inbound=inbound("wamid.1", "+85291110000", "hi"))
        assert message is not None
    with TestClient(create_app()) as client:
        answer = client.post(f"/api/v1/conversations/{message.conversation_id}/messages",
                             json={"text": "Your card 5555555555554444 is on file"},
                             headers=token_for(client, "a@shop.test"))
        assert answer.status_code == 202, answer.text
        assert "5555555555554444" not in answer.text
    assert raw_texts()[-1] == "Your card [card ****4444] is on file"


def test_text_stored_before_masking_is_shown_masked(backend):
    team = make_team("A")
    channel = make_channel("whatsapp_meta", team_ids=[team])
    make_user("a@shop.test", team_ids=[team])
    with session_scope() as session:
        message = receive(session=session, channel_id=channel.id, inbound=inbound("wamid.1", "+85291110000", "hi"))
        assert message is not None
    with get_engine().begin() as conn:  # as an earlier Hub stored it
        conn.execute(text("UPDATE message SET text = 'old 4242424242424242'"))
    with TestClient(create_app()) as client:
        thread = client.get(f"/api/v1/conversations/{message.conversation_id}/messages",
                            headers=token_for(client, "a@shop.test"))
    assert "4242424242424242" not in thread.text and "old [card ****4242]" in thread.text
