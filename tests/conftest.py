"""Test isolation: every storage and queue test runs on the embedded default (SQLite + the
embedded Redis-compatible server) and on PostgreSQL + Redis when they answer (always in CI).

Each test gets an empty database (a fresh SQLite file, or a truncated private PostgreSQL
schema migrated once per run) and an empty Redis database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from hub import composition, schema
from hub.agents import service as agents
from hub.channel_records import service as channel_service
from hub.runtime import broker, db, events
from hub.runtime.settings import get_settings
from reports.settings import get_report_settings

PG_BASE = os.environ.get("HUB_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("HUB_TEST_REDIS", "redis://127.0.0.1:6379")
# Two suites on one machine (a second checkout, a helper) each set their own pair of Redis databases. Under
# pytest-xdist (`make test` runs several processes) process gwN takes the pair 2N below: 13 and 12, 11 and 10...
XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_TEST_DB = int(os.environ.get("HUB_TEST_REDIS_DB", "13")) - 2 * XDIST_INDEX
SCHEMA = f"t_{uuid.uuid4().hex[:10]}"
DEMO_HISTORY_DAYS = "35"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


POSTGRES_UP = _port_open("127.0.0.1", 5432) and _port_open("127.0.0.1", 6379)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A browser test runs on the embedded default (SQLite + the embedded server: what `make run` serves): the
    page and its scripts are the same on either database, and the storage beneath them is tested on both by the
    API and service tests. One marked `both_backends` also runs on PostgreSQL + Redis, for what the page shows
    of a path that differs there (search, report and segment SQL, live events through Redis, a race)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgres"
        if on_postgres and "browser" in item.keywords and "both_backends" not in item.keywords:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def embedded_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from hub.runtime import embedded

    url, process = embedded.start(tmp_path_factory.mktemp("embedded"))
    yield url
    process.terminate()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hub.runtime.db"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    with engine.connect() as conn:
        schema.upgrade(connection=conn)
        conn.commit()
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    if not POSTGRES_UP:
        if os.environ.get("HUB_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL and Redis must be reachable on 127.0.0.1 (HUB_REQUIRE_POSTGRES is set)")
        pytest.skip("PostgreSQL or Redis is not reachable on 127.0.0.1")
    admin = db.make_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    url = pg_url(SCHEMA)
    engine = db.make_engine(url)
    with engine.connect() as conn:
        schema.upgrade(connection=conn)
        conn.commit()
    engine.dispose()
    yield url
    if url in _truncating:
        _truncating.pop(url).dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    admin.dispose()


def pg_url(schema_name: str) -> str:
    """The test schema first on the search path; commits do not wait for the WAL to reach the disk (a crash of
    the machine could lose the last few, which a test database can afford: on a busy disk that wait was the most
    of a test's time on PostgreSQL)."""
    return f"{PG_BASE}?options=-csearch_path%3D{schema_name}%2Cpublic%20-csynchronous_commit%3Doff"


_truncating: dict[str, Engine] = {}
RESTART_SEQUENCES = ("SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) FROM pg_sequences"
                     " WHERE schemaname = current_schema() AND last_value IS NOT NULL")


def _truncate_postgres(url: str) -> None:
    """Empty every table that holds rows and restart every sequence a test moved on (ids start at 1 again).

    A test writes a handful of the 56 tables, so those are found first and only they are emptied, children
    before parents, by DELETE: TRUNCATE makes new files for a table and each of its indexes and took most of a
    second for all of them. Should a cycle of foreign keys refuse the DELETEs, TRUNCATE ... CASCADE does it.
    PostgreSQL's autovacuum may hold one table while the TRUNCATE holds another, and the deadlock detector then
    aborts the TRUNCATE: that is the harness's bad luck, so try again."""
    engine = _truncating.get(url)
    if engine is None:
        engine = _truncating[url] = create_engine(url, poolclass=StaticPool, pool_pre_ping=True)
    tables = [t.name for t in composition.target_metadata().sorted_tables]
    tables += [t.key_table for module in composition.MODULES for t in module.partitioned]  # outside the models
    written = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables)
    with engine.connect() as conn:
        full = set(conn.execute(text(written)).scalars())
        conn.rollback()
    if full:
        try:
            with engine.begin() as conn:
                for name in reversed(tables):
                    if name in full:
                        conn.execute(text(f'DELETE FROM "{name}"'))
        except IntegrityError:
            quoted = [f'"{name}"' for name in sorted(full)]
            for attempt in range(5):
                try:
                    with engine.begin() as conn:
                        conn.execute(text(f"TRUNCATE {', '.join(quoted)} CASCADE"))
                    break
                except OperationalError as error:
                    if "deadlock detected" not in str(error) or attempt == 4:
                        raise
                    time.sleep(0.2)
    with engine.begin() as conn:
        conn.execute(text(RESTART_SEQUENCES))


