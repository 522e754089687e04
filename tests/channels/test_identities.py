"""Phone numbers to E.164 and WhatsApp user ids."""

from __future__ import annotations

from channels.identities import e164, is_whatsapp_user_id, phone_identity, unique
from channels.types import IdentityRef


def test_e164() -> None:
    assert e164("85291234567") == "+85291234567"
    assert e164("+1 (650) 555-1234") == "+16505551234"
    assert e164("8613800138000") == "+8613800138000"
    assert e164("US.13491208655302741918") is None
    assert e164("") is None and e164("not a number") is None


def test_whatsapp_user_ids() -> None:
    assert is_whatsapp_user_id("US.13491208655302741918")
    assert is_whatsapp_user_id("US.ENT.11815799212886844830")
    assert not is_whatsapp_user_id("+85291234567")


def test_identity_helpers() -> None:
    phone = IdentityRef("phone", "+85291234567")
    assert phone_identity("85291234567") == phone and phone_identity(None) is None
    assert unique([phone, None, phone, IdentityRef("whatsapp_user", "HK.1")]) == (
        phone,
        IdentityRef("whatsapp_user", "HK.1"),
    )
