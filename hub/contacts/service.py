"""Finding and creating contacts from the addresses customers write from."""

from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from sqlmodel import Session, col, select

from hub.channel_records.models import Channel
from hub.contacts.identities import StoredIdentity
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations import store
from hub.runtime import events
from hub.runtime.settings import get_settings


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


def resolve(
    *,
    session: Session,
    identities: Sequence[StoredIdentity],
    profile_name: str | None = None,
    locale: str | None = None,
    verified: bool = False,
) -> Contact:
    """The contact who owns any of these identities (or their phone), created if none does: the
    conversation store's `contacts_for` with a list of one (its rules: identities joined, profile refreshed,
    safe under concurrency)."""
    [contact_id] = store.contacts_for(session, [store.Sender(tuple(identities), profile_name, locale,
                                                             verified=verified)])
    contact = session.get(Contact, contact_id, populate_existing=True)
    assert contact is not None
    return contact


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


def contacts_by_identity(*, session: Session, kind: str, values: Sequence[str]) -> dict[str, int]:
    """Who owns these addresses of one kind (a member number, an email): value → contact id; unknown ones absent."""
    found: dict[str, int] = {}
    wanted = sorted(set(values))
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        rows = session.exec(select(ChannelIdentity.value, ChannelIdentity.contact_id)
                            .where(ChannelIdentity.kind == kind, col(ChannelIdentity.value).in_(chunk)))
        found.update({str(value): int(contact_id) for value, contact_id in rows})
    return found


def resolve_many(*, session: Session, people: Sequence[tuple[Sequence[StoredIdentity], str | None]]) -> list[int]:
    """`resolve` for many people at once (set-based): each one's contact id, in order."""
    return store.contacts_for(session, [store.Sender(tuple(identities), name) for identities, name in people])
