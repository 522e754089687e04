"""Loyalty's part of a contact's export and erasure: the export lists the balance and every ledger entry;
erasure deletes them (points are not the shop's books; the orders stay, as the catalog keeps them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from catalog.loyalty.models import LoyaltyAccount, LoyaltyEntry
from hub.privacy.hooks import Section
from hub.privacy.hooks import register as register_section


def export(session: Session, contact_id: int) -> list[dict[str, Any]]:
    """The contact's balance and entries, oldest first (one item; none if they never had points)."""
    account = session.get(LoyaltyAccount, contact_id)
    if account is None:
        return []
    entries = session.execute(select(LoyaltyEntry).where(col(LoyaltyEntry.contact_id) == contact_id)
                              .order_by(col(LoyaltyEntry.id))).scalars()
    return [{"balance": account.balance, "qualifying_points": account.qualifying_points,
             "entries": [{"kind": e.kind, "points": e.points, "reason": e.reason, "order_id": e.order_id,
                          "created_at": e.created_at, "expires_at": e.expires_at} for e in entries]}]


def erase(session: Session, contact_id: int) -> None:
    """Entries (whose reasons a person wrote) and the balance row deleted."""
    session.execute(delete(LoyaltyEntry).where(col(LoyaltyEntry.contact_id) == contact_id))
    session.execute(delete(LoyaltyAccount).where(col(LoyaltyAccount.contact_id) == contact_id))


SECTION = Section(name="loyalty", export=export, erase=erase)


def register() -> None:
    """A hook in loyalty's record: plug the points into the core's export and erasure."""
    register_section(SECTION)
