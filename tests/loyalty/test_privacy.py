"""A contact's export lists their points; erasure deletes the ledger (reasons a person wrote)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog.loyalty import program
from catalog.loyalty.models import LoyaltyAccount, LoyaltyEntry
from hub.composition import create_app
from hub.runtime.db import session_scope
from tests.factories import make_user, token_for
from tests.loyalty.factories import make_customer


@pytest.fixture
def client(backend):
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app()) as test_client:
        yield test_client


def test_the_export_lists_the_points_and_erasure_deletes_them(client):
    contact_id = make_customer().contact_id
    with session_scope() as session:
        program.adjust(session=session, actor_id=None, contact_id=contact_id, points=40, reason="陳先生生日禮物")
    admin = token_for(client, "boss@shop.test")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/v1/contacts/{contact_id}/export", headers=admin).content))
    [loyalty] = json.loads(archive.read("contact.json"))["loyalty"]
    assert loyalty["balance"] == 40 and loyalty["entries"][0]["reason"] == "陳先生生日禮物"
    assert client.delete(f"/api/v1/contacts/{contact_id}", headers=admin).status_code == 204
    with session_scope() as session:
        assert session.exec(select(LoyaltyEntry)).all() == []
        assert session.exec(select(LoyaltyAccount)).all() == []
