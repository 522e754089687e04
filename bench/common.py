"""Shared bench plumbing: a private PostgreSQL schema, processes, a concurrent HTTP client, percentiles."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
from sqlalchemy import text

from hub import schema
from hub.runtime import db

PG = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_schema(name: str) -> str:
    """Drop and re-create a schema, migrate it, and return its database URL."""
    name += os.environ.get("BENCH_SCHEMA_SUFFIX", "")  # parallel runs on one server keep apart
    admin = db.make_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    admin.dispose()
    url = f"{PG}?options=-csearch_path%3D{name}%2Cpublic"
    engine = db.make_engine(url)
    with engine.connect() as conn:
        schema.upgrade(connection=conn)
        conn.commit()
    engine.dispose()
    return url


def hub_env(database_url: str, port: int, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=database_url, HUB_REDIS_URL=REDIS, HUB_PUBLIC_URL=f"http://127.0.0.1:{port}",
               HUB_ENV="development", HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789",
               HUB_VAR_DIR=str(var_dir), HUB_LOG_LEVEL="WARNING",
               HUB_ALLOW_PRIVATE_URLS="true")  # the fake providers listen on 127.0.0.1
    return env


def start(args: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(list(args), env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT)


def hub_process(args: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start([sys.executable, "-m", "hub.cli", *args], env, log)


def start_workers(env: dict[str, str], work: Path, count: int = 2, timeout: float = 120
                  ) -> tuple[list[subprocess.Popen[bytes]], float, float]:
    """`count` `hub worker`s; returns them with the seconds until the first and the last had registered with RQ
    (imported, connected, taking jobs). A benchmark's clock starts at the first: a worker's start-up is its
    own figure, not part of a throughput."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(env["HUB_REDIS_URL"])
    launched = time.perf_counter()
    workers = [hub_process(["worker"], env, work / f"worker{i}.log") for i in range(count)]
    first = None
    while (ready := Worker.count(connection=connection)) < count:
        if first is None and ready:
            first = time.perf_counter() - launched
        if time.perf_counter() - launched > timeout:
            raise RuntimeError(f"only {ready} of {count} workers started in {timeout:.0f} s (see {work})")
        time.sleep(0.02)
    last = time.perf_counter() - launched
    return workers, first if first is not None else last, last


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class LoadResult:
    count: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _post_all(base: str, requests: Sequence[Request], concurrency: int, prefix: str) -> LoadResult:
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def client() -> None:
            while not queue.empty():
                item = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(base + prefix + item.path, data=item.body, headers=item.headers) as answer:
                    await answer.read()
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return LoadResult(len(requests), seconds, latencies, statuses)


def post_all(base: str, requests: Sequence[Request], concurrency: int = 64, prefix: str = "") -> LoadResult:
    return asyncio.run(_post_all(base, requests, concurrency, prefix))
