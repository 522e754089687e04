"""Assign, status, tags, private notes, mark read and retry: what each does, and who may do it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from hub.conversations.models import Conversation, Message
from hub.runtime import broker, events
from hub.runtime.db import session_scope, utcnow
from tests.factories import token_for


def conversation(conversation_id: int) -> Conversation:
    with session_scope() as session:
        return session.get(Conversation, conversation_id)


def outbound_jobs() -> int:
    return broker.queue("outbound").count


def test_an_agent_assigns_to_a_colleague_who_can_see_it_and_unassigns(client, world):
    a = token_for(client, "a@shop.test")
    url = f"/api/v1/conversations/{world.conversation_a}/assign"
    mine = client.post(url, json={"assignee_id": world.agent_a}, headers=a)
    assert mine.status_code == 200, mine.text
    assert mine.json()["assignee_id"] == world.agent_a
    assert conversation(world.conversation_a).assignee_id == world.agent_a
    elsewhere = client.post(url, json={"assignee_id": world.agent_b}, headers=a)
    assert elsewhere.status_code == 422 and "team" in elsewhere.json()["detail"]
    cleared = client.post(url, json={"assignee_id": None}, headers=a)
    assert cleared.json()["assignee_id"] is None
    assert client.post(url, json={"assignee_id": 99999}, headers=a).status_code == 422


def test_status_changes_resolve_snooze_and_reopen(client, world):
    a = token_for(client, "a@shop.test")
    url = f"/api/v1/conversations/{world.conversation_a}/status"
    resolved = client.post(url, json={"status": "resolved"}, headers=a).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    past = client.post(url, json={"status": "snoozed", "snoozed_until": (utcnow() - timedelta(hours=1)).isoformat()},
                       headers=a)
    assert past.status_code == 422 and "future" in past.json()["detail"]
    assert client.post(url, json={"status": "snoozed"}, headers=a).status_code == 422
    later = (utcnow() + timedelta(hours=3)).isoformat()
    snoozed = client.post(url, json={"status": "snoozed", "snoozed_until": later}, headers=a).json()
    assert snoozed["status"] == "snoozed" and snoozed["snoozed_until"] is not None and snoozed["resolved_at"] is None
    reopened = client.post(url, json={"status": "open"}, headers=a).json()
    assert reopened["status"] == "open" and reopened["snoozed_until"] is None
    assert client.post(url, json={"status": "closed"}, headers=a).status_code == 422


def test_tags_go_on_and_off_once_in_any_language(client, world):
    a = token_for(client, "a@shop.test")
    base = f"/api/v1/conversations/{world.conversation_a}/tags"
    assert client.post(f"{base}/退貨", headers=a).json()["tags"] == ["退貨"]
    assert client.post(f"{base}/退貨", headers=a).json()["tags"] == ["退貨"]
    assert client.post(f"{base}/VIP", headers=a).json()["tags"] == ["VIP", "退貨"]
    assert client.delete(f"{base}/退貨", headers=a).json()["tags"] == ["VIP"]
    assert client.delete(f"{base}/nothing", headers=a).json()["tags"] == ["VIP"]
    assert client.post(f"{base}/{'x' * 101}", headers=a).status_code == 422
    listed = client.get("/api/v1/inbox/conversations", params={"tag": "VIP"}, headers=a).json()["items"]
    assert [row["id"] for row in listed] == [world.conversation_a]


def test_a_private_note_is_stored_sent_and_never_queued_for_the_provider(client, world):
    a = token_for(client, "a@shop.test")
    before = outbound_jobs()
    answer = client.post(f"/api/v1/conversations/{world.conversation_a}/notes", json={"text": "VIP，小心處理"},
                         headers=a)
    assert answer.status_code == 201, answer.text
    note = answer.json()
    assert (note["kind"], note["direction"], note["status"]) == ("note", "outbound", "sent")
    assert outbound_jobs() == before
    reply = client.post(f"/api/v1/conversations/{world.conversation_a}/messages", json={"text": "好的"}, headers=a)
    assert reply.status_code == 202 and outbound_jobs() == before + 1  # the same path does queue real replies
    thread = client.get(f"/api/v1/inbox/conversations/{world.conversation_a}/history", headers=a).json()
    assert [m["kind"] for m in thread][-2:] == ["note", "text"]
    assert client.post(f"/api/v1/conversations/{world.conversation_a}/notes", json={"text": ""},
                       headers=a).status_code == 422
    assert conversation(world.conversation_a).first_response_at is not None  # from the reply, not the note


def test_mark_read_sets_unread_to_zero_and_tells_live_views(client, world):
    seen: list[events.Event] = []
    events.subscribe(events.CONVERSATION_UPDATED, seen.append)
    a = token_for(client, "a@shop.test")
    assert conversation(world.conversation_a).unread_count == 1
    answer = client.post(f"/api/v1/conversations/{world.conversation_a}/read", headers=a)
    assert answer.status_code == 200 and answer.json()["unread_count"] == 0
    assert conversation(world.conversation_a).unread_count == 0
    assert [e.data["conversation_id"] for e in seen] == [world.conversation_a]


def test_retry_puts_a_failed_reply_back_in_the_queue_once(client, world):
    b = token_for(client, "b@shop.test")
    before = outbound_jobs()
    answer = client.post(f"/api/v1/messages/{world.failed_b}/retry", headers=b)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "queued" and body["error_reason"] is None
    assert outbound_jobs() == before + 1
    again = client.post(f"/api/v1/messages/{world.failed_b}/retry", headers=b)
    assert again.status_code == 409 and "failed" in again.json()["detail"]
    assert client.post(f"/api/v1/messages/{world.message_b}/retry", headers=b).status_code == 409


def test_retry_is_refused_when_the_whatsapp_window_has_closed(client, world):
    with session_scope() as session:
        row = session.get(Conversation, world.conversation_a)
        row.last_inbound_at = utcnow() - timedelta(hours=30)
        failed = Message(conversation_id=row.id, channel_id=row.channel_id, direction="outbound", text="hi",
                         status="failed", error_code="131047", error_reason="re-engagement")
        session.add_all([row, failed])
        session.flush()
        failed_id = failed.id
    a = token_for(client, "a@shop.test")
    answer = client.post(f"/api/v1/messages/{failed_id}/retry", headers=a)
    assert answer.status_code == 422 and "template" in answer.json()["detail"]
    with session_scope() as session:
        assert session.get(Message, failed_id).status == "failed"


def test_actions_on_another_teams_objects_answer_404(client, world):
    a = token_for(client, "a@shop.test")
    b_conv = world.conversation_b
    for method, path, body in [
        ("post", f"/api/v1/conversations/{b_conv}/assign", {"assignee_id": world.agent_a}),
        ("post", f"/api/v1/conversations/{b_conv}/status", {"status": "resolved"}),
        ("post", f"/api/v1/conversations/{b_conv}/tags/x", None),
        ("delete", f"/api/v1/conversations/{b_conv}/tags/x", None),
        ("post", f"/api/v1/conversations/{b_conv}/notes", {"text": "peek"}),
        ("post", f"/api/v1/conversations/{b_conv}/read", None),
        ("post", f"/api/v1/messages/{world.failed_b}/retry", None),
        ("get", f"/api/v1/inbox/conversations/{b_conv}", None),
        ("get", f"/api/v1/inbox/conversations/{b_conv}/history", None),
    ]:
        answer = client.request(method.upper(), path, json=body, headers=a)
        assert answer.status_code == 404, (path, answer.status_code)
    with session_scope() as session:
        row = session.get(Conversation, b_conv)
        assert row.status == "open" and row.unread_count == 1 and row.assignee_id is None
        assert session.get(Message, world.failed_b).status == "failed"
        assert session.exec(select(Message).where(Message.kind == "note")).all() == []
