"""Periodic jobs: the sweeper that hands due steps to RQ, and the triggers no event announces.

`sweep` is safe in N copies: it takes due runs with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite
serialises writers), leases them for LEASE (a lost job is handed again after it) and queues `advance` for
each, oldest due first, so a backlog after downtime drains in due order. A run handed twice is harmless:
the compare-and-set lets one job apply the step.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from catalog.models import Cart, CartItem, CartStatus
from flows.journeys import clock, runner, service, triggers
from flows.journeys.models import LIVE, FlowRun
from flows.segments import service as segments
from hub.runtime.db import session_scope

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
"""How long a handed run waits for its job before the sweeper hands it again (a worker killed mid-chunk, Redis
flushed): the queue holds at most QUEUED_CHUNKS chunks, seconds of work, so a live job is never this late."""
BATCH = 1000
QUEUED_CHUNKS = 20
"""The sweeper hands due runs while fewer than this many jobs wait on the runner's queue: a backlog stays in
the table, in due order, instead of in Redis, where its leases could end before a worker reached it."""


def due_runs(session: Session, now: datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """Claim up to `limit` due runs for handing to RQ: (run id, visit), oldest due first. On PostgreSQL one
    statement picks them (`FOR UPDATE SKIP LOCKED`, so N sweepers take different runs) and leases them."""
    due = (col(FlowRun.status).in_(LIVE), col(FlowRun.due_at) <= now,
           or_(col(FlowRun.lease_until).is_(None), col(FlowRun.lease_until) < now))
    oldest = (col(FlowRun.due_at), col(FlowRun.id))
    if session.get_bind().dialect.name == "postgresql":
        picked = select(col(FlowRun.id)).where(*due).order_by(*oldest).limit(limit).with_for_update(skip_locked=True)
        leased = session.execute(
            update(FlowRun).where(col(FlowRun.id).in_(picked.scalar_subquery())).values(lease_until=now + LEASE)
            .returning(col(FlowRun.id), col(FlowRun.visit), col(FlowRun.due_at)),
            execution_options={"synchronize_session": False}).all()
        return [(int(r[0]), int(r[1])) for r in sorted(leased, key=lambda r: (r[2], r[0]))]
    rows = [(int(r[0]), int(r[1])) for r in session.execute(
        select(col(FlowRun.id), col(FlowRun.visit)).where(*due).order_by(*oldest).limit(limit)).all()]
    if rows:  # SQLite: this transaction holds the writer lock already
        session.execute(update(FlowRun).where(col(FlowRun.id).in_([r[0] for r in rows])).values(
            lease_until=now + LEASE), execution_options={"synchronize_session": False})
    return rows


def give_back(handles: list[tuple[int, int]]) -> int:
    """A stopping worker gives back a chunk it did not finish: its runs' leases end now, so the next sweep (in
    any worker, within a second) hands them on instead of waiting out LEASE. A run whose step was applied
    meanwhile has a new visit and keeps its state."""
    rows = [{"run": int(run_id), "seen": int(visit)} for run_id, visit in handles]
    if not rows:
        return 0
    with session_scope() as session:
        for row in rows:
            session.execute(update(FlowRun).where(col(FlowRun.id) == row["run"], col(FlowRun.visit) == row["seen"])
                            .values(lease_until=None), execution_options={"synchronize_session": False})
    return len(rows)


def give_back_run(run_id: int, visit: int) -> int:
    """`give_back` for a single run's job (`runner.advance`)."""
    return give_back([(run_id, visit)])


def sweep(now: datetime | None = None, batches: int = 20) -> int:
    """Periodic (each second, in every worker): hand due steps to RQ, oldest first, up to `batches` x BATCH
    and while the queue has room (QUEUED_CHUNKS)."""
    handed = 0
    for _ in range(batches):
        room = min(BATCH, (QUEUED_CHUNKS - runner.queued()) * runner.CHUNK)
        if room <= 0:
            break
        with session_scope() as session:
            rows = due_runs(session, now or clock.now(), limit=room)
        runner.kick_many(rows)
        handed += len(rows)
        if len(rows) < room:
            break
    return handed


def abandoned_carts(now: datetime | None = None) -> int:
    """Periodic: open carts with items, untouched for the flow's `after_minutes`, start `cart_abandoned` flows
    (once per cart and change: the entry key carries the cart's last change)."""
    now = now or clock.now()
    started = 0
    with session_scope() as session:
        flows = service.published_with_trigger(session=session, trigger="cart_abandoned")
    for flow, definition in flows:
        after = clock.span(int(((definition.get("trigger") or {}).get("config") or {}).get("after_minutes", 60)))
        with session_scope() as session:
            carts = session.exec(select(Cart).where(
                Cart.status == CartStatus.open.value, col(Cart.updated_at) <= now - after,
                col(Cart.updated_at) > now - after - timedelta(days=1),
                select(CartItem.cart_id).where(CartItem.cart_id == Cart.id).exists())).all()
            runs = []
            for cart in carts:
                run = service.start_run(session=session, flow=flow, contact_id=cart.contact_id,
                                        conversation_id=cart.conversation_id,
                                        entry_key=f"cart_abandoned:cart:{cart.id}:{cart.updated_at:%Y%m%d%H%M%S}",
                                        now=now)
                if run is not None:
                    runs.append((run.id or 0, run.visit))
        runner.kick_many(runs)  # after the commit, in chunks (a birthday morning can start thousands)
        started += len(runs)
    return started


