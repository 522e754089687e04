"""A worker outlives a Redis failover or restart: RQ's loop quits on a Redis error that is not in its dequeue
(here: the heartbeat at the end of a job, with Redis gone), and `hub worker` used to exit with it, status 0, so
wherever nothing restarted it the queues lost that worker for good (found by bench/chaos.py's Redis failover).

A real `hub worker` process on PostgreSQL and a Redis server of the test's own, killed and started again."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rq import Worker

from hub.runtime import broker
from hub.runtime.settings import get_settings
from tests.conftest import start_process, wait_for
from tests.core import worker_jobs

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis(port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for(lambda: _pings(port), timeout=15)
    return process


def _pings(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.slow
def test_a_worker_takes_jobs_again_after_redis_vanished_under_a_running_job(pg_backend, tmp_path, monkeypatch):
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = _redis(port, tmp_path / "redis.log")
    monkeypatch.setenv("HUB_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    get_settings.cache_clear()
    broker.reset()
    log = tmp_path / "worker.log"
    worker = start_process(["worker", "--queues", "inbound"], dict(os.environ), log)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    try:
        wait_for(lambda: Worker.all(connection=broker.connection()), timeout=600)  # a loaded machine: slow imports
        broker.queue("inbound").enqueue(worker_jobs.nap, str(first), 3.0)
        wait_for(lambda: (first / "started").exists(), timeout=60)
        server.kill()  # Redis goes away while the job runs: the job's end finds no Redis
        server.wait()
        wait_for(lambda: (first / "finished").exists(), timeout=30)
        time.sleep(3)
        server = _redis(port, tmp_path / "redis.log")  # back (empty, as a promoted replica may be)
        broker.reset()
        broker.queue("inbound").enqueue(worker_jobs.nap, str(second), 0.0)

        wait_for(lambda: (second / "finished").exists() or worker.poll() is not None, timeout=120)
        assert worker.poll() is None, f"the worker exited ({worker.returncode}): {log.read_text()[-800:]}"
        assert (second / "finished").exists()
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.terminate()
        server.wait(10)
        broker.reset()
