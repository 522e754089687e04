"""Personal fields, the sandbox, buttons and WhatsApp's 24-hour rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from flows.campaigns import service
from flows.campaigns.models import Campaign, Recipient, TrackedLink
from flows.campaigns.personalise import (
    OUTSIDE_WINDOW_REASON,
    ContactFields,
    OutsideWindow,
    TemplateInvalid,
    check_template,
    compose,
    message_for,
    render,
)
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope, utcnow
from tests.factories import make_channel


def campaign(**extra: object) -> Campaign:
    values: dict[str, object] = {"id": 7, "name": "sale", "variants": [{"name": "A", "text": "Hi"}]}
    values.update(extra)
    return Campaign(**values)  # type: ignore[arg-type]


def test_missing_fields_fall_back_to_defaults_or_empty() -> None:
    c = campaign(variants=[{"name": "A", "text": "Hi {{ contact.first_name }} ({{ contact.custom.size }}) "
                                                "{{ contact.custom.colour }}{{ coupon }}{{ nothing.at.all }}!"}],
                 defaults={"first_name": "friend", "custom.size": "M"})
    kind, text, _ = compose(c, "A", ContactFields(name=""))
    assert (kind, text) == ("text", "Hi friend (M) !")
    _, text, _ = compose(c, "A", ContactFields(name="Ann Lee", custom={"size": "L"}, coupon="X1"))
    assert text == "Hi Ann (L) X1!"


def test_cjk_text_survives() -> None:
    c = campaign(variants=[{"name": "A", "text": "{{ contact.name }}您好，{{ shop }}優惠碼 {{ coupon }} 🎉"}],
                 defaults={"shop": "小店"})
    _, text, _ = compose(c, "A", ContactFields(name="陳大文", coupon="HK88"))
    assert text == "陳大文您好，小店優惠碼 HK88 🎉"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ contact.__init__.__globals__ }}", "{{ cycler.__init__.__globals__.os }}",
])
def test_sandbox_blocks_internals_and_never_raises(source: str) -> None:
    out = render(source + " ok", {"contact": {"name": "x"}})
    assert "class" not in out and "module" not in out and "os" not in out.replace("ok", "")
    assert out.endswith("ok")


def test_syntax_error_is_reported_at_check_time() -> None:
    with pytest.raises(TemplateInvalid, match="variant A text"):
        check_template("Hi {{ contact.name ", "variant A text")


def test_buttons_quick_reply_ids_and_unsafe_urls_dropped() -> None:
    c = campaign(variants=[{"name": "A", "text": "Hi", "buttons": [
        {"title": "Yes"}, {"title": "Shop", "url": "https://shop.example/{{ coupon }}"},
        {"title": "Bad", "url": "javascript:alert(1)"}]}])
    kind, _, payload = compose(c, "A", ContactFields(coupon="C9"))
    assert kind == "buttons"
    assert payload["buttons"] == [{"title": "Yes", "id": "campaign:7:0"},
                                  {"title": "Shop", "url": "https://shop.example/C9"}]


def _setup(kind: str, inbound_hours_ago: float | None, **extra: object) -> tuple[int, int, int]:
    channel = make_channel(kind=kind, name=kind)
    with session_scope() as session:
        contact = Contact(name="鈴木 花子")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id or 0, kind="whatsapp", value="+81312345678",
                                    phone="+81312345678"))
        if inbound_hours_ago is not None:
            session.add(Conversation(contact_id=contact.id or 0, channel_id=channel.id or 0,
                                     last_inbound_at=utcnow() - timedelta(hours=inbound_hours_ago)))
        c = service.create(session=session, data={
            "name": "c", "channel_ids": [channel.id], "variants": [{
                "name": "A", "text": "{{ contact.name }}さん", "buttons": [{"title": "Open", "url": "https://shop.example/a"}]}],
            **extra})
        recipient = Recipient(campaign_id=c.id or 0, contact_id=contact.id or 0, channel_id=channel.id)
        session.add(recipient)
        session.flush()
        return c.id or 0, recipient.id or 0, channel.id or 0


def _message(campaign_id: int, recipient_id: int, channel_id: int) -> tuple[str, str | None, dict[str, object]]:
    from hub.channel_records.models import Channel

    with session_scope() as session:
        c = session.get(Campaign, campaign_id)
        r = session.get(Recipient, recipient_id)
        assert c is not None and r is not None
        contact = session.get(Contact, r.contact_id)
        channel = session.get(Channel, channel_id)
        assert contact is not None and channel is not None
        return message_for(session, c, r, contact, channel)


def test_tracked_link_is_per_recipient_and_reused(backend: object) -> None:
    ids = _setup("whatsapp_meta", 1)
    kind, text, payload = _message(*ids)
    again = _message(*ids)
    assert (kind, text) == ("buttons", "鈴木 花子さん")
    url = payload["buttons"][0]["url"]  # type: ignore[index]
    assert url.startswith("https://hub.example.test/l/") and again[2]["buttons"][0]["url"] == url  # type: ignore[index]
    with session_scope() as session:
        links = list(session.exec(select(TrackedLink)))
        assert [(link.recipient_id, link.url) for link in links] == [(ids[1], "https://shop.example/a")]


def test_outside_the_window_gets_the_template(backend: object) -> None:
    ids = _setup("whatsapp_meta", 30, template={"name": "spring_sale", "language": "zh_HK",
                                                "params": ["{{ contact.first_name }}", "{{ coupon }}"]},
                 defaults={"coupon": "NONE"})
    kind, _, payload = _message(*ids)
    assert kind == "template"
    assert payload["template_name"] == "spring_sale" and payload["template_params"] == ["鈴木", "NONE"]


def test_outside_the_window_without_template_is_refused(backend: object) -> None:
    ids = _setup("whatsapp_meta", None)
    with pytest.raises(OutsideWindow) as refused:
        _message(*ids)
    assert refused.value.reason == OUTSIDE_WINDOW_REASON


def test_channels_without_a_window_always_get_free_form(backend: object) -> None:
    ids = _setup("telegram", None)
    assert _message(*ids)[0] == "buttons"


BOMBS = ["{{ 'ab' * 50000000 }}",
         "{% for i in range(2000) %}{% for j in range(2000) %}x{% endfor %}{% endfor %}",
         "{{ contact.name|center(80000000) }}", "{% set s = 'x' %}{{ s ~ s ~ s }}"]


@pytest.mark.parametrize("bomb", BOMBS)
def test_templates_that_would_exhaust_a_worker_are_refused_and_never_rendered(bomb: str) -> None:
    with pytest.raises(TemplateInvalid, match="only name values"):
        check_template(f"Hi {bomb}", "variant A text")
    # a campaign stored before the rule: its message goes out with the field removed, never expanded
    c = campaign(variants=[{"name": "A", "text": f"Hi {bomb}!", "buttons": [{"title": bomb}]}])
    kind, text, payload = compose(c, "A", ContactFields(name="Ann"))
    assert text is not None and text.startswith("Hi ") and text.endswith("!") and len(text) < 10
    assert len(payload["buttons"][0]["title"]) < 10


def test_a_huge_field_value_is_cut_at_the_cap() -> None:
    c = campaign(variants=[{"name": "A", "text": "{{ contact.custom.note }}{{ contact.custom.note }}"}])
    _, text, _ = compose(c, "A", ContactFields(name="Ann", custom={"note": "長" * 3000}))
    assert text == "長" * 4096  # WhatsApp's longest text body
