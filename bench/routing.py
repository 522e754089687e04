"""Routing benchmarks. `bench_tag_rules` (in bench/tag_rules.py): tag rules per message.
`bench_assignment`: auto-assignment decisions per second under 32 concurrent
arrivals on PostgreSQL, in a private schema.

Each decision is one `hub.assignment.service.assign` call in its own transaction (what the
`assign` job does): read the policy and the agents allowed, lock their profile rows, count their
open conversations, claim the conversation, write the record, the audit entry and the event.

- a reference: the same decisions one at a time;
- one team of 8 online agents with room to spare, every arrival assigned: 32 threads, then 32 processes;
- four teams of 2 agents (decisions for different teams lock different rows);
- overload: 3 agents with capacity 5 and 2,000 arrivals at once: 15 assigned, the rest wait;
- floor: the claim alone (`UPDATE … WHERE assignee_id IS NULL` + commit), no decision.

After each run the counts are checked: every conversation assigned at most once, nobody above capacity.
Run: `.venv/bin/python bench/routing.py` (BENCH_ASSIGN_N=2000 arrivals by default).
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REDIS, fresh_schema  # noqa: E402
from bench.tag_rules import bench_tag_rules  # noqa: E402,F401  (main() runs it)

N = int(os.environ.get("BENCH_ASSIGN_N", "2000"))
WORKERS = int(os.environ.get("BENCH_ASSIGN_WORKERS", "32"))
SCHEMA = "bench_routing"


@dataclass
class Run:
    name: str
    decisions: int
    seconds: float
    latencies: list[float]
    outcomes: dict[str, int]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        per_second = self.decisions / self.seconds
        return (f"| {self.name} | {self.decisions:,} | {per_second:,.0f} | {self.percentile(0.5):.1f} | "
                f"{self.percentile(0.99):.1f} | {', '.join(f'{k} {v}' for k, v in sorted(self.outcomes.items()))} |")


def _engine(url: str, size: int) -> Engine:
    from hub.runtime import db

    return db.make_engine(url, pool_size=size, max_overflow=0)


def seed(url: str, teams: int, agents: int, capacity: int, conversations: int) -> list[int]:
    """`teams` teams of `agents` online agents, each team on its own channel with a least-loaded policy;
    open conversations spread over the channels. Returns the conversation ids."""
    engine = _engine(url, 1)
    with engine.begin() as conn:
        channels = []
        for team_no in range(teams):
            team = conn.execute(text("INSERT INTO team (name, created_at) VALUES (:n, now()) RETURNING id"),
                                {"n": f"Bench {team_no}"}).scalar()
            channel = conn.execute(text(
                "INSERT INTO channel (kind, name, config, is_active, created_at) "
                "VALUES ('sms_twilio', 'bench', '{}', true, now()) RETURNING id")).scalar()
            channels.append(channel)
            conn.execute(text("INSERT INTO team_channel (team_id, channel_id) VALUES (:t, :c)"),
                         {"t": team, "c": channel})
            users = conn.execute(text(
                "INSERT INTO users (email, name, password_hash, role, locale, is_active, online, session_version, "
                "created_at) SELECT 'agent' || :t || '.' || n || '@bench.test', 'agent ' || n, 'x', 'agent', 'en', "
                "true, true, 1, now() FROM generate_series(1, :n) AS n RETURNING id"),
                {"n": agents, "t": team}).scalars().all()
            conn.execute(text("INSERT INTO team_member (team_id, user_id) SELECT :t, unnest(CAST(:u AS int[]))"),
                         {"t": team, "u": list(users)})
            conn.execute(text("INSERT INTO agent_profile (user_id, capacity, skills, languages) "
                              "SELECT unnest(CAST(:u AS int[])), :cap, '[]', '[]'"),
                         {"u": list(users), "cap": capacity})
            conn.execute(text("INSERT INTO assignment_policy (team_id, kind, enabled, created_at, updated_at) "
                              "VALUES (:t, 'least_loaded', true, now(), now())"), {"t": team})
        ids = conn.execute(text(
            "WITH c AS (INSERT INTO contact (name, custom_fields, created_at, updated_at) "
            "SELECT 'c' || n, '{}', now(), now() FROM generate_series(1, :n) AS n RETURNING id) "
            "INSERT INTO conversation (contact_id, channel_id, status, unread_count, last_activity_at, created_at) "
            "SELECT id, (CAST(:channels AS int[]))[1 + id % :teams], 'open', 1, now(), now() FROM c RETURNING id"),
            {"n": conversations, "channels": channels, "teams": teams}).scalars().all()
    engine.dispose()
    return sorted(int(i) for i in ids)


def _decide_all(url: str, ids: list[int], workers: int, decide: Callable[[Any, int], str]) -> Run:
    """`workers` threads take conversation ids from one queue; each decision is timed."""
    engine = _engine(url, workers)
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for conversation_id in ids:
        todo.put(conversation_id)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(workers + 1)

    def worker() -> None:
        start.wait()
        while True:
            try:
                conversation_id = todo.get_nowait()
            except queue.Empty:
                return
            began = time.perf_counter()
            status = decide(engine, conversation_id)
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                outcomes[status] = outcomes.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    engine.dispose()
    return Run("", len(ids), seconds, latencies, outcomes)


def _assign(engine: Any, conversation_id: int) -> str:
    from sqlmodel import Session

    from hub.assignment import service

    with Session(engine, expire_on_commit=False) as session:
        outcome = service.assign(session=session, conversation_id=conversation_id)
        session.commit()
    return outcome.status


def _claim_only(engine: Any, conversation_id: int) -> str:
    with engine.begin() as conn:
        done = conn.execute(text("UPDATE conversation SET assignee_id = (SELECT min(user_id) FROM agent_profile) "
                                 "WHERE id = :c AND assignee_id IS NULL"), {"c": conversation_id}).rowcount
    return "claimed" if done else "skipped"


def _process(url: str, ids: list[int], start: Any, results: Any) -> None:
    os.environ["HUB_DATABASE_URL"] = url
    from hub.assignment import service  # noqa: F401  (imported before the clock starts)

    engine = _engine(url, 1)
    start.wait()
    latencies, outcomes = [], {}
    for conversation_id in ids:
        began = time.perf_counter()
        status = _assign(engine, conversation_id)
        latencies.append(time.perf_counter() - began)
        outcomes[status] = outcomes.get(status, 0) + 1
    results.put((latencies, outcomes))
    engine.dispose()


def _decide_in_processes(url: str, ids: list[int], workers: int) -> Run:
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(workers + 1), context.Queue()
    slices = [ids[n::workers] for n in range(workers)]
    processes = [context.Process(target=_process, args=(url, part, start, results)) for part in slices]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    gathered = [results.get() for _ in processes]
    seconds = time.perf_counter() - began
    for process in processes:
        process.join()
    latencies = [x for part, _ in gathered for x in part]
    outcomes: dict[str, int] = {}
    for _, part in gathered:
        for status, count in part.items():
            outcomes[status] = outcomes.get(status, 0) + count
    return Run("", len(ids), seconds, latencies, outcomes)


def check(url: str) -> str:
    """Nobody above capacity, nothing assigned twice: the invariants the benchmark must keep."""
    engine = _engine(url, 1)
    with engine.connect() as conn:
        over = conn.execute(text(
            "SELECT count(*) FROM (SELECT c.assignee_id FROM conversation c JOIN agent_profile p "
            "ON p.user_id = c.assignee_id WHERE c.status = 'open' GROUP BY c.assignee_id, p.capacity "
            "HAVING count(*) > p.capacity) AS x")).scalar()
        twice = conn.execute(text("SELECT count(*) FROM (SELECT conversation_id FROM assignment_record "
                                  "GROUP BY conversation_id HAVING count(*) > 1) AS x")).scalar()
        assigned = conn.execute(text("SELECT count(*) FROM conversation WHERE assignee_id IS NOT NULL")).scalar()
    engine.dispose()
    assert over == 0 and twice == 0, (over, twice)
    return f"{assigned} assigned, 0 above capacity, 0 assigned twice"


def machine() -> str:
    engine = _engine(fresh_schema(SCHEMA), 1)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return (f"{os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {version}, "
            f"{platform.system()} {platform.release()}")


def bench_assignment() -> None:
    """Assignment decisions per second under concurrent arrivals; prints a table and the invariants."""
    os.environ.update(HUB_REDIS_URL=REDIS, HUB_ENV="development", HUB_LOG_LEVEL="WARNING",
                      HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789")
    print(f"## assignment: {WORKERS} concurrent arrivals, N = {N:,}")
    print(f"machine: {machine()}\n")
    print("| run | decisions | decisions/s | p50 ms | p99 ms | outcomes |")
    print("|---|---|---|---|---|---|")
    notes = []
    for name, teams, agents, capacity, arrivals, workers, mode in (
        ("1 team x 8 agents, 1 worker (sequential reference)", 1, 8, 100_000, N // 4, 1, "threads"),
        (f"1 team x 8 agents, {WORKERS} threads", 1, 8, 100_000, N, WORKERS, "threads"),
        (f"1 team x 8 agents, {WORKERS} processes", 1, 8, 100_000, N, WORKERS, "processes"),
        (f"4 teams x 2 agents, {WORKERS} threads", 4, 2, 100_000, N, WORKERS, "threads"),
        (f"overload: 3 agents x capacity 5, {WORKERS} threads", 1, 3, 5, min(N, 2000), WORKERS, "threads"),
        (f"floor: the claim UPDATE + commit alone, {WORKERS} threads", 1, 8, 100_000, N, WORKERS, "floor"),
    ):
        url = fresh_schema(SCHEMA)
        ids = seed(url, teams, agents, capacity, arrivals)
        if mode == "processes":
            run = _decide_in_processes(url, ids, workers)
        else:
            run = _decide_all(url, ids, workers, _claim_only if mode == "floor" else _assign)
        run.name = name
        print(run.line())
        if mode != "floor":
            notes.append(f"- {name}: {check(url)}")
    print()
    print("\n".join(notes))


def main() -> None:
    for name in ("bench_tag_rules", "bench_assignment"):
        bench = globals().get(name)
        if callable(bench):
            bench()
            print()


if __name__ == "__main__":
    main()
