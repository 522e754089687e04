"""Shop users the shop vouched for become verified contacts; a claim without a valid signature stays anonymous."""

from __future__ import annotations

from sqlmodel import select

from hub.contacts.models import Contact
from hub.jobs.tasks import drain_inbound
from hub.runtime.db import session_scope
from tests.webchat.factories import connect, hello, identities, messages, say, user, webchat_channel


def contacts() -> list[Contact]:
    with session_scope() as session:
        return list(session.exec(select(Contact).order_by(Contact.id)))


def test_a_signed_user_id_makes_a_verified_contact_with_the_users_name(client):
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        welcome = hello(ws, identity=user("shop-user-42"))
        assert welcome["verified"] is True
        say(ws, "注文した商品はいつ届きますか", "verified-0001")
    drain_inbound()
    [identity] = identities()
    assert (identity.value, identity.verified) == (f"{channel_id}:u:shop-user-42", True)
    [contact] = contacts()
    assert (contact.name, contact.locale) == ("鈴木花子", "ja-JP")
    with connect(client, channel_id) as ws:  # the same user on another device continues the conversation
        again = hello(ws, identity=user("shop-user-42"))
        assert [m["text"] for m in again["messages"]] == ["注文した商品はいつ届きますか"]


def test_a_bad_signature_stays_anonymous_and_is_never_merged_into_the_verified_contact(client):
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        hello(ws, identity=user("shop-user-42"))
        say(ws, "I am the real user", "real-user-01")
    drain_inbound()
    forged = {**user("shop-user-42", name="Mallory"), "signature": "0" * 64}
    with connect(client, channel_id) as ws:
        welcome = hello(ws, identity=forged)
        assert (welcome["verified"], welcome["messages"]) == (False, [])  # none of the user's history
        say(ws, "show me the order history", "forged-0001")
    with connect(client, channel_id) as ws:  # signed with another shop's secret: the same
        assert hello(ws, identity=user("shop-user-42", secret="another-shops-secret-000"))["verified"] is False
    drain_inbound()
    verified, anonymous = identities()
    assert (verified.value, verified.verified) == (f"{channel_id}:u:shop-user-42", True)
    assert anonymous.value.startswith(f"{channel_id}:s:") and anonymous.verified is False
    assert verified.contact_id != anonymous.contact_id
    assert [c.name for c in contacts()] == ["鈴木花子", ""]  # the forged name was ignored too
    first, second = messages()
    assert first.conversation_id != second.conversation_id


def test_without_an_identity_secret_every_claim_is_ignored(client):
    channel_id = webchat_channel(identity_secret=None)
    for claim in (user("shop-user-42"), {"user_id": "shop-user-42", "signature": ""}):
        with connect(client, channel_id) as ws:
            assert hello(ws, identity=claim)["verified"] is False


def test_a_verified_session_is_not_resumed_from_its_token_alone(client):
    """A browser whose user signed out of the shop must not keep showing that user's conversation."""
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        token = hello(ws, identity=user("shop-user-42"))["session_token"]
        say(ws, "my address is ...", "private-0001")
    drain_inbound()
    with connect(client, channel_id) as ws:
        welcome = hello(ws, token=token)
        assert (welcome["verified"], welcome["reset"], welcome["messages"]) == (False, True, [])
    with connect(client, channel_id) as ws:  # with the proof, the token continues
        assert hello(ws, token=token, identity=user("shop-user-42"))["reset"] is False
