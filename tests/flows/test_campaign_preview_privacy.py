"""Issue 12, item 17: a marketer's preview shows only the fields the campaign uses, and only for
contacts in the campaign's segment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.contacts.models import Contact
from hub.runtime.db import session_scope
from hub.tags.models import ContactTag, Tag
from tests.factories import make_channel, make_user, token_for


@pytest.fixture
def client(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    make_user("mika@shop.test", role="marketer")
    with TestClient(create_app()) as test_client:
        yield test_client


def contacts() -> tuple[int, int]:
    """A VIP with a size and a private note, and a contact outside the VIP segment."""
    with session_scope() as session:
        vip = Contact(name="陳大文", custom_fields={"size": "M", "passport": "K1234567"})
        other = Contact(name="佐藤花子", custom_fields={"size": "S", "passport": "TZ0000001"})
        tag = Tag(name="VIP")
        session.add_all([vip, other, tag])
        session.flush()
        session.add(ContactTag(contact_id=vip.id or 0, tag_id=tag.id or 0))
        return vip.id or 0, other.id or 0


def test_a_preview_fills_in_only_used_fields_of_segment_members(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    vip, other = contacts()
    channel_id = make_channel(kind="telegram", name="TG").id or 0
    segment = client.post("/api/v1/segments", json={"name": "VIP", "definition": {"tag": "VIP"}}, headers=marketer)
    assert segment.status_code == 201, segment.text
    text = "{{ contact.first_name }} size {{ contact.custom.size }} | {{ contact.custom }} | {{ contact['custom'] }}"
    created = client.post("/api/v1/campaigns", headers=marketer, json={
        "name": "VIP sale", "channel_ids": [channel_id], "segment_id": segment.json()["id"],
        "variants": [{"name": "A", "weight": 100, "text": text}]})
    assert created.status_code == 201, created.text
    path = f"/api/v1/campaigns/{created.json()['id']}/preview"

    shown = client.post(path, json={"contact_id": vip}, headers=marketer)
    assert shown.status_code == 200, shown.text
    preview = shown.json()["previews"][0]["text"]
    assert preview.startswith("陳大文 size M") and "K1234567" not in preview and "passport" not in preview

    outside = client.post(path, json={"contact_id": other}, headers=marketer)
    assert outside.status_code == 404 and "segment" in outside.json()["detail"]
    assert "TZ0000001" not in outside.text and "佐藤" not in outside.text
    assert client.post(path, json={}, headers=marketer).status_code == 200  # the sample contact still works
