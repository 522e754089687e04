"""Demo journeys for `make run`: the post-purchase follow-up and the abandoned-cart reminder, published, so the
sandbox customer who buys gets the 24-hour and 3-day messages and a cart left alone gets its reminder. `make run`
compresses the flows' time (HUB_FLOW_TIME_SCALE=720: a day passes in two minutes)."""

from __future__ import annotations

from sqlmodel import select

from flows.journeys import service, templates
from flows.journeys.models import Flow
from hub.runtime.db import session_scope

DEMO = ("post_purchase", "abandoned_cart")


def announce() -> str | None:
    """Add and publish the demo flows that are missing; say which were added."""
    added = []
    with session_scope() as session:
        names = set(session.exec(select(Flow.name)).all())
        for key in DEMO:
            made = templates.get(key)
            if made is None or made["name"] in names:
                continue
            flow = service.create(session=session, name=made["name"], definition=made["definition"],
                                  description=made["description"])
            service.publish(session=session, flow_id=flow.id or 0)
            added.append(made["name"])
    return f"demo flows published: {', '.join(added)}" if added else None
