"""Hub on Redis behind Sentinel (HUB_REDIS_SENTINELS, HUB_REDIS_SENTINEL_MASTER): a real master, a replica and a
Sentinel (Debian's redis-server in sentinel mode) on loopback ports of their own; a failover moves the master and
Hub's jobs, throttles and live events follow it without a restart."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from hub.runtime import broker, events
from hub.runtime.settings import get_settings
from tests.conftest import wait_for

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
MASTER = "hubtest"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([REDIS_SERVER, *args], stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            if redis.Redis(port=port, socket_timeout=1).ping():
                return process
        except redis.RedisError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server {args[:1]} did not start: {log.read_text()[-300:]}")
        time.sleep(0.05)


@pytest.fixture
def sentinel_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed")
    ports = {"master": _free_port(), "replica": _free_port(), "sentinel": _free_port()}
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes = [_start(["--port", str(ports["master"]), *common], ports["master"], tmp_path / "master.log")]
    processes.append(_start(["--port", str(ports["replica"]), "--replicaof", "127.0.0.1", str(ports["master"]),
                             *common], ports["replica"], tmp_path / "replica.log"))
    config = tmp_path / "sentinel.conf"  # Sentinel rewrites its configuration file: one of its own
    config.write_text(f"port {ports['sentinel']}\nbind 127.0.0.1\ndir {tmp_path}\n"
                      f"sentinel monitor {MASTER} 127.0.0.1 {ports['master']} 1\n"
                      f"sentinel down-after-milliseconds {MASTER} 1000\n"
                      f"sentinel failover-timeout {MASTER} 4000\n")
    processes.append(_start([str(config), "--sentinel"], ports["sentinel"], tmp_path / "sentinel.log"))
    replica = redis.Redis(port=ports["replica"])
    wait_for(lambda: replica.info("replication").get("master_link_status") == "up", timeout=15)
    monkeypatch.setenv("HUB_REDIS_SENTINELS", f"127.0.0.1:{ports['sentinel']}")
    monkeypatch.setenv("HUB_REDIS_SENTINEL_MASTER", MASTER)
    monkeypatch.setenv("HUB_REDIS_URL", "redis://sentinel-decides:6379/0")  # only its database number counts
    monkeypatch.setenv("HUB_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    broker.reset()
    try:
        yield ports
    finally:
        broker.reset()
        get_settings.cache_clear()
        for process in processes:
            process.terminate()
            process.wait(10)


def _sentinel_master(port: int) -> int:
    address = redis.Redis(port=port).execute_command("SENTINEL", "get-master-addr-by-name", MASTER)
    return int(address[1])


def _enqueue_until_it_lands() -> None:
    """A command in flight when the master moves fails once (as when Redis restarts): the sweeper's next pass
    queues again. Here: try until one lands."""
    def attempt() -> bool:
        try:
            broker.queue("inbound").enqueue("hub.jobs.tasks.nothing_here", job_id="after-failover")
            return True
        except (redis.RedisError, OSError):
            return False
    wait_for(attempt, timeout=20, interval=0.2)


async def _one_live_event() -> str:
    client = broker.async_client()
    pubsub = client.pubsub()
    await pubsub.subscribe(broker.events_channel())
    try:
        while (await pubsub.get_message(timeout=1.0)) is None:
            pass
        broker.publish([events.Event("conversation.updated", {"conversation_id": 7, "status": "resolved"})])
        for _ in range(50):
            message = await pubsub.get_message(timeout=0.2)
            if message and message.get("type") == "message":
                return str(message["data"], "utf-8")
        return ""
    finally:
        await pubsub.aclose()
        await client.aclose()


def test_jobs_and_live_events_follow_a_sentinel_failover(sentinel_redis):
    ports = sentinel_redis
    queue = broker.queue("inbound")
    queue.enqueue("hub.jobs.tasks.nothing_here", job_id="before-failover")
    assert redis.Redis(port=ports["master"]).exists("rq:job:before-failover")
    assert json.loads(asyncio.run(_one_live_event()))["data"]["status"] == "resolved"

    sentinel = redis.Redis(port=ports["sentinel"], decode_responses=True)
    # the Sentinel learns of the replica from the master's INFO (every 10 s at first)
    wait_for(lambda: any(r["is_slave"] and r["runid"] and not (r["is_sdown"] or r["is_disconnected"])
                         for r in sentinel.sentinel_slaves(MASTER)), timeout=30, interval=0.2)
    sentinel.execute_command("SENTINEL", "FAILOVER", MASTER)
    wait_for(lambda: _sentinel_master(ports["sentinel"]) == ports["replica"], timeout=20)
    # the failover is over once the old master follows the new one (until then it still took writes, which
    # Redis's asynchronous replication then drops: why Hub keeps its state in the database, not in Redis)
    wait_for(lambda: redis.Redis(port=ports["master"]).info("replication")["role"] == "slave", timeout=20)

    _enqueue_until_it_lands()  # the same client, no restart
    promoted = redis.Redis(port=ports["replica"])
    assert promoted.exists("rq:job:after-failover")
    assert promoted.exists("rq:job:before-failover")  # replicated before the switch: nothing lost
    assert set(broker.queue("inbound").job_ids) >= {"before-failover", "after-failover"}
    assert "resolved" in asyncio.run(_one_live_event())  # a new subscription finds the new master
