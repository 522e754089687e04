"""Which journey an order is credited to: the one whose message the customer had last, within a window.

Registered as a hook in the flows' record (`catalog.orders.FLOW_ATTRIBUTION`), so the order names the flow at
checkout and the sales report can read revenue by flow, as it reads it by campaign.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from catalog import orders
from flows.journeys.models import FlowEvent
from hub.runtime.db import as_utc

WINDOW = timedelta(hours=72)
"""As long as a campaign's default attribution window."""


def engaged_flow(session: Session, contact_id: int, now: datetime) -> int | None:
    """The flow that sent the contact a message most recently within `WINDOW` before `now`, or None."""
    now = as_utc(now)
    found = session.execute(
        select(col(FlowEvent.flow_id)).where(col(FlowEvent.contact_id) == contact_id, col(FlowEvent.kind) == "sent",
                                             col(FlowEvent.at) > now - WINDOW, col(FlowEvent.at) <= now)
        .order_by(col(FlowEvent.at).desc(), col(FlowEvent.id).desc()).limit(1)).scalar_one_or_none()
    return int(found) if found is not None else None


def attribute_orders() -> None:
    """A hook in the flows' record: an order names the journey that last messaged its customer, at checkout."""
    if engaged_flow not in orders.FLOW_ATTRIBUTION:
        orders.FLOW_ATTRIBUTION.append(engaged_flow)
