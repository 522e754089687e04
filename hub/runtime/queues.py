"""The queue classes: every job is queued on the class of work it is, so each can have a worker pool of its own
(`hub worker --queues ...`, HUB_WORKER_QUEUES) sized and scaled apart from the others.

- `inbound`: what a customer's message or an order sets off and someone waits for (processing raw events,
  media, bots' answers, assignment, tagging, points earned);
- `outbound`: sending a message through its channel (per-channel throttles in the delivery engine);
- `campaigns`: broadcast batches and their tracking (receipts, replies, redemptions);
- `flows`: journey steps and triggers;
- `webhooks-out`: deliveries to the shop's own endpoints and external bots' notices (slow remote servers);
- `reports`: figures recomputed from orders and contacts;
- `maintenance`: the sweepers and timers (lost jobs re-queued, coupons expiring, loyalty's hourly pass, POS
  imports, CSAT surveys due, retention, the nightly retraining).

`bulk` is the single background queue of earlier versions: no job is queued on it any more, but workers
listen to it by default so jobs queued before an upgrade still run.
"""

from __future__ import annotations

INBOUND = "inbound"
OUTBOUND = "outbound"
CAMPAIGNS = "campaigns"
FLOWS = "flows"
WEBHOOKS_OUT = "webhooks-out"
REPORTS = "reports"
MAINTENANCE = "maintenance"
LEGACY = "bulk"

CLASSES = (INBOUND, OUTBOUND, CAMPAIGNS, FLOWS, WEBHOOKS_OUT, REPORTS, MAINTENANCE)
"""Every queue class, in the order a worker serving all of them takes work: a customer waiting first."""
ALL = (INBOUND, OUTBOUND, MAINTENANCE, WEBHOOKS_OUT, FLOWS, CAMPAIGNS, REPORTS, LEGACY)
"""What a worker listens to by default, in priority order (the sweepers right after sending: they re-queue
lost work), with the legacy queue last."""


def parse(text: str) -> tuple[str, ...]:
    """A comma- or space-separated list of queue names, checked against the known ones and put in priority
    order; `all` stands for every one. Raises ValueError naming an unknown queue."""
    names = [name for name in text.replace(",", " ").split() if name]
    if not names or "all" in names:
        return ALL
    unknown = [name for name in names if name not in ALL]
    if unknown:
        raise ValueError(f"unknown queue {unknown[0]!r}: the queues are {', '.join(ALL)} (or all)")
    return tuple(name for name in ALL if name in names)
