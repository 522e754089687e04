"""Coupons: issued once per source (a broadcast's recipient, a journey run's step, a bot), shown to the
customer on a signed page with a QR code, and redeemed once at a store's till.

Redemption is one compare-and-set UPDATE (`… WHERE state = 'issued'`): of two tills redeeming the same code
at once exactly one changes the row; the other reads it back and is refused as already used. The redemption
emits `coupon.redeemed` in the same transaction, so the outgoing webhooks' outbox writes it with the change,
and `flows` counts a store visit for the coupon's campaign or journey.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog.stores.models import Coupon, CouponSource, CouponState, Store
from hub.runtime import events
from hub.runtime.db import as_utc, utcnow
from hub.runtime.settings import get_settings

COUPON_REDEEMED = "coupon.redeemed"
"""A coupon was redeemed at a store (once per coupon): data coupon_id, code, contact_id, store_id, campaign_id,
flow_id, run_id, redeemed_by_id, redeemed_at."""
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out at a till


class CouponRefusal(StrEnum):
    """Why a code was not redeemed."""

    unknown = "unknown"
    already_redeemed = "already_redeemed"
    expired = "expired"
    other_campaign = "other_campaign"
    unknown_store = "unknown_store"


REASONS = {
    CouponRefusal.unknown: "no coupon has this code",
    CouponRefusal.already_redeemed: "this coupon was already redeemed",
    CouponRefusal.expired: "this coupon has expired",
    CouponRefusal.other_campaign: "this coupon belongs to another campaign",
    CouponRefusal.unknown_store: "no active store has this id",
}


class CouponRefused(Exception):
    def __init__(self, refusal: CouponRefusal, coupon: Coupon | None = None) -> None:
        super().__init__(REASONS[refusal])
        self.refusal, self.coupon = refusal, coupon


@dataclass(frozen=True)
class Issue:
    """One coupon to hand out. `code` None: a fresh random one (with `prefix`)."""

    source_key: str
    contact_id: int
    source: CouponSource
    code: str | None = None
    prefix: str = ""
    offer: str = ""
    campaign_id: int | None = None
    flow_id: int | None = None
    run_id: int | None = None
    bot_id: int | None = None
    expires_at: datetime | None = None


def normalize(code: str) -> str:
    return "".join(code.split()).upper()[:40]


def new_code(prefix: str = "", length: int = 8) -> str:
    return normalize(prefix) + "".join(secrets.choice(ALPHABET) for _ in range(length))


def issue_many(*, session: Session, issues: Sequence[Issue], chunk: int = 1000) -> dict[str, str]:
    """Coupon rows for these sources (those issued before are kept as they were): source key → code."""
    keys = [issue.source_key for issue in issues]
    known = _codes(session, keys)
    fresh = [issue for issue in issues if issue.source_key not in known]
    for start in range(0, len(fresh), chunk):
        rows = [_row(issue) for issue in fresh[start:start + chunk]]
        if rows:
            session.execute(Coupon.__table__.insert(), rows)  # type: ignore[attr-defined]
    return {**known, **_codes(session, [issue.source_key for issue in fresh])}


def issue(*, session: Session, issue: Issue) -> Coupon:
    """One coupon (the one issued before for the same source, if any); safe when two callers race."""
    known = session.exec(select(Coupon).where(Coupon.source_key == issue.source_key)).first()
    if known is not None:
        return known
    try:
        with session.begin_nested():
            session.execute(Coupon.__table__.insert(), [_row(issue)])  # type: ignore[attr-defined]
    except IntegrityError:
        pass  # another caller issued it first
    found = session.exec(select(Coupon).where(Coupon.source_key == issue.source_key)).one()
    return found


def _row(issue: Issue) -> dict[str, Any]:
    return {"code": normalize(issue.code) if issue.code else new_code(issue.prefix), "offer": issue.offer[:500],
            "source": issue.source.value, "source_key": issue.source_key[:120], "campaign_id": issue.campaign_id,
            "flow_id": issue.flow_id, "run_id": issue.run_id, "bot_id": issue.bot_id, "contact_id": issue.contact_id,
            "issued_at": utcnow(), "expires_at": issue.expires_at, "state": CouponState.issued.value}


def _codes(session: Session, keys: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        rows = session.execute(select(col(Coupon.source_key), col(Coupon.code))
                               .where(col(Coupon.source_key).in_(keys[start:start + 1000])))
        found.update({str(key): str(code) for key, code in rows})
    return found


def find(*, session: Session, code: str) -> Coupon | None:
    return session.exec(select(Coupon).where(Coupon.code == normalize(code))).first()


def state_of(coupon: Coupon, now: datetime | None = None) -> CouponState:
    """The state a person should see: an issued coupon past its end reads as expired."""
    if coupon.state == CouponState.issued.value and coupon.expires_at is not None \
            and as_utc(coupon.expires_at) <= as_utc(now or utcnow()):
        return CouponState.expired
    return CouponState(coupon.state)


def redeem(*, session: Session, code: str, store_id: int, user_id: int | None, campaign_id: int | None = None,
           now: datetime | None = None) -> Coupon:
    """Redeem a code at a store, once; `CouponRefused` with the reason otherwise. `campaign_id`: the till
    accepts only that campaign's coupons. The caller commits."""
    now = now or utcnow()
    store = session.get(Store, store_id)
    if store is None or not store.active:
        raise CouponRefused(CouponRefusal.unknown_store)
    coupon = find(session=session, code=code)
    if coupon is None or coupon.id is None:
        raise CouponRefused(CouponRefusal.unknown)
    if campaign_id is not None and coupon.campaign_id != campaign_id:
        raise CouponRefused(CouponRefusal.other_campaign, coupon)
    if state_of(coupon, now) == CouponState.expired:
        raise CouponRefused(CouponRefusal.expired, coupon)
    table = Coupon.__table__  # type: ignore[attr-defined]
    fresh = table.c.expires_at.is_(None) | (table.c.expires_at > now)
    changed = session.execute(update(table).where(table.c.id == coupon.id, table.c.state == CouponState.issued.value,
                                                  fresh)
                              .values(state=CouponState.redeemed.value, redeemed_at=now, store_id=store_id,
                                      redeemed_by_id=user_id))
    session.refresh(coupon)
    if int(cast(CursorResult[Any], changed).rowcount) != 1:
        raise CouponRefused(CouponRefusal.expired if state_of(coupon, now) == CouponState.expired
                            else CouponRefusal.already_redeemed, coupon)
    events.emit(session, COUPON_REDEEMED, coupon_id=coupon.id, code=coupon.code, contact_id=coupon.contact_id,
                store_id=store_id, campaign_id=coupon.campaign_id, flow_id=coupon.flow_id, run_id=coupon.run_id,
                redeemed_by_id=user_id, redeemed_at=now)
    return coupon


