"""Item 15-17 of issue 13 through the API: a test message from a channel, editing and merging contacts
(with the audit log), the admin screens' access rules, and /docs served without a CDN."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.contacts import service as contacts
from hub.contacts.identities import StoredIdentity
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations import actions
from hub.conversations.models import Conversation, Message
from hub.conversations.service import open_for
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_team, make_user, token_for


def two_contacts(channel_id: int) -> tuple[int, int, int, int]:
    """陳大文 on SMS and Telegram-only 大文, each with a conversation on the channel, a tag and consent."""
    with session_scope() as session:
        a = contacts.resolve(session=session, identities=[StoredIdentity("telegram", "111")], profile_name="陳大文")
        b = contacts.resolve(session=session, identities=[StoredIdentity("telegram", "222")], profile_name="大文")
        assert a.id is not None and b.id is not None
        first, _ = open_for(session=session, contact_id=a.id, channel_id=channel_id)
        second, _ = open_for(session=session, contact_id=b.id, channel_id=channel_id)
        for conversation, text in ((first, "你好"), (second, "退款")):
            session.add(Message(conversation_id=conversation.id, channel_id=channel_id, direction="inbound",
                                kind="text", text=text, status="received"))
        actions.add_tag(session=session, conversation=second, name="vip")
        contacts.record_consent(session=session, contact_id=b.id, channel_id=channel_id, status="opted_out",
                                source="STOP")
        assert first.id is not None and second.id is not None
        return a.id, b.id, first.id, second.id


def test_an_admin_merges_two_contacts_with_their_history_and_it_is_audited(backend):
    channel = make_channel("telegram")
    assert channel.id is not None
    make_user("boss@shop.test", role="admin")
    make_user("agent@shop.test", team_ids=[make_team("HK")])
    a, b, kept, joined = two_contacts(channel.id)
    with TestClient(create_app()) as client:
        agent = token_for(client, "agent@shop.test")
        assert client.post(f"/api/v1/contacts/{a}/merge", json={"other_id": b}, headers=agent).status_code == 403
        admin = token_for(client, "boss@shop.test")
        assert client.post(f"/api/v1/contacts/{a}/merge", json={"other_id": a}, headers=admin).status_code == 422
        answer = client.post(f"/api/v1/contacts/{a}/merge", json={"other_id": b}, headers=admin)
        assert answer.status_code == 200, answer.text
        merged = answer.json()
        assert merged["merged_id"] == b and merged["conversations_joined"] == [joined]
        assert {i["value"] for i in merged["contact"]["identities"]} == {"111", "222"}
        assert [c["status"] for c in merged["contact"]["consent"]] == ["opted_out"]
        assert client.get(f"/api/v1/contacts/{b}", headers=admin).status_code == 404
    with session_scope() as session:
        assert session.get(Contact, b) is None
        assert session.get(Conversation, joined) is None
        texts = sorted(m.text or "" for m in session.exec(select(Message).where(Message.conversation_id == kept)))
        assert texts == ["你好", "退款"]  # the other thread's messages joined the survivor's
        assert actions.tags_of(session=session, conversation_id=kept) == ["vip"]
        assert {i.contact_id for i in session.exec(select(ChannelIdentity))} == {a}
        assert [c.contact_id for c in session.exec(select(Consent))] == [a]
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "contact.merged")).one()
        assert audit.target_id == str(a) and audit.details["merged_id"] == b
        assert audit.details["identities"] == ["telegram:222"]


def test_editing_a_contact_checks_its_values_and_is_audited(backend):
    channel = make_channel("telegram")
    assert channel.id is not None
    make_user("boss@shop.test", role="admin")
    a, _, _, _ = two_contacts(channel.id)
    with TestClient(create_app()) as client:
        admin = token_for(client, "boss@shop.test")
        bad = client.patch(f"/api/v1/contacts/{a}", json={"timezone": "Mars/Olympus"}, headers=admin)
        assert bad.status_code == 422 and "time zone" in bad.json()["detail"]
        answer = client.patch(f"/api/v1/contacts/{a}", headers=admin, json={
            "name": "陳大文 David", "locale": "zh_Hant", "timezone": "Asia/Hong_Kong",
            "custom_fields": {"member_no": "A123"}})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["name"], body["locale"], body["timezone"], body["custom_fields"]) == (
            "陳大文 David", "zh_Hant", "Asia/Hong_Kong", {"member_no": "A123"})
    with session_scope() as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "contact.changed")).one()
        assert audit.details == {"fields": ["name", "locale", "timezone", "custom_fields"]}  # no customer values


def test_a_test_message_goes_out_through_the_normal_send_path(backend):
    channel = make_channel("telegram", "Bot")
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app()) as client:
        admin = token_for(client, "boss@shop.test")
        refused = client.post(f"/api/v1/channels/{channel.id}/test-message", json={"to": "+852 not"}, headers=admin)
        assert refused.status_code == 422 and "chat id" in refused.json()["detail"]
        answer = client.post(f"/api/v1/channels/{channel.id}/test-message", json={"to": "700100200"}, headers=admin)
        assert answer.status_code == 202, answer.text
    with session_scope() as session:
        message = session.get(Message, answer.json()["message_id"])
        assert message is not None and message.direction == "outbound" and message.status == "queued"
        assert message.text == "Test message from Hub"
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.value == "700100200")).one()
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None and conversation.contact_id == identity.contact_id


def test_admin_screens_are_for_admins_and_docs_load_nothing_from_outside(backend):
    make_user("boss@shop.test", role="admin")
    make_user("agent@shop.test")
    with TestClient(create_app()) as client:
        for path in ("/admin/channels", "/admin/users", "/admin/canned-replies", "/admin/contacts"):
            assert client.get(path, follow_redirects=False).status_code == 303, path
        agent = token_for(client, "agent@shop.test")
        assert client.post("/admin/users", headers=agent, data={"email": "x@y.z"}).status_code == 403
        bearer = token_for(client, "boss@shop.test")
        docs = client.get("/docs", headers=bearer).text
        assert "/docs/assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
        assert "https://" not in client.get("/redoc", headers=bearer).text
        script = client.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert client.get("/docs/assets/../../etc/passwd").status_code == 404


def test_the_contacts_search_filters_by_channel_tag_and_opt_out(backend):
    bot, sms = make_channel("telegram", "Bot"), make_channel("sms_twilio", "SMS")
    assert bot.id is not None and sms.id is not None
    a, b, _, _ = two_contacts(bot.id)  # b is tagged vip (on its conversation) and opted out on the bot
    from hub.contacts import manage
    from hub.tags.models import ContactTag, Tag

    with session_scope() as session:
        c = contacts.resolve(session=session, identities=[StoredIdentity("sms", "+819012345678", "+819012345678")],
                             profile_name="鈴木花子")
        open_for(session=session, contact_id=c.id or 0, channel_id=sms.id)
        tag = Tag(name="wholesale")
        session.add(tag)
        session.flush()
        session.add(ContactTag(contact_id=c.id or 0, tag_id=tag.id or 0))
        contacts.record_consent(session=session, contact_id=a, channel_id=bot.id, status="opted_out", source="STOP")
        contacts.record_consent(session=session, contact_id=a, channel_id=bot.id, status="opted_in", source="START")

        def ids(**filters: object) -> list[int]:
            return [row.id or 0 for row in manage.search(session=session, **filters)]  # type: ignore[arg-type]

        assert ids(q="大文") == [b, a]
        assert ids(q="+8190") == [c.id]  # an address
        assert ids(channel_id=sms.id) == [c.id]
        assert ids(tag="wholesale") == [c.id]
        assert ids(opted_out=True) == [b]  # a opted back in: the newest record wins


def test_the_channel_screen_shows_each_providers_webhook_urls_and_never_a_secret(backend):
    from hub.runtime.settings import get_settings
    from tests.factories import PASSWORD

    meta = make_channel("whatsapp_meta", "WhatsApp", config={"phone_number_id": "1055", "access_token": "EAAG-SECRET",
                                                              "app_secret": "app-SECRET", "verify_token": "vt-SECRET"})
    twilio = make_channel("sms_twilio", "SMS", config={"account_sid": "AC123", "auth_token": "tw-SECRET",
                                                       "from_number": "+15005550006"})
    make_user("boss@shop.test", role="admin")
    base = get_settings().public_url
    with TestClient(create_app(), base_url=base) as client:  # the session cookie is Secure on https
        client.post("/login", data={"email": "boss@shop.test", "password": PASSWORD})
        page = client.get("/admin/channels")
        assert page.status_code == 200
        for url in (f"{base}/webhooks/meta/{meta.id}", f"{base}/webhooks/twilio/{twilio.id}/inbound",
                    f"{base}/webhooks/twilio/{twilio.id}/status"):
            assert f'value="{url}"' in page.text, url
        assert "SECRET" not in page.text
        form = client.get("/admin/channels?kind=whatsapp_meta").text
        assert 'name="config.app_secret" class="input" type="password"' in form
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        refused = client.post("/admin/channels", data={"kind": "telegram", "name": "Bot"})  # no CSRF token
        assert refused.status_code == 403
        made = client.post("/admin/channels", data={"kind": "telegram", "name": "Bot", "csrf_token": csrf,
                                                    "config.bot_token": "123:BOT-SECRET",
                                                    "config.secret_token": "st-SECRET"}, follow_redirects=True)
        assert made.status_code == 200, made.text.split("role=\"alert\">")[-1][:300]
        assert "Channel created" in made.text and "BOT-SECRET" not in made.text


def test_a_merge_keeps_the_survivors_open_cart_where_only_one_may_be_open(backend):
    from catalog.models import Cart
    from hub.contacts import manage

    channel = make_channel("telegram")
    assert channel.id is not None
    a, b, _, _ = two_contacts(channel.id)
    with session_scope() as session:
        session.add(Cart(contact_id=a, currency="HKD"))
        session.add(Cart(contact_id=b, currency="HKD"))
        session.add(Cart(contact_id=b, currency="HKD", status="paid"))
        session.flush()
        survivor, other = session.get(Contact, a), session.get(Contact, b)
        assert survivor is not None and other is not None
        manage.merge(session=session, actor_id=None, survivor=survivor, other=other)
    with session_scope() as session:
        carts = sorted((c.contact_id, c.status) for c in session.exec(select(Cart)))
        assert carts == [(a, "open"), (a, "paid")]  # one open cart per contact, the paid one's history kept
