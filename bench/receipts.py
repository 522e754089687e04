"""Receipts benchmark: signed WhatsApp (Meta) delivery receipts, one per request, against `hub serve` and two
`hub worker`s on PostgreSQL and Redis, end to end (acknowledged, stored, applied to their messages).

Two phases on one seeded schema (BENCH_RECEIPTS_N outbound messages; each gets `delivered` in phase 1, `read`
in phase 2):

1. throughput: the receipts posted as fast as 64 connections go; the clock stops when every receipt is applied
   (no unprocessed event, no queued job). Prints receipts/s and the CPU each process spent per receipt, read
   from /proc/<pid>/stat before and after: `hub serve`, the workers (with their children), the PostgreSQL
   backends serving this bench (found by application_name and sampled every 0.2 s, so a backend that ends
   between samples loses up to 0.2 s; PostgreSQL's shared writer processes are not counted) and the load
   generator (this process) on its own line.
2. latency: the `read` receipts posted at a paced BENCH_RECEIPT_RATE (default 2,000/s), open loop (each request
   is due at start + i/rate; its latency counts from when it was due, so a stall shows as latency, not as a
   slower rate); p50 / p99 / max.

Run: `BENCH_REDIS=redis://127.0.0.1:6379/11 BENCH_SCHEMA_SUFFIX=_mine .venv/bin/python bench/receipts.py`
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiohttp
import redis
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    REDIS,
    LoadResult,
    Request,
    free_port,
    fresh_schema,
    hub_env,
    hub_process,
    post_all,
    start_workers,
    stop,
    wait_http,
)
from bench.ingest import meta_status, setup_channels  # noqa: E402

N = int(os.environ.get("BENCH_RECEIPTS_N", "30000"))
RATE = float(os.environ.get("BENCH_RECEIPT_RATE", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
APP = "hub_bench_receipts"
IDLE_SECONDS = 5.0
TICK = os.sysconf("SC_CLK_TCK")


def seed(url: str, count: int) -> None:
    """`count` outbound messages, copies of the one `setup_channels` made, with their own provider ids."""
    from hub.runtime import db

    engine = db.make_engine(url)
    with engine.begin() as conn:
        columns = [row[0] for row in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'message' "
            "AND table_schema = current_schema() AND column_name NOT IN ('id', 'provider_message_id')"))]
        listed = ", ".join(columns)
        conn.execute(text(
            f"INSERT INTO message ({listed}, provider_message_id) SELECT {listed}, 'wamid.OUT' || n "
            f"FROM message, generate_series(1, :count - 1) AS n WHERE provider_message_id = 'wamid.OUT0'"),
            {"count": count})
        conn.execute(text("ANALYZE message"))
    engine.dispose()


def ticks(pid: int) -> tuple[int, int]:
    """(utime + stime, cutime + cstime) of one process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def tree_seconds(pid: int) -> float:
    """CPU seconds of a process, its reaped children and its live descendants."""
    own, reaped = ticks(pid)
    total = own + reaped
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    seconds = total / TICK
    for child in children:
        with contextlib.suppress(OSError, ValueError):  # it ended meanwhile
            seconds += tree_seconds(int(child))
    return seconds