def schedules(now: datetime | None = None) -> int:
    """Periodic, each minute: `schedule` flows whose cron matches this minute start for their segment's members
    (entry key: the minute, so a repeated check starts nobody twice)."""
    now = (now or clock.now()).replace(second=0, microsecond=0)
    started = 0
    with session_scope() as session:
        flows = service.published_with_trigger(session=session, trigger="schedule")
    for flow, definition in flows:
        config = (definition.get("trigger") or {}).get("config") or {}
        zone = _zone(config.get("timezone"))
        if not croniter.match(str(config.get("cron")), now.astimezone(zone)):
            continue
        started += _start_members(flow, config.get("segment_id"), f"schedule:{now:%Y%m%d%H%M}", now)
    return started


def segment_entries(now: datetime | None = None) -> int:
    """Periodic: contacts who entered a `segment_entered` flow's segment since the last check start it, subject
    to its entry rules; one who left and comes back enters again."""
    now = now or clock.now()
    started = 0
    with session_scope() as session:
        flows = service.published_with_trigger(session=session, trigger="segment_entered")
    for flow, definition in flows:
        config = (definition.get("trigger") or {}).get("config") or {}
        runs = []
        with session_scope() as session:
            try:
                segment = segments.get(session=session, segment_id=int(config.get("segment_id") or 0))
            except (segments.NotFound, TypeError, ValueError):
                continue
            members = {int(c) for c in session.execute(segments.members_query(session, segment, now)).scalars()}
            for contact_id, key in service.segment_entries(session=session, flow_id=flow.id or 0,
                                                           segment_id=segment.id or 0, members=members, now=now):
                run = service.start_run(session=session, flow=flow, contact_id=contact_id, entry_key=key, now=now)
                if run is not None:
                    runs.append((run.id or 0, run.visit))
        runner.kick_many(runs)
        started += len(runs)
    return started


def _start_members(flow: Any, segment_id: Any, key: str, now: datetime, limit: int = 10_000) -> int:
    runs = []
    with session_scope() as session:
        try:
            segment = segments.get(session=session, segment_id=int(segment_id))
        except (segments.NotFound, TypeError, ValueError):
            return 0
        members = list(session.execute(segments.members_query(session, segment, now).limit(limit)).scalars())
        for contact_id in members:
            run = service.start_run(session=session, flow=flow, contact_id=int(contact_id),
                                    entry_key=f"{key}:{contact_id}", now=now)
            if run is not None:
                runs.append((run.id or 0, run.visit))
    runner.kick_many(runs)
    return len(runs)


def date_fields(now: datetime | None = None) -> int:
    """Periodic: `date_field` flows (birthday...) start for contacts whose date, `days_before`, is today in their
    zone and whose local time has reached `at` (once a year: the entry key names the year)."""
    from flows.journeys.steps import next_date
    from hub.contacts import locales
    from hub.contacts import service as contacts

    now = now or clock.now()
    started = 0
    with session_scope() as session:
        flows = service.published_with_trigger(session=session, trigger="date_field")
    for flow, definition in flows:
        config = (definition.get("trigger") or {}).get("config") or {}
        name, before = str(config.get("field")), int(config.get("days_before") or 0)
        at = str(config.get("at") or "10:00")
        runs = []
        with session_scope() as session:
            for contact_id, value in _with_field(session, name):
                contact = contacts.get(session=session, contact_id=contact_id)
                zone = _zone(locales.zone_for(session, contact))
                local = now.astimezone(zone)
                if next_date(value, local.date(), before) != local.date() or f"{local:%H:%M}" < at:
                    continue
                run = service.start_run(session=session, flow=flow, contact_id=contact_id,
                                        entry_key=f"date_field:{name}:{local.year}:{contact_id}", now=now)
                if run is not None:
                    runs.append((run.id or 0, run.visit))
        runner.kick_many(runs)  # after the commit, in chunks (a birthday morning can start thousands)
        started += len(runs)
    return started


def _with_field(session: Session, name: str) -> list[tuple[int, Any]]:
    from flows.segments.compile import field_text
    from hub.contacts.models import Contact

    value = field_text(session.get_bind().dialect.name, name)
    return [(int(r[0]), r[1]) for r in session.execute(
        select(col(Contact.id), value).where(value.is_not(None), func.length(value) >= 5)).all()]


def _zone(name: Any) -> Any:
    from flows.campaigns.service import zone_of

    return zone_of(name if isinstance(name, str) else None) or zone_of("UTC")


def minutely() -> dict[str, int]:
    """Periodic, each minute: the triggers without an event (one failing does not stop the others)."""
    started: dict[str, int] = {}
    for name, check in (("carts", abandoned_carts), ("schedules", schedules), ("segments", segment_entries),
                        ("dates", date_fields)):
        try:
            started[name] = check()
        except Exception:
            log.exception("a periodic flow trigger failed", extra={"check": name})
            started[name] = -1
    return started


__all__ = ["abandoned_carts", "date_fields", "minutely", "schedules", "segment_entries", "sweep", "triggers"]
