"""Journeys benchmark: N contacts (100,000; BENCH_FLOWS_N to change) enter a 3-step flow with waits (split, wait,
split, wait, split) on PostgreSQL + Redis, run by two `hub worker`s (their sweepers hand due steps to RQ).
The steps are splits, which change nothing outside the run, so this measures the engine (claim, step, stats,
commit); `BENCH_FLOWS_STEP=tag` uses tag steps instead, which add hub's tagging (audit, events, and the jobs
other packages' listeners queue for each contact update).

Prints steps applied per second (first step to last), the lateness of steps that were due after a wait (how long
after its due time each was applied: p50 / p99), each worker's peak RSS, and the exact counts (every run
completed, every step applied once). The waits are 60 seconds of flow time at HUB_FLOW_TIME_SCALE
(BENCH_FLOWS_SCALE, default 60: a second each). Run: `.venv/bin/python bench/flows.py`.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import redis
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REDIS, free_port, fresh_schema, hub_env, hub_process, stop  # noqa: E402

N = int(os.environ.get("BENCH_FLOWS_N", "100000"))
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


def setup(database_url: str) -> int:
    """N contacts and their runs, all due now; the flow's id."""
    os.environ.update(HUB_DATABASE_URL=database_url, HUB_REDIS_URL=REDIS, HUB_ENV="development",
                      HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789")
    from flows.journeys import service
    from flows.journeys.models import FlowEvent, FlowRun
    from hub.runtime import db
    from hub.runtime.settings import get_settings

    get_settings.cache_clear()
    db.reset_engines()
    from hub.contacts.models import Contact
    from hub.runtime.db import session_scope, utcnow

    now = utcnow()
    with session_scope() as session:
        flow = service.create(session=session, name="Bench", definition=DEFINITION)
        service.publish(session=session, flow_id=flow.id or 0)
        flow_id = flow.id or 0
    for start in range(0, N, 10_000):
        size = min(10_000, N - start)
        with session_scope() as session:
            session.execute(insert(Contact), [{"id": start + i + 1, "name": f"bench {start + i}", "custom_fields": {},
                                               "created_at": now, "updated_at": now} for i in range(size)])
            ids = session.execute(insert(FlowRun).returning(FlowRun.id), [  # type: ignore[arg-type]
                {"flow_id": flow_id, "version": 1, "contact_id": start + i + 1, "status": "active", "node_id": "t1",
                 "visit": 0, "due_at": now, "live_contact_id": start + i + 1, "test": False, "context": {},
                 "started_at": now, "updated_at": now} for i in range(size)]).scalars().all()
            session.execute(insert(FlowEvent), [{"flow_id": flow_id, "run_id": run_id, "contact_id": start + i + 1,
                                                 "kind": "entered", "at": now} for i, run_id in enumerate(ids)])
    return flow_id


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


def main() -> None:
    redis.Redis.from_url(REDIS).flushdb()
    database_url = fresh_schema("bench_flows")
    flow_id = setup(database_url)
    work = Path(tempfile.mkdtemp(prefix="bench-flows-"))
    env = hub_env(database_url, free_port(), work)
    env["HUB_FLOW_TIME_SCALE"] = SCALE
    workers = [hub_process(["worker"], env, work / f"worker{i}.log") for i in range(2)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the workers on the way out
    peaks = [0.0, 0.0]
    started = time.monotonic()
    try:
        while scalar(f"SELECT count(*) FROM flow_run WHERE flow_id = {flow_id} AND status <> 'completed'") > 0:
            peaks = [max(p, peak_rss_mb(w.pid)) for p, w in zip(peaks, workers, strict=True)]
            time.sleep(1)
            if time.monotonic() - started > 3600:
                raise SystemExit("not done in an hour")
    finally:
        stop(*workers)
    steps = scalar(f"SELECT count(*) FROM flow_event WHERE flow_id = {flow_id} AND kind = 'passed'")
    seconds = scalar(f"SELECT EXTRACT(EPOCH FROM max(at) - min(at)) FROM flow_event WHERE flow_id = {flow_id} "
                     "AND kind = 'passed'")
    wait = timedelta(minutes=1) / float(SCALE)
    # a wait ends `wait` after the step before it was applied; its "passed" shows when it really did
    lateness = f"""
        SELECT EXTRACT(EPOCH FROM (after.at - before.at)) - {wait.total_seconds()} AS late
        FROM flow_event before JOIN flow_event after ON after.run_id = before.run_id
        WHERE before.flow_id = {flow_id} AND before.kind = 'passed' AND after.kind = 'passed'
          AND (before.node_id, after.node_id) IN (('t1', 'w1'), ('t2', 'w2'))"""
    p50 = scalar(f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY late) FROM ({lateness}) x")
    p99 = scalar(f"SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY late) FROM ({lateness}) x")
    completed = scalar(f"SELECT count(*) FROM flow_run WHERE flow_id = {flow_id} AND status = 'completed'")
    print(f"runs={N} completed={completed:.0f} steps={steps:.0f} (expected {N * 5}) "
          f"steps/s={steps / max(seconds, 0.001):.0f} lateness p50={p50:.2f}s p99={p99:.2f}s "
          f"worker peak RSS={', '.join(f'{p:.0f} MB' for p in peaks)}")


if __name__ == "__main__":
    main()
