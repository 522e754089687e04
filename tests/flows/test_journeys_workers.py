"""Real worker processes SIGKILLed at random, and Redis flushed, while runs with waits go through: each run's each
step is applied once (one message per step in the database, at most one provider call for it), nothing is lost.

`make test` runs 600 runs (1,200 messages through the sandbox). Fewer would not do: a worker stores the messages
of 200 runs at a time (`runner.CHUNK`) before it is killed, so four kills need more than 800 messages to all land
mid-run, which the test checks. A bigger run is `HUB_TEST_KILLED_RUNS=1000` (what `make test` ran before) or the
issue's `HUB_TEST_KILLED_RUNS=5000 .venv/bin/pytest tests/flows/test_journeys_workers.py` (minutes: each message
is one send job)."""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from channels.sandbox import SandboxState, serve_sandbox
from flows.journeys import service
from flows.journeys.models import FlowRun
from hub.channel_records import service as channel_service
from hub.conversations.models import Message
from hub.runtime import broker
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from tests.conftest import start_process, wait_for
from tests.factories import make_channel
from tests.flows.journeys_world import Clock, Shop
from tests.flows.test_journeys_runs import _contacts

TWO_STEPS = {
    "trigger": {"type": "api", "config": {}}, "start": "a",
    "nodes": [{"id": "a", "type": "send_message", "config": {"text": {"en": "first"}}},
              {"id": "w", "type": "wait", "config": {"minutes": 1}},
              {"id": "b", "type": "send_message", "config": {"text": {"en": "second"}}},
              {"id": "e", "type": "end", "config": {}}],
    "edges": [{"from": "a", "port": "sent", "to": "w"}, {"from": "w", "port": "next", "to": "b"},
              {"from": "b", "port": "sent", "to": "e"}],
}


def unfinished() -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count()).select_from(FlowRun).where(
            col(FlowRun.status).in_(("active", "waiting")))).scalar_one())


@pytest.mark.slow
def test_workers_killed_at_random_and_redis_flushed_apply_each_step_once(pg_backend: Any, tmp_path: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    n = int(os.environ.get("HUB_TEST_KILLED_RUNS", "600"))
    with serve_sandbox(SandboxState(receipts="off", max_messages=2 * n + 100)) as sandbox:
        monkeypatch.setenv("HUB_PUBLIC_URL", sandbox.url)
        monkeypatch.setenv("HUB_FLOW_TIME_SCALE", "600")  # the minute's wait takes 0.1 s
        get_settings.cache_clear()
        channel_service.forget_cache()
        channel_id = make_channel("telegram", "Shop bot").id or 0
        shop = Shop(sandbox, Clock(utcnow()), channel_id)
        people = _contacts(shop, n)
        with session_scope() as session:
            flow = service.create(session=session, name="Two steps", definition=TWO_STEPS)
            service.publish(session=session, flow_id=flow.id or 0)
            for contact_id in people:  # due now: the workers' sweeper hands them on
                service.start_run(session=session, flow=flow, contact_id=contact_id)
        env = dict(os.environ)
        rng = random.Random(15)
        for round_ in range(4):
            before = _stored()
            worker = start_process(["worker"], env, tmp_path / f"worker{round_}.log")
            wait_for(lambda: _stored() > before, timeout=120, interval=0.2)  # it has started working
            time.sleep(rng.uniform(0.2, 2))
            if round_ == 2:  # Redis loses everything: queued jobs, leases' jobs, the delivery engine's kicks
                broker.connection().flushdb()
                time.sleep(rng.uniform(0.2, 1))
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        assert 0 < _stored() < 2 * n  # the kills and the flush landed mid-run
        final = start_process(["worker"], env, tmp_path / "worker-final.log")
        try:
            wait_for(lambda: unfinished() == 0, timeout=max(300, n * 0.5), interval=1)
            wait_for(lambda: _queued() == 0, timeout=120, interval=1)
        finally:
            final.terminate()
            final.wait(timeout=20)
        with session_scope() as session:
            stored = Counter((m.conversation_id, m.text) for m in session.exec(
                select(Message).where(Message.sender == "flow")).all())
            statuses = Counter(str(s) for s in session.execute(select(col(FlowRun.status))).scalars())
        assert statuses == {"completed": n}
        assert len(stored) == 2 * n and set(stored.values()) == {1}  # each step's message once
        calls = Counter((r.customer, r.text) for r in sandbox.state.messages(channel_id, direction="out"))
        assert max(calls.values()) == 1  # nobody was called twice for one step


def _stored() -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count()).select_from(Message).where(
            col(Message.sender) == "flow")).scalar_one())


def _queued() -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count()).select_from(Message).where(
            col(Message.sender) == "flow", col(Message.status).in_(("queued", "sending")))).scalar_one())
