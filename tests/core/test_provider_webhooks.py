"""Recorded provider payloads, signed as each provider signs them, through the real HTTP path and worker."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlmodel import select
from twilio.request_validator import RequestValidator

from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations.models import Message
from hub.jobs.tasks import drain_inbound
from hub.runtime.db import session_scope
from hub.webhooks.models import WebhookEvent
from tests.factories import make_channel

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
APP_SECRET, AUTH_TOKEN = "meta-app-secret", "twilio-token"
ACCOUNT, TWILIO_NUMBER = "AC9af211329b2fc82e5efe906062c73008", "+12025550143"  # as in the recorded posts
PUBLIC = "https://hub.example.test"


def fixture(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


def meta_channel(phone_number_id: str = "106540352242922") -> int:
    return make_channel("whatsapp_meta", config={"phone_number_id": phone_number_id, "access_token": "EAAG",
                                                 "app_secret": APP_SECRET, "verify_token": "vt"}).id


def meta_post(client: TestClient, channel_id: int, body: bytes, secret: str = APP_SECRET, **headers: str):
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(f"/webhooks/meta/{channel_id}", content=body,
                       headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature, **headers})


def twilio_post(client: TestClient, channel_id: int, fields: dict[str, str], endpoint: str = "inbound",
                token: str = AUTH_TOKEN, tamper: bool = False):
    url = f"{PUBLIC}/webhooks/twilio/{channel_id}/{endpoint}"
    signature = RequestValidator(token).compute_signature(url, fields)
    body = dict(fields, Body="tampered") if tamper else fields
    return client.post(f"/webhooks/twilio/{channel_id}/{endpoint}", content=urlencode(body),
                       headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})


def messages() -> list[Message]:
    with session_scope() as session:
        return list(session.exec(select(Message).order_by(Message.id)))


def events_stored() -> int:
    with session_scope() as session:
        return len(session.exec(select(WebhookEvent)).all())


def test_meta_handshake_answers_the_challenge_only_with_the_verify_token(client):
    channel_id = meta_channel()
    ok = client.get(f"/webhooks/meta/{channel_id}",
                    params={"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = client.get(f"/webhooks/meta/{channel_id}",
                     params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_a_meta_body_with_several_messages_and_receipts_is_processed_whole(client):
    channel_id = meta_channel()
    assert meta_post(client, channel_id, fixture("meta", "multi.json")).status_code == 200
    drain_inbound()
    texts = [m.text for m in messages()]
    assert texts == ["仲有冇貨？", "在庫はありますか？"]
    with session_scope() as session:
        names = sorted(c.name for c in session.exec(select(Contact)))
        assert names == ["山田太郎", "陳大文"]
        kinds = sorted({i.kind for i in session.exec(select(ChannelIdentity))})
        assert kinds == ["whatsapp", "whatsapp_user"]


@pytest.mark.parametrize("name", ["text.json", "image.json", "location.json", "interactive_button_reply.json",
                                  "order.json", "reaction.json", "unsupported.json", "user_id.json"])
def test_recorded_meta_messages_become_messages(client, name):
    channel_id = meta_channel()
    assert meta_post(client, channel_id, fixture("meta", name)).status_code == 200
    drain_inbound()
    [message] = messages()
    expected_kind = {"interactive_button_reply.json": "button_reply", "location.json": "location",
                     "image.json": "image", "order.json": "order", "reaction.json": "reaction",
                     "unsupported.json": "unsupported"}.get(name, "text")
    assert message.kind == expected_kind and message.direction == "inbound"


@pytest.mark.parametrize("mutate", ["tampered body", "wrong secret", "missing header"])
def test_meta_signatures_are_checked_over_the_raw_body(client, mutate):
    channel_id = meta_channel()
    body = fixture("meta", "text.json")
    if mutate == "tampered body":
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        answer = client.post(f"/webhooks/meta/{channel_id}", content=body.replace(b"whatsapp", b"WHATSAPP", 1),
                             headers={"X-Hub-Signature-256": signature})
    elif mutate == "wrong secret":
        answer = meta_post(client, channel_id, body, secret="not-the-secret")
    else:
        answer = client.post(f"/webhooks/meta/{channel_id}", content=body)
    assert answer.status_code == 403
    assert events_stored() == 0


def twilio_channel(kind: str = "sms_twilio", account: str = ACCOUNT, number: str = TWILIO_NUMBER) -> int:
    number = f"whatsapp:{number}" if kind == "whatsapp_twilio" else number
    return make_channel(kind, config={"account_sid": account, "auth_token": AUTH_TOKEN, "from_number": number}).id


def foreign_count(provider: str) -> float:
    return REGISTRY.get_sample_value("hub_webhook_foreign_entries_total", {"provider": provider}) or 0.0


def test_a_meta_body_for_another_number_of_the_same_app_is_not_stored_on_this_channel(client):
    shop_a, shop_b = meta_channel("111000111000111"), meta_channel("106540352242922")
    before = foreign_count("meta")
    body = fixture("meta", "text.json")  # metadata.phone_number_id is shop B's; the app secret is shared
    assert meta_post(client, shop_a, body).status_code == 200  # signed correctly: acknowledged, then ignored
    drain_inbound()
    assert messages() == []
    assert foreign_count("meta") == before + 1
    assert meta_post(client, shop_b, body).status_code == 200
    drain_inbound()
    assert [m.channel_id for m in messages()] == [shop_b]


def test_a_meta_body_mixing_two_numbers_keeps_only_this_channels_part(client):
    shop_a = meta_channel("111000111000111")
    envelope = json.loads(fixture("meta", "text.json"))
    theirs = envelope["entry"][0]
    ours = json.loads(json.dumps(theirs))
    ours["changes"][0]["value"]["metadata"]["phone_number_id"] = "111000111000111"
    ours["changes"][0]["value"]["messages"][0]["id"] = "wamid.ours"
    envelope["entry"] = [theirs, ours]
    assert meta_post(client, shop_a, json.dumps(envelope).encode()).status_code == 200
    drain_inbound()
    assert [m.provider_message_id for m in messages()] == ["wamid.ours"]


@pytest.mark.parametrize("other", ["account", "number"])
def test_a_twilio_post_for_another_account_or_number_is_not_stored_on_this_channel(client, other):
    channel_id = (twilio_channel(account="AC" + "1" * 32) if other == "account"
                  else twilio_channel(number="+15550001111"))
    before = foreign_count("twilio")
    fields = json.loads(fixture("twilio", "sms_inbound.json"))
    assert twilio_post(client, channel_id, fields).status_code == 200
    drain_inbound()
    assert messages() == []
    assert foreign_count("twilio") == before + 1


def test_twilio_requests_signed_by_the_official_validator_pass_and_others_get_403(client):
    channel_id = twilio_channel()
    fields = json.loads(fixture("twilio", "sms_inbound.json"))
    assert twilio_post(client, channel_id, fields, tamper=True).status_code == 403
    assert twilio_post(client, channel_id, fields, token="wrong").status_code == 403
    no_header = client.post(f"/webhooks/twilio/{channel_id}/inbound", content=urlencode(fields),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert no_header.status_code == 403
    assert events_stored() == 0
    answer = twilio_post(client, channel_id, fields)
    assert answer.status_code == 200 and answer.text.endswith("<Response/>")
    drain_inbound()
    [message] = messages()
    assert message.text == fields["Body"] and message.provider_message_id == fields["MessageSid"]


def test_twilio_whatsapp_and_sms_from_the_same_number_are_one_contact(client):
    sms, whatsapp = twilio_channel(), twilio_channel("whatsapp_twilio")
    inbound = json.loads(fixture("twilio", "sms_inbound.json"))
    phone = inbound["From"]
    twilio_post(client, sms, inbound)
    wa = dict(inbound, From=f"whatsapp:{phone}", MessageSid="SM" + "9" * 32, SmsSid="SM" + "9" * 32,
              SmsMessageSid="SM" + "9" * 32, Body="WhatsApp hello")
    twilio_post(client, whatsapp, wa)
    drain_inbound()
    with session_scope() as session:
        identities = session.exec(select(ChannelIdentity)).all()
        assert {i.kind for i in identities} == {"sms", "whatsapp"}
        assert len({i.contact_id for i in identities}) == 1


def test_recorded_telegram_updates_become_messages_and_unknown_kinds_are_acknowledged(client):
    channel_id = make_channel("telegram", config={"bot_token": "1:abc", "secret_token": "tg-secret"}).id
    headers = {"X-Telegram-Bot-Api-Secret-Token": "tg-secret", "Content-Type": "application/json"}
    for name in ("text.json", "photo.json", "callback_query.json", "unknown.json"):
        assert client.post(f"/webhooks/telegram/{channel_id}", content=fixture("telegram", name),
                           headers=headers).status_code == 200, name
    drain_inbound()
    assert [m.kind for m in messages()] == ["text", "image", "callback"]
