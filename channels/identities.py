"""Provider addresses turned into Hub identities: E.164 phones and WhatsApp user ids."""

from __future__ import annotations

import re

import phonenumbers

from channels.types import IdentityRef

# A business-scoped WhatsApp user id: ISO country code, a dot, then letters and digits
# (`US.13491208655302741918`, or `US.ENT.…` for a parent id).
_WHATSAPP_USER_ID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9.]+$")


def e164(raw: str) -> str | None:
    """The E.164 form of a phone number given with or without "+", or None if it is not one."""
    digits = raw.strip()
    if not digits:
        return None
    if not digits.startswith("+"):
        digits = "+" + digits
    if not re.fullmatch(r"\+[0-9 ()\-.]+", digits):
        return None
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_identity(raw: str | None) -> IdentityRef | None:
    """A `phone` identity, or None when `raw` is empty or not a phone number."""
    if not raw:
        return None
    number = e164(raw)
    return IdentityRef("phone", number) if number else None


def is_whatsapp_user_id(value: str) -> bool:
    """True for a business-scoped WhatsApp user id (BSUID) such as `US.13491208655302741918`."""
    return bool(_WHATSAPP_USER_ID.match(value))


def unique(identities: list[IdentityRef | None]) -> tuple[IdentityRef, ...]:
    """The identities that are set, in order, without repeats."""
    seen: list[IdentityRef] = []
    for identity in identities:
        if identity is not None and identity not in seen:
            seen.append(identity)
    return tuple(seen)
