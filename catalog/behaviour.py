"""Behaviour tags kept current from paid orders: VIP and the cell of the 3 x 3 lifecycle matrix.

The matrix (from the seeds' repeat-sales article) crosses how often a customer bought (1 / 2-3 / 4+)
with how long ago they last bought (<= 30 / 31-90 / > 90 days): "new active" bought once, lately;
"loyal sleeping" bought four times or more, but not for two or three months. Every threshold is a
setting. Tags carry the source "behaviour", so agents' own tags are never touched; a contact's
behaviour tags are recomputed when one of their orders changes, and for everyone nightly (time alone
moves a customer from "active" to "sleeping").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlmodel import Session, col

from catalog.models import Order, OrderStatus
from hub.runtime.db import as_utc, utcnow
from hub.tagging import service as tagging

SOURCE = "behaviour"
VIP = "VIP"
LIFECYCLE = "lifecycle: "
COUNT_BANDS = ("new", "repeat", "loyal")
RECENCY_BANDS = ("active", "sleeping", "lost")
CELLS = tuple(f"{LIFECYCLE}{count} {recency}" for count in COUNT_BANDS for recency in RECENCY_BANDS)


class BehaviourSettings(BaseSettings):
    """`HUB_VIP_SPEND` is JSON: lifetime spend per currency in minor units (29600 is HK$296.00)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    vip_spend: dict[str, int] = Field(default_factory=lambda: {"HKD": 500_000, "JPY": 100_000, "USD": 100_000},
                                      validation_alias="HUB_VIP_SPEND")
    repeat_from: int = Field(2, validation_alias="HUB_LIFECYCLE_REPEAT_FROM", ge=2)
    loyal_from: int = Field(4, validation_alias="HUB_LIFECYCLE_LOYAL_FROM", ge=3)
    active_days: int = Field(30, validation_alias="HUB_LIFECYCLE_ACTIVE_DAYS", ge=1)
    sleeping_days: int = Field(90, validation_alias="HUB_LIFECYCLE_SLEEPING_DAYS", ge=2)


@dataclass
class Purchases:
    """One contact's paid orders, summed."""

    count: int = 0
    last_paid_at: datetime | None = None
    spend: dict[str, int] = field(default_factory=dict)


def cell(count: int, days_since_last: int, settings: BehaviourSettings) -> str | None:
    """The lifecycle tag for a purchase count and the days since the last purchase (None: never bought)."""
    if count < 1:
        return None
    band = 2 if count >= settings.loyal_from else 1 if count >= settings.repeat_from else 0
    recency = 0 if days_since_last <= settings.active_days else 1 if days_since_last <= settings.sleeping_days else 2
    return f"{LIFECYCLE}{COUNT_BANDS[band]} {RECENCY_BANDS[recency]}"


def is_vip(spend: dict[str, int], settings: BehaviourSettings) -> bool:
    """Over the threshold in any currency the shop sells in (currencies without a threshold never count)."""
    return any(total >= settings.vip_spend[currency] for currency, total in spend.items()
               if currency in settings.vip_spend)


def wanted_tags(purchases: Purchases, now: datetime, settings: BehaviourSettings) -> set[str]:
    tags: set[str] = set()
    if purchases.last_paid_at is not None:
        days = (now - as_utc(purchases.last_paid_at)).days
        lifecycle = cell(purchases.count, days, settings)
        if lifecycle:
            tags.add(lifecycle)
    if is_vip(purchases.spend, settings):
        tags.add(VIP)
    return tags


def purchases(session: Session, contact_ids: Iterable[int] | None = None) -> dict[int, Purchases]:
    """Paid orders per contact and currency, in one grouped query (refunded orders no longer count)."""
    query = (select(col(Order.contact_id), col(Order.currency), func.count(), func.max(col(Order.paid_at)),
                    func.sum(col(Order.total_minor)))
             .where(col(Order.status) == OrderStatus.paid.value)
             .group_by(col(Order.contact_id), col(Order.currency)))
    if contact_ids is not None:
        query = query.where(col(Order.contact_id).in_(list(contact_ids)))
    found: dict[int, Purchases] = {}
    for contact_id, currency, count, last_paid_at, total in session.execute(query):
        entry = found.setdefault(int(contact_id), Purchases())
        entry.count += int(count)
        entry.spend[str(currency)] = int(total or 0)
        if last_paid_at is not None and (entry.last_paid_at is None or
                                         as_utc(last_paid_at) > as_utc(entry.last_paid_at)):
            entry.last_paid_at = last_paid_at
    return found


def recompute(*, session: Session, contact_ids: Iterable[int] | None = None, now: datetime | None = None,
              settings: BehaviourSettings | None = None) -> dict[str, int]:
    """Bring the behaviour tags of these contacts (None: everyone who has or had any) up to date.

    Returns how many tags were added and removed. Running it twice changes nothing the second time."""
    settings = settings or BehaviourSettings()
    now = now or utcnow()
    bought = purchases(session, contact_ids)
    everyone = contact_ids is None
    ids = sorted(set(bought) | tagging.contacts_tagged_by(session=session, source=SOURCE) if everyone
                 else set(contact_ids or ()))
    added = removed = 0
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        current = tagging.contact_tags(session=session, contact_ids=chunk, source=SOURCE)
        wanted = {contact_id: wanted_tags(bought.get(contact_id, Purchases()), now, settings) for contact_id in chunk}
        tag_ids = tagging.tag_ids(session, set().union(*wanted.values()) | set().union(*current.values(), set()))
        for contact_id in chunk:
            stale = current.get(contact_id, set()) - wanted[contact_id]
            if stale:
                removed += tagging.untag_contact(session=session, contact_id=contact_id,
                                                 tag_ids=[tag_ids[name] for name in stale], source=SOURCE)
            fresh = sorted(wanted[contact_id] - current.get(contact_id, set()))
            if fresh:
                facts = bought.get(contact_id, Purchases())
                details: dict[str, Any] = {"orders": facts.count, "spend": facts.spend}
                left = sorted(name for name in stale if name.startswith(LIFECYCLE))
                if left:  # the cell the contact moves out of: `lifecycle_changed` flows may start only from it
                    details["replaces"] = left[0]
                added += len(tagging.tag_contact(session=session, contact_id=contact_id, taggings=[
                    tagging.Tagging(name, tag_ids[name], SOURCE, details) for name in fresh]))
    return {"added": added, "removed": removed}


def describe(settings: BehaviourSettings | None = None) -> str:
    """The thresholds in force, for the README and `hub` output."""
    settings = settings or BehaviourSettings()
    return json.dumps(settings.model_dump(), ensure_ascii=False)
