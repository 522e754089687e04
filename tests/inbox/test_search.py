"""Search over message text: Chinese and Japanese words inside sentences, through the n-gram index."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hub.ingest.service import receive
from hub.runtime import db
from hub.runtime.db import session_scope
from tests.factories import inbound, token_for

MESSAGES = [
    ("wamid.S1", "+85291110001", "我想退款，請問要幾耐先會收到？"),
    ("wamid.S2", "+819012340001", "注文した商品を返品したいです。返金はいつになりますか？"),
    ("wamid.S3", "+14155550101", "The REFUND for order #1042 has not arrived"),
    ("wamid.S4", "+14155550102", "50% off? my_code is 100_OFF"),
    ("wamid.S5", "+85291110002", "多謝晒，收到貨喇"),
]


@pytest.fixture
def found(client, world):
    with session_scope() as session:
        ids = {wamid: receive(session=session, channel_id=world.channel_a,
                              inbound=inbound(wamid, phone, body)).conversation_id
               for wamid, phone, body in MESSAGES}
    headers = token_for(client, "a@shop.test")

    def search(query: str) -> set[int]:
        answer = client.get("/api/v1/conversations", params={"q": query, "limit": 200}, headers=headers)
        assert answer.status_code == 200, answer.text
        return {row["id"] for row in answer.json()["items"]}

    return ids, search


def test_a_two_character_chinese_word_is_found_inside_a_sentence(found):
    ids, search = found
    assert search("退款") == {ids["wamid.S1"]}
    assert search("收到") == {ids["wamid.S1"], ids["wamid.S5"]}


def test_japanese_words_of_any_length_are_found_without_spaces(found):
    ids, search = found
    assert search("返品した") == {ids["wamid.S2"]}
    assert search("返金") == {ids["wamid.S2"]}
    assert search("ありがとう") == set()


def test_english_is_found_whatever_its_case(found):
    ids, search = found
    assert search("refund") == {ids["wamid.S3"]}
    assert search("Order #1042") == {ids["wamid.S3"]}


def test_like_wildcards_in_the_query_are_only_characters(found):
    ids, search = found
    assert search("50%") == {ids["wamid.S4"]}
    assert search("%") == {ids["wamid.S4"]}
    assert search("y_c") == {ids["wamid.S4"]}
    assert search("_") == {ids["wamid.S4"]}


def test_another_teams_messages_are_never_found(found, client, world):
    _, search = found
    assert search("order") == search("REFUND")  # team B's "Where is my order?" stays out of team A's results
    assert world.conversation_b not in search("Where is my order")


def test_the_index_is_used_and_kept_in_step(found, backend):
    """New and edited messages are searchable at once; on PostgreSQL the planner can use the n-gram index."""
    ids, search = found
    with db.get_engine().begin() as conn:
        conn.execute(text("UPDATE message SET text = '改咗地址，想退款' WHERE provider_message_id = 'wamid.S5'"))
    assert search("地址") == {ids["wamid.S5"]}
    assert search("收到貨") == set()
    if backend.is_postgres:
        with db.get_engine().begin() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(conn.execute(text(
                "EXPLAIN SELECT id FROM message WHERE hub_bigrams(text) @> hub_bigrams('退款')")).scalars())
        assert "ix_message_text_bigrams" in plan


def test_a_search_covers_every_status_and_shows_the_message_that_matched(client, world):
    """退款 found nothing under "Open" because the conversation was resolved (issue 13 item 7)."""
    with session_scope() as session:
        asked = receive(session=session, channel_id=world.channel_a,
                        inbound=inbound("wamid.M1", "+85291119999", "上個禮拜買嘅外套想退款，請問點樣處理？"))
        receive(session=session, channel_id=world.channel_a, inbound=inbound("wamid.M2", "+85291119999", "多謝晒！"))
    headers = token_for(client, "a@shop.test")
    resolved = client.post(f"/api/v1/conversations/{asked.conversation_id}/status", json={"status": "resolved"},
                           headers=headers)
    assert resolved.status_code == 200

    for route in ("/api/v1/conversations", "/api/v1/inbox/conversations"):
        items = client.get(route, params={"q": "退款"}, headers=headers).json()["items"]
        assert [row["id"] for row in items] == [asked.conversation_id]
        assert items[0]["status"] == "resolved"
        assert items[0]["match"]["message_id"] == asked.id
        assert items[0]["match"]["text"] == "上個禮拜買嘅外套想退款，請問點樣處理？"
        narrowed = client.get(route, params={"q": "退款", "status": "open"}, headers=headers).json()["items"]
        assert narrowed == []
    plain = client.get("/api/v1/conversations", headers=headers).json()["items"]
    assert all(row["match"] is None for row in plain)


def test_a_long_message_is_cut_around_the_hit():
    from hub.search import snippet

    text = "あ" * 300 + "返品したい" + "い" * 300
    cut = snippet(text, "返品")
    assert cut.startswith("…") and cut.endswith("…") and "返品したい" in cut and len(cut) <= 162
    assert snippet("Where is my REFUND?", "refund") == "Where is my REFUND?"


def test_the_match_is_in_the_openapi_schema_with_an_example(client):
    schemas = client.app.openapi()["components"]["schemas"]
    assert "match" in schemas["ConversationItem"]["properties"]
    assert schemas["SearchMatch"]["example"]["text"]
    assert set(schemas["ActivityKind"]["enum"]) >= {"assigned", "reassigned", "tagged", "resolved", "reopened"}
    assert set(schemas["TagDetail"]["properties"]["source"]["enum"]) == {"agent", "rule", "classifier", "system"}
