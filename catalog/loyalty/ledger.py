"""Posting to the points ledger: every change locks the contact's balance row first, so concurrent earns,
refunds, expiries and adjustments on one contact run one after another and the balance stays the sum of the
entries. An idempotency key, unique in the database, makes an event delivered twice post once.

Points are spent oldest first: a negative entry takes from the `remaining` of the oldest positive entries (a
refund from its own order's entry first), and expiry takes what is left of an entry past its `expires_at`.
The caller commits; a tier change is an event delivered after that commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from catalog.errors import CatalogError
from catalog.loyalty.models import EntryKind, LoyaltyAccount, LoyaltyEntry, LoyaltyProgram, LoyaltyTier
from hub.runtime import events, upsert
from hub.runtime.db import utcnow

TIER_CHANGED = "loyalty.tier_changed"
"""A contact's tier changed (up or down): data contact_id, from_tier, to_tier (names, None for no tier),
entry_id (the ledger entry that moved it)."""
BALANCE_CHANGED = "loyalty.balance_changed"
"""A contact's points changed: data contact_id, balance, tier (the live contact panel refreshes)."""
QUALIFYING = (EntryKind.earn.value, EntryKind.reverse.value, EntryKind.adjust.value)


class LoyaltyError(CatalogError):
    """A ledger change refused (the API answers 4xx with the sentence)."""


class NotEnoughPoints(LoyaltyError):
    """Taking the points would leave the balance below zero, which the program does not allow."""


@dataclass(frozen=True)
class Posted:
    """What a post did: the entry (the earlier one when the key was seen before), and whether this call
    wrote it."""

    entry: LoyaltyEntry | None
    created: bool
    account: LoyaltyAccount


def program(session: Session) -> LoyaltyProgram:
    """The program's settings (the defaults when an admin never saved any)."""
    return session.get(LoyaltyProgram, 1) or LoyaltyProgram()


def lock_account(session: Session, contact_id: int) -> LoyaltyAccount:
    """The contact's balance row, made if missing, locked FOR UPDATE until the transaction ends."""
    upsert(session, LoyaltyAccount.__table__, [{"contact_id": contact_id, "balance": 0,  # type: ignore[attr-defined]
                                                 "qualifying_points": 0, "updated_at": utcnow()}],
           key=["contact_id"])
    account = session.get(LoyaltyAccount, contact_id, with_for_update=True, populate_existing=True)
    assert account is not None
    return account


def entry_by_key(session: Session, key: str) -> LoyaltyEntry | None:
    return session.exec(select(LoyaltyEntry).where(LoyaltyEntry.idempotency_key == key)).first()


def post(*, session: Session, contact_id: int, kind: EntryKind, points: int, key: str, reason: str = "",
         order_id: int | None = None, actor_id: int | None = None, clamp: bool = False,
         now: datetime | None = None) -> Posted:
    """Add one entry under the contact's lock. Positive points expire after the program's `expiry_days`.

    A negative entry that would take the balance below zero is refused (`NotEnoughPoints`) unless the program
    allows it; with `clamp` it takes what there is instead (nothing: no entry). The same `key` again: the
    first entry, `created` False.
    """
    now = now or utcnow()
    account = lock_account(session, contact_id)
    known = entry_by_key(session, key)
    if known is not None:
        return Posted(entry=known, created=False, account=account)
    settings = program(session)
    if points < 0 and account.balance + points < 0 and not settings.allow_negative:
        if not clamp:
            raise NotEnoughPoints(f"the contact has {account.balance} points: {-points} cannot be taken")
        points = -max(account.balance, 0)
    if points == 0:
        return Posted(entry=None, created=False, account=account)
    expires_at = now + timedelta(days=settings.expiry_days) if points > 0 and settings.expiry_days > 0 else None
    entry = LoyaltyEntry(contact_id=contact_id, kind=kind.value, points=points, reason=reason[:500],
                         order_id=order_id, idempotency_key=key, actor_id=actor_id, expires_at=expires_at,
                         created_at=now)
    if points > 0:
        entry.remaining = max(0, account.balance + points) - max(0, account.balance)
    else:
        _take(session, contact_id, -points, order_id)
    _apply(session, account, entry, now)
    return Posted(entry=entry, created=True, account=account)


def _take(session: Session, contact_id: int, points: int, order_id: int | None) -> None:
    """Take `points` from the unspent remainders, the order's own entry first, then oldest first."""
    query = select(LoyaltyEntry).where(LoyaltyEntry.contact_id == contact_id, col(LoyaltyEntry.remaining) > 0)
    sources = list(session.exec(query.order_by(col(LoyaltyEntry.id))))
    sources.sort(key=lambda entry: (order_id is None or entry.order_id != order_id, entry.id or 0))
    for source in sources:
        if points <= 0:
            break
        taken = min(points, source.remaining)
        source.remaining -= taken
        points -= taken
        session.add(source)


def _apply(session: Session, account: LoyaltyAccount, entry: LoyaltyEntry, now: datetime) -> None:
    """Write the entry, move the balance, and recompute the tier."""
    session.add(entry)
    account.balance += entry.points
    if entry.kind in QUALIFYING:
        account.qualifying_points += entry.points
    account.updated_at = now
    session.flush()
    before = account.tier_id
    tier = tier_for(session, account.qualifying_points)
    account.tier_id = tier.id if tier is not None else None
    session.add(account)
    session.flush()
    if account.tier_id != before:
        old = session.get(LoyaltyTier, before) if before is not None else None
        events.emit(session, TIER_CHANGED, contact_id=account.contact_id, from_tier=old.name if old else None,
                    to_tier=tier.name if tier else None, entry_id=entry.id)
    events.emit(session, BALANCE_CHANGED, contact_id=account.contact_id, balance=account.balance,
                tier=tier.name if tier else None)


