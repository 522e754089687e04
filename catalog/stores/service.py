"""Stores and who works at each; what a store's staff may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from catalog.stores.models import Coupon, CouponState, Store, StoreStaff
from hub.agents import service as agents
from hub.runtime.db import utcnow


class StoreError(ValueError):
    """A store that cannot be saved as asked; the message says why."""


def zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise StoreError(f"timezone: {name!r} is not an IANA time zone (e.g. Asia/Hong_Kong)") from None
    return name


def create(*, session: Session, name: str, address: str = "", timezone: str = "UTC",
           staff_ids: Sequence[int] = ()) -> Store:
    if session.exec(select(Store).where(Store.name == name.strip())).first() is not None:
        raise StoreError(f"name: a store called {name.strip()!r} exists already")
    store = Store(name=name.strip(), address=address.strip(), timezone=zone(timezone))
    session.add(store)
    session.flush()
    set_staff(session=session, store_id=store.id or 0, user_ids=staff_ids)
    return store


def update(*, session: Session, store: Store, name: str | None = None, address: str | None = None,
           timezone: str | None = None, active: bool | None = None, staff_ids: Sequence[int] | None = None) -> Store:
    if name is not None and name.strip() != store.name:
        if session.exec(select(Store).where(Store.name == name.strip())).first() is not None:
            raise StoreError(f"name: a store called {name.strip()!r} exists already")
        store.name = name.strip()
    if address is not None:
        store.address = address.strip()
    if timezone is not None:
        store.timezone = zone(timezone)
    if active is not None:
        store.active = active
    store.updated_at = utcnow()
    session.add(store)
    if staff_ids is not None:
        set_staff(session=session, store_id=store.id or 0, user_ids=staff_ids)
    session.flush()
    return store


def set_staff(*, session: Session, store_id: int, user_ids: Sequence[int]) -> None:
    """Who works at the store now (replacing who did)."""
    wanted = sorted(set(user_ids))
    known = {user.id for user in agents.users_by_ids(session=session, user_ids=wanted)} if wanted else set()
    missing = [user_id for user_id in wanted if user_id not in known]
    if missing:
        raise StoreError(f"staff_ids: no user has the id(s) {missing}")
    session.execute(delete(StoreStaff).where(col(StoreStaff.store_id) == store_id))
    session.add_all([StoreStaff(store_id=store_id, user_id=user_id) for user_id in wanted])
    session.flush()


def staff_of(*, session: Session, store_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {store_id: [] for store_id in store_ids}
    rows = session.exec(select(StoreStaff).where(col(StoreStaff.store_id).in_(list(store_ids)))
                        .order_by(col(StoreStaff.user_id)))
    for row in rows:
        found[row.store_id].append(row.user_id)
    return found


def store_ids_of(*, session: Session, user_id: int) -> list[int]:
    return [int(s) for s in session.exec(select(StoreStaff.store_id).where(StoreStaff.user_id == user_id))]


def visible(*, session: Session, is_admin: bool, user_id: int) -> list[Store]:
    """The stores a user may see: every store for an admin, their own for store staff."""
    query = select(Store).order_by(col(Store.name))
    if not is_admin:
        query = query.where(col(Store.id).in_(store_ids_of(session=session, user_id=user_id)))
    return list(session.exec(query))


def may_use(*, session: Session, is_admin: bool, user_id: int, store_id: int) -> bool:
    return is_admin or store_id in store_ids_of(session=session, user_id=user_id)


def figures(*, session: Session, store: Store, now: datetime | None = None) -> dict[str, int]:
    """Coupons redeemed at the store: today (in the store's time zone), the last 7 days, ever."""
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(store.timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)

    def since(moment: datetime | None) -> int:
        query = select(func.count()).select_from(Coupon).where(col(Coupon.store_id) == store.id,
                                                               col(Coupon.state) == CouponState.redeemed.value)
        if moment is not None:
            query = query.where(col(Coupon.redeemed_at) >= moment)
        return int(session.exec(query).one())

    return {"redeemed_today": since(midnight), "redeemed_7_days": since(midnight - timedelta(days=6)),
            "redeemed_total": since(None)}
