"""Journeys benchmark, on PostgreSQL + Redis with two `hub worker`s (their sweepers hand due steps to RQ).

1. Throughput: N contacts (100,000; BENCH_FLOWS_N) enter a 3-step flow with waits (split, wait, split, wait,
   split, end), all due at once. Prints the steps applied per second (first step to last) and checks the counts:
   every run completed, every step applied once (5 per run: the waits' ends count as steps).
2. Lateness: M runs (BENCH_FLOWS_DUE_RATE x BENCH_FLOWS_DUE_SECONDS: 1,000 a second for 30 s) wait in a flow
   (wait, end) with due times spread evenly, so 1,000 steps fall due each second. Prints how long after its due
   time each was applied (p50 / p99; "applied": the moment its chunk's worker took it, the chunk's commit follows
   within the chunk's few tens of milliseconds) and checks the counts.

Also prints each worker's peak RSS over both. The steps are splits, which change nothing outside the run, so
this measures the engine (claim, step, stats, commit); `BENCH_FLOWS_STEP=tag` uses tag steps instead, which add
hub's tagging (audit, events, and the jobs other packages' listeners queue for each contact update). The waits
of phase 1 are 60 s of flow time at HUB_FLOW_TIME_SCALE (BENCH_FLOWS_SCALE, default 60: a second each).
Run: `.venv/bin/python bench/flows.py`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import insert, text
from sqlmodel import col

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REDIS, free_port, fresh_schema, hub_env, hub_process, stop  # noqa: E402

N = int(os.environ.get("BENCH_FLOWS_N", "100000"))
DUE_RATE = int(os.environ.get("BENCH_FLOWS_DUE_RATE", "1000"))
DUE_SECONDS = int(os.environ.get("BENCH_FLOWS_DUE_SECONDS", "30"))
SCALE = os.environ.get("BENCH_FLOWS_SCALE", "60")
STEP = os.environ.get("BENCH_FLOWS_STEP", "split")


def _step(node_id: str, n: int) -> dict[str, object]:
    if STEP == "tag":
        return {"id": node_id, "type": "tag", "config": {"add": [f"bench-{n}"]}}
    return {"id": node_id, "type": "split", "config": {"variants": [{"port": "next", "percent": 100}]}}


DEFINITION = {
    "trigger": {"type": "api", "config": {}}, "start": "t1",
    "nodes": [_step("t1", 1), {"id": "w1", "type": "wait", "config": {"minutes": 1}}, _step("t2", 2),
              {"id": "w2", "type": "wait", "config": {"minutes": 1}}, _step("t3", 3),
              {"id": "e", "type": "end", "config": {}}],
    "edges": [{"from": "t1", "port": "next", "to": "w1"}, {"from": "w1", "port": "next", "to": "t2"},
              {"from": "t2", "port": "next", "to": "w2"}, {"from": "w2", "port": "next", "to": "t3"},
              {"from": "t3", "port": "next", "to": "e"}],
}
WAITING = {
    "trigger": {"type": "api", "config": {}}, "start": "w",
    "nodes": [{"id": "w", "type": "wait", "config": {"minutes": 1}}, {"id": "e", "type": "end", "config": {}}],
    "edges": [{"from": "w", "port": "next", "to": "e"}],
}


def configure(database_url: str) -> None:
    os.environ.update(HUB_DATABASE_URL=database_url, HUB_REDIS_URL=REDIS, HUB_ENV="development",
                      HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789")
    from hub.runtime import db
    from hub.runtime.settings import get_settings

    get_settings.cache_clear()
    db.reset_engines()


def published(name: str, definition: Mapping[str, Any]) -> int:
    from flows.journeys import service
    from hub.runtime.db import session_scope

    with session_scope() as session:
        flow = service.create(session=session, name=name, definition=dict(definition))
        service.publish(session=session, flow_id=flow.id or 0)
        return flow.id or 0


def enter(flow_id: int, first: int, count: int, node: str, due: Callable[[int], datetime],
          context: dict[str, object]) -> None:
    """Contacts first..first+count-1 and their runs on `node`, run i due at `due(i)`."""
    from flows.journeys.models import FlowEvent, FlowRun
    from hub.contacts.models import Contact
    from hub.runtime.db import session_scope, utcnow

    now = utcnow()
    status = "waiting" if context else "active"
    for start in range(0, count, 10_000):
        size = min(10_000, count - start)
        people = range(first + start, first + start + size)
        with session_scope() as session:
            session.execute(insert(Contact), [{"id": c, "name": f"bench {c}", "custom_fields": {},
                                               "created_at": now, "updated_at": now} for c in people])
            ids = session.execute(insert(FlowRun).returning(col(FlowRun.id), sort_by_parameter_order=True), [
                {"flow_id": flow_id, "version": 1, "contact_id": c, "status": status, "node_id": node,
                 "visit": 0, "due_at": due(c - first), "live_contact_id": c, "test": False, "context": context,
                 "started_at": now, "updated_at": now} for c in people]).scalars().all()
            entered = [{"flow_id": flow_id, "run_id": run_id, "contact_id": c, "kind": "entered", "at": now}
                       for c, run_id in zip(people, ids, strict=True)]
            session.execute(insert(FlowEvent), entered)


def scalar(sql: str) -> float:
    from hub.runtime.db import session_scope

    with session_scope() as session:
        return float(session.execute(text(sql)).scalar() or 0)


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def finish(flow_id: int, count: int, workers: list[subprocess.Popen[bytes]], peaks: list[float]) -> None:
    """Wait for the flow's runs to complete, noting the workers' peak memory."""
    started = time.monotonic()
    while scalar(f"SELECT count(*) FROM flow_run WHERE flow_id = {flow_id} AND status <> 'completed'") > 0:
        peaks[:] = [max(p, peak_rss_mb(w.pid)) for p, w in zip(peaks, workers, strict=True)]
        time.sleep(1)
        if time.monotonic() - started > 3600:
            raise SystemExit("not done in an hour")
    peaks[:] = [max(p, peak_rss_mb(w.pid)) for p, w in zip(peaks, workers, strict=True)]


def main() -> None:
    redis.Redis.from_url(REDIS).flushdb()
    database_url = fresh_schema("bench_flows")
    configure(database_url)
    from hub.runtime.db import utcnow

    moving, waiting = published("Bench", DEFINITION), published("Due", WAITING)
    enter(moving, 1, N, "t1", lambda i: utcnow(), {})
    work = Path(tempfile.mkdtemp(prefix="bench-flows-"))
    env = hub_env(database_url, free_port(), work)
    env["HUB_FLOW_TIME_SCALE"] = SCALE
    workers = [hub_process(["worker"], env, work / f"worker{i}.log") for i in range(2)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the workers on the way out
    peaks = [0.0, 0.0]
    try:
        finish(moving, N, workers, peaks)
        due_count = DUE_RATE * DUE_SECONDS
        first_due = utcnow() + timedelta(seconds=5)  # after the rows are in
        enter(waiting, N + 1, due_count, "w", lambda i: first_due + timedelta(seconds=i / DUE_RATE),
              {"step": {"held": True}})
        finish(waiting, due_count, workers, peaks)
    finally:
        stop(*workers)

    steps = scalar(f"SELECT count(*) FROM flow_event WHERE flow_id = {moving} AND kind = 'passed'")
    seconds = scalar(f"SELECT EXTRACT(EPOCH FROM max(at) - min(at)) FROM flow_event WHERE flow_id = {moving} "
                     "AND kind = 'passed'")
    completed = scalar(f"SELECT count(*) FROM flow_run WHERE flow_id = {moving} AND status = 'completed'")
    print(f"throughput: runs={N} completed={completed:.0f} steps={steps:.0f} (expected {N * 5}) "
          f"steps/s={steps / max(seconds, 0.001):.0f} over {seconds:.1f} s")

    # run i (contact N + 1 + i) was due at first_due + i / DUE_RATE seconds
    lateness = f"""
        SELECT EXTRACT(EPOCH FROM at) - {first_due.timestamp()} - (contact_id - {N + 1})::float / {DUE_RATE} AS late
        FROM flow_event WHERE flow_id = {waiting} AND kind = 'passed'"""
    p50 = scalar(f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY late) FROM ({lateness}) x")
    p99 = scalar(f"SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY late) FROM ({lateness}) x")
    worst = scalar(f"SELECT max(late) FROM ({lateness}) x")
    passed = scalar(f"SELECT count(*) FROM flow_event WHERE flow_id = {waiting} AND kind = 'passed'")
    done = scalar(f"SELECT count(*) FROM flow_run WHERE flow_id = {waiting} AND status = 'completed'")
    print(f"lateness at {DUE_RATE} due steps/s for {DUE_SECONDS} s: runs={due_count} completed={done:.0f} "
          f"steps={passed:.0f} (expected {due_count}) p50={p50:.2f}s p99={p99:.2f}s max={worst:.2f}s")
    print(f"worker peak RSS: {', '.join(f'{p:.0f} MB' for p in peaks)}")


if __name__ == "__main__":
    main()
