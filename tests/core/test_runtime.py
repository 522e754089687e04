"""The plumbing under every package: a job queued once per key or period, one insert-or-update for both
databases, and module records wired once however often the app and the worker are built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from hub import composition
from hub.runtime import Periodic, broker, enqueue_once, events, release, upsert
from hub.runtime.db import session_scope, utcnow
from hub.tags.models import Tag

TAGS = Tag.__table__  # type: ignore[attr-defined]


def count_job() -> str:
    return "counted"


def queued(name: str) -> list[str]:
    return [job.func_name for q in broker.QUEUES for job in broker.queue(q).get_jobs() if job.func_name.endswith(name)]


def test_a_burst_of_triggers_queues_one_job_until_it_starts(backend):
    key = broker.key("test", "burst")
    assert [enqueue_once("inbound", count_job, key=key, hold_seconds=30) for _ in range(5)] == [
        True, False, False, False, False]
    assert queued("count_job") == ["tests.core.test_runtime.count_job"]
    release(key)  # the job starts: what arrives from now on needs a job of its own
    release(key)  # and a second run of the same job changes nothing
    assert enqueue_once("inbound", count_job, key=key, hold_seconds=30) is True
    assert len(queued("count_job")) == 2


def test_a_periodic_job_is_queued_once_per_period_whichever_sweeper_offers_it(backend):
    nightly = Periodic(count_job, every=timedelta(days=1), at=timedelta(hours=17), queue="bulk")
    evening = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    assert nightly.offer(evening) is True
    assert nightly.offer(evening + timedelta(hours=6)) is False  # another worker, the same night
    assert nightly.offer(datetime(2026, 12, 6, 16, 59, tzinfo=UTC)) is False  # the period runs to 17:00
    assert nightly.offer(datetime(2026, 12, 6, 17, 0, tzinfo=UTC)) is True
    assert len(queued("count_job")) == 2


def test_every_packages_periodic_jobs_are_offered_by_the_sweeper_once_per_period(backend):
    now = utcnow()
    jobs = [job for job in composition.periodic() if not job.inline]
    assert all(job.offer(now) for job in jobs)
    assert not any(job.offer(now) for job in jobs)  # a second worker's sweeper at the same moment
    names = sorted(job.func_name for q in broker.QUEUES for job in broker.queue(q).get_jobs())
    assert names == sorted([
        "hub.composition.sweep_inbox", "hub.jobs.tasks.sweep", "hub.privacy.retention.sweep",
        "hub.webhooks.partitions.create_ahead", "reports.retention.maintain", "reports.months.fold_job",
        "hub.tagging.jobs.retrain", "hub.assignment.jobs.sweep", "catalog.jobs.recompute_everyone",
        "flows.campaigns.jobs.tick", "flows.journeys.jobs.minutely",
        "hub.csat.jobs.send_due_surveys", "hub.webhooks_out.service.sweep", "catalog.stores.jobs.expire_coupons",
        "catalog.stores.pos_import.sweep", "catalog.loyalty.jobs.sweep"])
    # the journeys' due steps are handed each second by every worker itself (a queued sweep would wait
    # behind the steps it handed out)
    assert [f"{job.job.__module__}.{job.job.__qualname__}" for job in composition.periodic() if job.inline] == [
        "flows.journeys.jobs.sweep"]


def tags() -> dict[str, str]:
    with session_scope() as session:
        return {tag.name: tag.color for tag in session.exec(select(Tag))}


def test_upsert_inserts_what_is_missing_and_updates_or_keeps_what_is_there(backend):
    now = utcnow()
    with session_scope() as session:
        added = upsert(session, TAGS, [{"name": "vip", "color": "#111111", "created_at": now}], key=["name"],
                       returning=[TAGS.c.name]).scalars().all()
    assert added == ["vip"]
    rows = [{"name": name, "color": "#222222", "created_at": now} for name in ("vip", "refund")]
    with session_scope() as session:
        added = upsert(session, TAGS, rows, key=["name"], returning=[TAGS.c.name]).scalars().all()
    assert added == ["refund"] and tags() == {"vip": "#111111", "refund": "#222222"}  # "vip" left alone
    rows = [{"name": name, "color": "#333333", "created_at": now} for name in ("vip", "refund")]
    with session_scope() as session:
        upsert(session, TAGS, rows, key=["name"], update=["color"],
               where=lambda new: new.name != "refund")
    assert tags() == {"vip": "#333333", "refund": "#222222"}
    with session_scope() as session:
        upsert(session, TAGS, rows[:1], key=["name"], update={"color": TAGS.c.color + "!"})
    assert tags()["vip"] == "#333333!"
    with session_scope() as session, pytest.raises(ValueError, match="at least one row"):
        upsert(session, TAGS, [], key=["name"])


def test_wiring_twice_subscribes_each_listener_once(backend):
    composition.wire()
    composition.wire()  # the app and the worker in one process (the tests' browser worker does this)
    with session_scope() as session:
        events.emit(session, events.CONVERSATION_OPENED, conversation_id=42)
    assert [job.args for job in broker.queue("inbound").get_jobs() if job.func_name.endswith(".assign_each")] == [
        ([42],)]
