"""Stores, store staff and issued coupons for the stores tests."""

from __future__ import annotations

from datetime import datetime

from catalog.stores import coupons
from catalog.stores import service as stores
from catalog.stores.models import CouponSource
from hub.contacts import service as contacts
from hub.contacts.identities import StoredIdentity
from hub.runtime.db import session_scope


def make_store(name: str = "Causeway Bay", staff_ids: list[int] | None = None, timezone: str = "Asia/Hong_Kong") -> int:
    with session_scope() as session:
        return stores.create(session=session, name=name, address="500 Hennessy Road", timezone=timezone,
                             staff_ids=staff_ids or []).id or 0


def make_contact(phone: str = "+85291230000", name: str = "陳大文") -> int:
    with session_scope() as session:
        contact = contacts.resolve(session=session, identities=[StoredIdentity("whatsapp", phone, phone)],
                                   profile_name=name)
        return contact.id or 0


def make_coupon(contact_id: int, code: str = "SPRINGK7QX2M9A", campaign_id: int | None = 1,
                expires_at: datetime | None = None, offer: str = "10% off / 九折") -> str:
    with session_scope() as session:
        return coupons.issue(session=session, issue=coupons.Issue(
            source_key=f"test:{code}", contact_id=contact_id, code=code, source=CouponSource.campaign,
            campaign_id=campaign_id, offer=offer, expires_at=expires_at)).code
