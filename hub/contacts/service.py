"""Finding and creating contacts from the addresses customers write from."""

from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hub import events
from hub.channel_records.models import Channel
from hub.contacts import locales
from hub.contacts.identities import StoredIdentity
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.db import utcnow
from hub.settings import get_settings


class InvalidPhone(ValueError):
    """A phone number that is not a possible E.164 number."""


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 for a phone typed in any common form (`+852 9123 4567`, `whatsapp:+8529...`)."""
    text = raw.strip().removeprefix("whatsapp:")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"{raw!r} is not a phone number: {error}") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def get(*, session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


def identities_of(*, session: Session, contact_id: int) -> list[ChannelIdentity]:
    query = select(ChannelIdentity).where(ChannelIdentity.contact_id == contact_id).order_by(
        col(ChannelIdentity.id)
    )
    return list(session.exec(query))


def _find(session: Session, refs: Sequence[StoredIdentity]) -> list[ChannelIdentity]:
    """Identities already stored for these refs, exact matches first, then by shared phone."""
    found: list[ChannelIdentity] = []
    for ref in refs:
        row = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.kind == ref.kind, ChannelIdentity.value == ref.value)
        ).first()
        if row is not None:
            found.append(row)
    if not found:
        for ref in refs:
            if ref.phone:
                row = session.exec(select(ChannelIdentity).where(ChannelIdentity.phone == ref.phone)
                                   .order_by(col(ChannelIdentity.id))).first()
                if row is not None:
                    found.append(row)
    return found


def _attach(session: Session, contact_id: int, ref: StoredIdentity, verified: bool) -> None:
    """Add an identity to a contact unless another contact already holds it."""
    try:
        with session.begin_nested():
            session.add(ChannelIdentity(contact_id=contact_id, kind=ref.kind, value=ref.value, phone=ref.phone,
                                        verified=verified))
    except IntegrityError:
        pass


def resolve(
    *,
    session: Session,
    identities: Sequence[StoredIdentity],
    profile_name: str | None = None,
    locale: str | None = None,
    verified: bool = False,
) -> Contact:
    """The contact who owns any of these identities (or their phone), created if none does.

    Identities not seen before are linked to that contact: a phone seen on WhatsApp after SMS, or
    a WhatsApp user id seen with a phone. Safe under concurrency: the unique (kind, value)
    constraint decides the winner.
    """
    if not identities:
        raise ValueError("a contact needs at least one identity")
    for _ in range(3):
        existing = _find(session, identities)
        if existing:
            contact = session.get(Contact, existing[0].contact_id)
            assert contact is not None
            known = {(row.kind, row.value) for row in existing}
            for ref in identities:
                if (ref.kind, ref.value) not in known:
                    _attach(session, existing[0].contact_id, ref, verified)
            _refresh_profile(session, contact, profile_name, locale)
            return contact
        try:
            with session.begin_nested():
                phones = [ref.phone for ref in identities if ref.phone]
                contact = Contact(name=profile_name or "", locale=locales.first_locale(
                    provided=locale, phones=phones, text=None), timezone=locales.first_zone(phones))
                session.add(contact)
                session.flush()
                assert contact.id is not None
                for ref in identities:
                    session.add(ChannelIdentity(contact_id=contact.id, kind=ref.kind, value=ref.value,
                                                phone=ref.phone, verified=verified))
                session.flush()
            return contact
        except IntegrityError:
            continue  # someone else created it at the same moment: find theirs
    raise RuntimeError("could not resolve the contact after concurrent inserts")


def _refresh_profile(session: Session, contact: Contact, profile_name: str | None, locale: str | None) -> None:
    changed = False
    if profile_name and contact.name != profile_name:
        contact.name = profile_name
        changed = True
    if locale and not contact.locale:
        contact.locale = locale
        changed = True
    if changed:
        contact.updated_at = utcnow()
        session.add(contact)
        events.emit(session, events.CONTACT_UPDATED, contact_id=contact.id)


def consent_status(*, session: Session, contact_id: int, channel_id: int) -> str | None:
    """`opted_in`, `opted_out`, or None when the contact never said either on this channel."""
    row = session.exec(
        select(Consent)
        .where(Consent.contact_id == contact_id, Consent.channel_id == channel_id)
        .order_by(col(Consent.created_at).desc(), col(Consent.id).desc())
    ).first()
    return row.status if row else None


def record_consent(*, session: Session, contact_id: int, channel_id: int, status: str, source: str,
                   purpose: str = "marketing") -> Consent:
    """Record an opt-in or opt-out (the newest record wins). With HUB_OPTOUT_ALL_CHANNELS an opt-out is
    recorded on every channel, so it stops broadcasts and replies everywhere."""
    if status not in ("opted_in", "opted_out"):
        raise ValueError("consent status must be opted_in or opted_out")
    consent = Consent(contact_id=contact_id, channel_id=channel_id, status=status, source=source[:200],
                      purpose=purpose)
    session.add(consent)
    if status == "opted_out" and get_settings().optout_all_channels:
        others = session.exec(select(col(Channel.id)).where(col(Channel.id) != channel_id))
        for other in others:
            assert other is not None
            session.add(Consent(contact_id=contact_id, channel_id=other, status=status, purpose=purpose,
                                source=f"{source[:150]} (on channel {channel_id}, applies to all)"))
    session.flush()
    events.emit(session, events.CONTACT_UPDATED, contact_id=contact_id)
    return consent