class PostgresCpu:
    """CPU of the PostgreSQL backends whose application_name is this bench's, sampled in a thread."""

    def __init__(self, url: str) -> None:
        from hub.runtime import db

        self._engine = db.make_engine(url)
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self._running = False

    def _sample(self) -> None:
        with self._engine.connect() as conn:
            pids = [int(row[0]) for row in conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :app"), {"app": APP})]
        for pid in pids:
            try:
                used = ticks(pid)[0]
            except OSError:
                continue
            self.first.setdefault(pid, used)
            self.last[pid] = used

    async def run(self) -> None:
        self._running = True
        while self._running:
            await asyncio.to_thread(self._sample)
            await asyncio.sleep(0.2)

    def reset(self) -> None:
        self._sample()
        self.first = dict(self.last)

    def stop(self) -> float:
        self._running = False
        self._sample()
        return sum(self.last[pid] - self.first[pid] for pid in self.last) / TICK


@lru_cache(maxsize=2)
def engine_for(url: str) -> Any:
    from hub.runtime import db

    return db.make_engine(url, pool_size=2)


def pending(url: str, connection: redis.Redis) -> int:
    """Receipts not yet applied: unprocessed events, and jobs queued or running (what the receipts' listeners
    queued)."""
    from rq import Queue
    from rq.registry import StartedJobRegistry

    with engine_for(url).connect() as conn:
        events = int(conn.execute(text("SELECT count(*) FROM webhook_event WHERE processed_at IS NULL")).scalar_one())
    names = [queue.name for queue in Queue.all(connection=connection)]
    queued = sum(Queue(name, connection=connection).count for name in names)
    running = sum(len(StartedJobRegistry(name, connection=connection)) for name in names)
    return events + queued + running


def count_status(url: str, status: str) -> int:
    with engine_for(url).connect() as conn:
        value = conn.execute(text("SELECT count(*) FROM message WHERE direction = 'outbound' AND status = :s AND "
                                  "substr(provider_message_id, 10)::int BETWEEN 1 AND :n"), {"s": status, "n": N})
    return int(value.scalar_one())


async def paced(base: str, requests: list[Request], rate: float, limit: int) -> LoadResult:
    """Open loop: request i is due at start + i / rate; its latency counts from then."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter() + 0.05

        async def one(i: int, item: Request) -> None:
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with session.post(base + item.path, data=item.body, headers=item.headers) as answer:
                await answer.read()
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
            latencies.append(time.perf_counter() - due)

        tasks = [asyncio.create_task(one(i, item)) for i, item in enumerate(requests)]
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - start
    return LoadResult(len(requests), seconds, latencies, statuses)


def settle(processes: list[subprocess.Popen[bytes]], quiet: float = 0.05, timeout: float = 120.0) -> float:
    """Wait until the processes are done starting up: a fresh worker runs each periodic job once (partitions
    ahead, month folds, retention sweeps) and then only offers them, once per period, which is no cost per
    receipt. Quiet means all of them together spent under `quiet` of a core in each of two one-second windows.
    The seconds it took."""
    began = time.perf_counter()
    calm = 0
    while calm < 2 and time.perf_counter() - began < timeout:
        before = sum(tree_seconds(p.pid) for p in processes)
        time.sleep(1.0)
        calm = calm + 1 if sum(tree_seconds(p.pid) for p in processes) - before < quiet else 0
    return time.perf_counter() - began


def self_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hub-bench-receipts-"))
    base_url = fresh_schema("bench_receipts")
    url = base_url + f"&application_name={APP}"
    connection = redis.Redis.from_url(REDIS)
    connection.flushdb()
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    ids = setup_channels(url, public_url, 1)
    seed(url, N + 301)  # wamid.OUT1 .. N measured, the 300 after them warm up
    delivered = [meta_status(ids["meta"], n, "delivered") for n in range(1, N + 1)]
    read = [meta_status(ids["meta"], n, "read") for n in range(1, N + 1)]
    env = hub_env(url, port, work)
    if os.environ.get("BENCH_REPORTS") == "off":
        env["HUB_REPORTS_RECORD"] = "false"

    server = hub_process(["serve", "--port", str(port)], env, work / "serve.log")
    wait_http(public_url + "/healthz", timeout=300)  # a loaded machine starts slowly
    workers, first_ready, last_ready = start_workers(env, work)
    post_all(public_url, [meta_status(ids["meta"], N + n, "delivered") for n in range(1, 301)], CONCURRENCY)  # warm
    while pending(url, connection):
        time.sleep(0.2)

    settled = settle([server, *workers])
    idle_before = {"serve": tree_seconds(server.pid), "workers": sum(tree_seconds(w.pid) for w in workers)}
    time.sleep(IDLE_SECONDS)  # what the processes spend doing nothing (sweeps, heartbeats), to tell apart
    idle = {"serve": tree_seconds(server.pid) - idle_before["serve"],
            "workers": sum(tree_seconds(w.pid) for w in workers) - idle_before["workers"]}
    postgres = PostgresCpu(url)
    postgres.reset()

    async def throughput() -> tuple[LoadResult, float, float]:
        sampler = asyncio.create_task(postgres.run())
        began = time.perf_counter()
        result = await asyncio.to_thread(post_all, public_url, delivered, CONCURRENCY)
        generator = self_seconds()
        while await asyncio.to_thread(pending, url, connection):
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - began
        sampler.cancel()
        return result, elapsed, generator

    before = {"serve": tree_seconds(server.pid), "workers": sum(tree_seconds(w.pid) for w in workers)}
    generator_before = self_seconds()
    load_before = os.getloadavg()
    posted, elapsed, generator_after = asyncio.run(throughput())
    pg_seconds = postgres.stop()
    after = {"serve": tree_seconds(server.pid), "workers": sum(tree_seconds(w.pid) for w in workers)}
    load_after = os.getloadavg()
    applied = count_status(url, "delivered")

    latency = asyncio.run(paced(public_url, read, RATE, 256))
    while pending(url, connection):
        time.sleep(0.2)
    applied_read = count_status(url, "read")
    stop(server, *workers)

    per = {name: (after[name] - before[name]) / N * 1000 for name in after}
    per["postgres"] = pg_seconds / N * 1000
    generator_ms = (generator_after - generator_before) / N * 1000
    hub_total = per["serve"] + per["workers"] + per["postgres"]
    print(f"receipts benchmark: {N} signed Meta receipts, one per request, hub serve (1 process) + 2 workers, "
          f"PostgreSQL + Redis; workers ready in {first_ready:.1f} / {last_ready:.1f} s, quiet after their "
          f"start-up jobs {settled:.0f} s later")
    print(f"  load average {load_before[0]:.1f} before, {load_after[0]:.1f} after the throughput phase")
    print(f"  throughput: posted {posted.per_second:,.0f}/s (p50 {posted.percentile(0.5):.1f} ms, p99 "
          f"{posted.percentile(0.99):.1f} ms, {posted.statuses}); all {N} applied in {elapsed:.1f} s = "
          f"{N / elapsed:,.0f} receipts/s")
    print(f"  CPU ms per receipt: serve {per['serve']:.3f}, workers {per['workers']:.3f}, PostgreSQL "
          f"{per['postgres']:.3f} = Hub + PostgreSQL {hub_total:.3f}; load generator {generator_ms:.3f} "
          f"(on its own)")
    idle_ms = {name: idle[name] / IDLE_SECONDS * elapsed / N * 1000 for name in idle}
    print(f"  of which idle upkeep (measured for {IDLE_SECONDS:.0f} s before, scaled to the phase): serve "
          f"{idle_ms['serve']:.3f}, workers {idle_ms['workers']:.3f}; without it Hub + PostgreSQL "
          f"{hub_total - idle_ms['serve'] - idle_ms['workers']:.3f}")
    print(f"  paced {RATE:,.0f}/s: achieved {latency.per_second:,.0f}/s, p50 {latency.percentile(0.5):.1f} ms, "
          f"p99 {latency.percentile(0.99):.1f} ms, max {latency.percentile(1.0):.1f} ms, {latency.statuses}")
    ok = applied == N and applied_read == N
    print(f"  counts: delivered {applied} of {N}, then read {applied_read} of {N} -> "
          f"{'EXACT' if ok else 'MISMATCH'}")
    print(f"  logs in {work}")
    engine_for(url).dispose()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
