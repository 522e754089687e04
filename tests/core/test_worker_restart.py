"""A webhook acknowledged is never lost: not when the worker is killed, not when Redis loses its jobs."""

from __future__ import annotations

import os
import random
import signal
import time

from fastapi.testclient import TestClient
from sqlmodel import select

from hub.composition import create_app
from hub.conversations.models import Message
from hub.runtime import broker
from hub.runtime.db import session_scope
from tests.conftest import start_process, wait_for
from tests.factories import make_channel, telegram_headers, telegram_update


def message_texts() -> list[str]:
    with session_scope() as session:
        return [m.text or "" for m in session.exec(select(Message).order_by(Message.id))]


def test_killing_the_worker_after_the_webhook_was_acknowledged_still_produces_the_message(backend, tmp_path):
    channel = make_channel("telegram")
    env = dict(os.environ)
    with TestClient(create_app()) as client:
        for update_id in range(1, 6):
            answer = client.post(f"/webhooks/telegram/{channel.id}", headers=telegram_headers(channel.id),
                                 content=telegram_update(update_id, text=f"第{update_id}件"))
            assert answer.status_code == 200

    worker = start_process(["worker"], env, tmp_path / "worker1.log")
    time.sleep(random.uniform(0.0, 1.5))
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    broker.connection().flushdb()  # and Redis lost every job it had

    restarted = start_process(["worker"], env, tmp_path / "worker2.log")
    try:
        wait_for(lambda: len(message_texts()) == 5, timeout=90)
    finally:
        restarted.terminate()
        restarted.wait(timeout=20)
    assert message_texts() == [f"第{i}件" for i in range(1, 6)]
