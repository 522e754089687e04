"""200 conversations arrive at once for 3 agents with capacity 5 (PostgreSQL): nobody above capacity,
nothing assigned twice, and the waiting ones are handed out exactly once as conversations resolve."""

from __future__ import annotations

import random
import threading

from sqlalchemy import text

from hub.assignment import jobs
from hub.runtime import db
from hub.runtime.db import session_scope
from tests.assignment.factories import desk, loads, many_conversations, policy, resolve

OVER_CAPACITY = text("""
    SELECT c.assignee_id, count(*) FROM conversation c JOIN agent_profile p ON p.user_id = c.assignee_id
    WHERE c.status = 'open' GROUP BY c.assignee_id, p.capacity HAVING count(*) > p.capacity""")
ASSIGNED_TWICE = text("""
    SELECT conversation_id FROM assignment_record WHERE policy <> 'manual' AND assignee_id IS NOT NULL
    GROUP BY conversation_id HAVING count(*) > 1""")


class Watcher(threading.Thread):
    """Checks the invariants over and over on its own connection while the test runs."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = db.make_engine(url, pool_size=1, max_overflow=0)
        self.stop = threading.Event()
        self.checks = 0
        self.violations: list[str] = []

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                for name, query in (("over capacity", OVER_CAPACITY), ("assigned twice", ASSIGNED_TWICE)):
                    rows = conn.execute(query).all()
                    if rows:
                        self.violations.append(f"{name}: {rows}")
                conn.rollback()
                self.checks += 1
                self.stop.wait(0.002)

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=10)
        self.engine.dispose()


def _count(sql: str) -> int:
    with session_scope() as session:
        return int(session.execute(text(sql)).scalar_one())


def test_two_hundred_arrivals_never_overload_three_agents(pg_backend):
    team = desk(["ann", "bob", "cy"], capacity=5)
    policy("least_loaded", team_id=team.team_id)
    conversations = many_conversations(team.channel_id, 200)
    watcher = Watcher(pg_backend.database_url)
    watcher.start()
    start = threading.Barrier(len(conversations))
    results: list[str] = []

    def arrival(conversation_id: int) -> None:
        start.wait()
        results.append(jobs.assign(conversation_id))

    threads = [threading.Thread(target=arrival, args=(cid,)) for cid in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(set(results)) == ["assigned", "waiting"] and results.count("assigned") == 15
        assert loads() == {agent: 5 for agent in team.agents.values()}
        assert _count("SELECT count(*) FROM conversation WHERE assignee_id IS NULL AND status = 'open'") == 185
        assert _count("SELECT count(*) FROM assignment_record") == 15

        rounds, rng = 0, random.Random(7)
        while _count("SELECT count(*) FROM conversation WHERE assignee_id IS NULL AND status = 'open'"):
            with session_scope() as session:
                held = [int(r) for r in session.execute(text(
                    "SELECT id FROM conversation WHERE status = 'open' AND assignee_id IS NOT NULL")).scalars()]
            resolve(*rng.sample(held, rng.randint(1, min(6, len(held)))))
            runners = [threading.Thread(target=jobs.run_queue) for _ in range(3)]  # queue runs racing each other
            for runner in runners:
                runner.start()
            for runner in runners:
                runner.join()
            assert all(n <= 5 for n in loads().values())
            rounds += 1
            assert rounds < 200
    finally:
        watcher.finish()
    assert watcher.violations == [] and watcher.checks > 10
    assert _count("SELECT count(*) FROM assignment_record") == 200
    assert _count("SELECT count(DISTINCT conversation_id) FROM assignment_record") == 200
    assert _count("SELECT count(*) FROM audit_log WHERE action = 'conversation.assigned'") == 200
    assert sum(loads().values()) <= 15


def test_simultaneous_arrivals_are_serialised_on_sqlite_too(backend):
    team = desk(["ann", "bob"], capacity=3)
    policy("round_robin", team_id=team.team_id)
    conversations = many_conversations(team.channel_id, 20)
    start = threading.Barrier(len(conversations))

    def arrival(conversation_id: int) -> None:
        start.wait()
        jobs.assign(conversation_id)

    threads = [threading.Thread(target=arrival, args=(cid,)) for cid in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads() == {agent: 3 for agent in team.agents.values()}
    assert _count("SELECT count(*) FROM assignment_record") == 6