class Backend:
    """Which storage and queue a test runs on."""

    def __init__(self, name: str, database_url: str, redis_url: str) -> None:
        self.name = name
        self.database_url = database_url
        self.redis_url = redis_url

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    def __repr__(self) -> str:
        return self.name


def _configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, redis_url: str) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_REDIS_URL", redis_url)
    monkeypatch.setenv("HUB_ENV", "test")
    monkeypatch.setenv("HUB_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    monkeypatch.setenv("HUB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example.test")
    monkeypatch.setenv("HUB_SANDBOX", "true")  # sandbox channels and provider fakes, as `hub run` has them
    monkeypatch.setenv("HUB_ALLOW_PRIVATE_URLS", "true")  # the provider fakes listen on 127.0.0.1
    # A test that loads the demo gets five weeks of history, not five months (a month's end and weekends are in
    # it): the history's own test (tests/reports/test_demo_history.py) makes the full length.
    monkeypatch.setenv("HUB_DEMO_HISTORY_DAYS", DEMO_HISTORY_DAYS)
    get_settings.cache_clear()
    get_report_settings.cache_clear()
    db.reset_engines()
    broker.reset()
    channel_service.forget_cache()
    events.clear()


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for every test: the real cost is for attackers, and at about 0.1 s a hash it
    was a fifth of the suite. A process started by a test (`hub run`, a worker) keeps the real ones."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(agents, "_hasher", quick)
    monkeypatch.setattr(agents, "_DUMMY_HASH", quick.hash("not-a-real-password"))


_learned: dict[tuple[object, ...], tuple[object, object]] = {}


@pytest.fixture(autouse=True, scope="session")
def tagger_learned_once_per_example_set() -> Iterator[None]:
    """`make run`'s demo learns its tagger (scikit-learn, a held-out score and a fit: seconds) and a dozen tests
    load the demo. The first training on a set of examples is real; another on the very same examples gets that
    tagger and report again, saved where it asked (the fit is deterministic: it would learn the same). New
    examples (an agent's tags) train again."""
    from hub.tagging import train

    real = train.train

    def train_once(examples, path=None):  # type: ignore[no-untyped-def]
        key = tuple(examples)
        if key not in _learned:
            tagger, report, saved = real(examples, path)
            _learned[key] = (tagger, report)
            return tagger, report, saved
        tagger, report = _learned[key]
        return tagger, report, train.save(tagger, path)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train, "train", train_once)
        yield


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Backend]:
    """An empty database and an empty Redis: SQLite + embedded server, or PostgreSQL + Redis."""
    if request.param == "sqlite":
        path = tmp_path / "hub.runtime.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        chosen = Backend("sqlite", f"sqlite:///{path}", request.getfixturevalue("embedded_redis_url"))
    else:
        chosen = _empty_postgres(request)
    yield from _use(chosen, monkeypatch, tmp_path)


@pytest.fixture
def pg_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Backend]:
    """PostgreSQL + Redis only: for concurrency tests that SQLite cannot show."""
    yield from _use(_empty_postgres(request), monkeypatch, tmp_path)


def _empty_postgres(request: pytest.FixtureRequest) -> Backend:
    url = request.getfixturevalue("postgres_schema")
    _truncate_postgres(url)
    return Backend("postgres", url, f"{REDIS_BASE}/{REDIS_TEST_DB}")


def _use(chosen: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Backend]:
    redis.Redis.from_url(chosen.redis_url).flushdb()
    _configure(monkeypatch, tmp_path, chosen.database_url, chosen.redis_url)
    yield chosen
    db.reset_engines()
    broker.reset()
    events.clear()
    get_settings.cache_clear()
    get_report_settings.cache_clear()


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A real `hub` process (API or worker) for tests that kill and restart one."""
    handle = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "hub.cli", *args], env=env, stdout=handle, stderr=handle)


def wait_for(condition, timeout: float = 20.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
