"""The classifier's suggestions: stored per conversation, shown only to those who may see it, and
applied on their own above the threshold an admin sets."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.runtime.db import session_scope
from hub.tagging import admin, jobs, service
from hub.tagging.models import TagSuggestion
from tests.factories import make_channel, make_team, make_user, token_for
from tests.tagging.factories import conversation_tags, install_model, write

JAPANESE_REFUND = "注文した商品を返品したいです。返金はいつになりますか？"


@pytest.fixture
def shop(backend, trained_model):
    install_model(trained_model)
    tokyo, hong_kong = make_team("Tokyo"), make_team("Hong Kong")
    make_user("yuki@shop.test", team_ids=[tokyo])
    make_user("mei@shop.test", team_ids=[hong_kong])
    make_user("ads@shop.test", role="marketer")
    make_user("boss@shop.test", role="admin")
    channel = make_channel("whatsapp_twilio", "WhatsApp JP", team_ids=[tokyo])
    return channel.id


@pytest.fixture
def client(shop):
    with TestClient(create_app()) as test_client:
        yield test_client


def test_a_message_leaves_suggestions_that_only_people_who_see_the_conversation_read(client, shop):
    message_id, conversation_id, _ = write(shop, JAPANESE_REFUND)
    assert jobs.apply_rules(message_id) == "0 tags added"
    path = f"/api/v1/conversations/{conversation_id}/tag-suggestions"
    listed = client.get(path, headers=token_for(client, "yuki@shop.test"))
    assert listed.status_code == 200
    first = listed.json()[0]
    assert first["tag"] == "refund" and first["confidence"] > 0.5 and first["message_id"] == message_id
    assert first["model_version"] == "test1"
    assert all(s["confidence"] >= 0.2 for s in listed.json())
    assert client.get(path, headers=token_for(client, "boss@shop.test")).status_code == 200
    for outsider in ("mei@shop.test", "ads@shop.test"):
        assert client.get(path, headers=token_for(client, outsider)).status_code == 404
    assert client.get(path).status_code == 401
    assert client.get("/api/v1/conversations/999999/tag-suggestions",
                      headers=token_for(client, "boss@shop.test")).status_code == 404


def test_above_its_threshold_a_tag_is_applied_once_with_the_models_version(client, shop):
    message_id, conversation_id, _ = write(shop, JAPANESE_REFUND)
    with session_scope() as session:
        service.tag_ids(session, ["refund"])
        admin.update_tag(session=session, actor=None, name="refund", changes={"auto_apply_threshold": 0.6})
    assert jobs.apply_rules(message_id) == "1 tags added"
    assert jobs.apply_rules(message_id) == "0 tags added"
    assert conversation_tags(conversation_id) == {"refund": "model:test1"}
    listed = client.get(f"/api/v1/conversations/{conversation_id}/tag-suggestions",
                        headers=token_for(client, "yuki@shop.test")).json()
    assert "refund" not in [s["tag"] for s in listed]
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "tag.auto")).one()
    assert entry.details["source"] == "model:test1" and entry.details["confidence"] >= 0.6


def test_below_the_threshold_it_only_suggests(shop):
    message_id, conversation_id, _ = write(shop, "where is my parcel")  # unsure between tags
    with session_scope() as session:
        service.tag_ids(session, ["order status"])
        admin.update_tag(session=session, actor=None, name="order status", changes={"auto_apply_threshold": 0.99})
    jobs.apply_rules(message_id)
    assert conversation_tags(conversation_id) == {}


def test_the_newest_message_refreshes_a_suggestion_and_a_photo_suggests_nothing(shop):
    first, conversation_id, _ = write(shop, "我想退款")
    photo, _, _ = write(shop, "", kind="image")
    second, _, _ = write(shop, "退款幾時到？")
    for message_id in (first, second, photo, first):  # out of order and twice: the newest message still wins
        jobs.apply_rules(message_id)
    with session_scope() as session:
        rows = session.exec(select(TagSuggestion).where(TagSuggestion.conversation_id == conversation_id)).all()
    assert rows and {row.message_id for row in rows} == {second}
    assert len({row.tag_id for row in rows}) == len(rows)