def tier_for(session: Session, qualifying_points: int) -> LoyaltyTier | None:
    """The highest tier whose threshold the points reach."""
    query = (select(LoyaltyTier).where(col(LoyaltyTier.threshold) <= qualifying_points)
             .order_by(col(LoyaltyTier.threshold).desc()).limit(1))
    return session.exec(query).first()


def expire(*, session: Session, contact_id: int, now: datetime | None = None) -> int:
    """Expire what is left of the contact's entries past their time, oldest first; the points expired.
    Safe to run twice or at once: each entry's remainder expires once (its key names the entry)."""
    now = now or utcnow()
    account = lock_account(session, contact_id)
    due = session.exec(select(LoyaltyEntry).where(
        LoyaltyEntry.contact_id == contact_id, col(LoyaltyEntry.remaining) > 0,
        col(LoyaltyEntry.expires_at) <= now).order_by(col(LoyaltyEntry.id))).all()
    expired = 0
    for source in due:
        points = source.remaining
        source.remaining = 0
        session.add(source)
        entry = LoyaltyEntry(contact_id=contact_id, kind=EntryKind.expire.value, points=-points,
                             reason=f"points earned {source.created_at:%Y-%m-%d} expired",
                             idempotency_key=f"expire:{source.id}", created_at=now)
        _apply(session, account, entry, now)
        expired += points
    return expired


def contacts_with_expiring(*, session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Contacts who have unspent points past their time (the periodic expiry visits them one by one)."""
    query = (select(LoyaltyEntry.contact_id).where(col(LoyaltyEntry.remaining) > 0,
                                                   col(LoyaltyEntry.expires_at) <= (now or utcnow()))
             .group_by(col(LoyaltyEntry.contact_id)).order_by(col(LoyaltyEntry.contact_id)).limit(limit))
    return [int(contact_id) for contact_id in session.exec(query)]


def ledger_sum(*, session: Session, contact_id: int) -> int:
    """The sum of the contact's entries (what the balance row must say)."""
    return int(session.exec(select(func.coalesce(func.sum(LoyaltyEntry.points), 0))
                            .where(LoyaltyEntry.contact_id == contact_id)).one())


def out_of_balance(*, session: Session, limit: int = 500) -> list[int]:
    """Contacts whose balance row is not the sum of their entries: after two contacts were merged (hub moves
    the other's entries to the survivor and keeps one balance row), or a missing row."""
    sums = (select(LoyaltyEntry.contact_id, func.sum(LoyaltyEntry.points).label("points"))
            .group_by(col(LoyaltyEntry.contact_id)).subquery())
    query = (select(sums.c.contact_id).outerjoin(LoyaltyAccount, col(LoyaltyAccount.contact_id) == sums.c.contact_id)
             .where(func.coalesce(col(LoyaltyAccount.balance), -1 - sums.c.points) != sums.c.points)
             .order_by(sums.c.contact_id).limit(limit))
    return [int(contact_id) for contact_id in session.exec(query)]


def reconcile(*, session: Session, contact_id: int) -> bool:
    """Set the contact's balance and qualifying points to what their entries say (under the lock); True if
    they were wrong. The tier follows."""
    account = lock_account(session, contact_id)
    balance = ledger_sum(session=session, contact_id=contact_id)
    qualifying = int(session.exec(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.contact_id == contact_id, col(LoyaltyEntry.kind).in_(QUALIFYING))).one())
    if (account.balance, account.qualifying_points) == (balance, qualifying):
        return False
    account.balance, account.qualifying_points, account.updated_at = balance, qualifying, utcnow()
    before = account.tier_id
    tier = tier_for(session, qualifying)
    account.tier_id = tier.id if tier is not None else None
    session.add(account)
    session.flush()
    if account.tier_id != before:
        old = session.get(LoyaltyTier, before) if before is not None else None
        events.emit(session, TIER_CHANGED, contact_id=contact_id, from_tier=old.name if old else None,
                    to_tier=tier.name if tier else None, entry_id=None)
    events.emit(session, BALANCE_CHANGED, contact_id=contact_id, balance=balance, tier=tier.name if tier else None)
    return True


def recompute_tiers(*, session: Session) -> int:
    """After an admin changed the tiers: every account's tier again (under its lock); how many moved."""
    moved = 0
    ids = [int(i) for i in session.exec(select(LoyaltyAccount.contact_id).order_by(col(LoyaltyAccount.contact_id)))]
    for contact_id in ids:
        account = lock_account(session, contact_id)
        tier = tier_for(session, account.qualifying_points)
        new = tier.id if tier is not None else None
        if new != account.tier_id:
            old = session.get(LoyaltyTier, account.tier_id) if account.tier_id is not None else None
            account.tier_id = new
            session.add(account)
            events.emit(session, TIER_CHANGED, contact_id=contact_id, from_tier=old.name if old else None,
                        to_tier=tier.name if tier else None, entry_id=None)
            moved += 1
    session.flush()
    return moved