def expire_due(*, session: Session, now: datetime | None = None) -> int:
    """Mark issued coupons past their end expired; how many."""
    table = Coupon.__table__  # type: ignore[attr-defined]
    due = table.c.expires_at.is_not(None) & (table.c.expires_at <= (now or utcnow()))
    result = session.execute(update(table).where(table.c.state == CouponState.issued.value, due)
                             .values(state=CouponState.expired.value))
    return int(cast(CursorResult[Any], result).rowcount)


def visits(*, session: Session, campaign_ids: Sequence[int] = (), flow_ids: Sequence[int] = (),
           store_id: int | None = None) -> dict[int, int]:
    """Redeemed coupons (store visits) per campaign, or per flow when `flow_ids` are given."""
    key = col(Coupon.flow_id) if flow_ids else col(Coupon.campaign_id)
    query = (select(key, func.count()).where(col(Coupon.state) == CouponState.redeemed.value,
                                             key.in_(list(flow_ids or campaign_ids)))
             .group_by(key))
    if store_id is not None:
        query = query.where(col(Coupon.store_id) == store_id)
    return {int(owner): int(count) for owner, count in session.execute(query)}


def visits_by_store(*, session: Session, campaign_id: int) -> list[dict[str, Any]]:
    """A campaign's redeemed coupons per store, most first: [{store_id, store_name, visits}]."""
    rows = session.execute(select(col(Coupon.store_id), col(Store.name), func.count())
                           .outerjoin(Store, col(Store.id) == col(Coupon.store_id))
                           .where(col(Coupon.campaign_id) == campaign_id,
                                  col(Coupon.state) == CouponState.redeemed.value)
                           .group_by(col(Coupon.store_id), col(Store.name)))
    found = [{"store_id": store_id, "store_name": name, "visits": int(count)} for store_id, name, count in rows]
    return sorted(found, key=lambda row: (-int(row["visits"]), str(row["store_name"] or "")))


# --- the customer's page ---------------------------------------------------------------------------------------

def signature(code: str) -> str:
    """What makes a coupon page's address unguessable: an HMAC of the code with the shop's secret."""
    key = get_settings().resolved_secret_key().encode()
    digest = hmac.new(key, b"coupon:" + normalize(code).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:15]).decode()


def signature_ok(code: str, given: str) -> bool:
    return hmac.compare_digest(signature(code), given)


def page_url(code: str) -> str:
    """The customer's coupon page: the code and the QR a store scans."""
    return f"{get_settings().public_url}/c/{normalize(code)}/{signature(code)}"
