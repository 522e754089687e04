"""Browser tests: the real app on a free port (uvicorn in a thread), a real RQ worker in a thread, and
Debian's Chromium driven by Playwright, on the `backend` fixture's database and Redis."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import uvicorn
from rq.timeouts import TimerDeathPenalty

from hub import composition
from hub.composition import create_app
from hub.jobs import worker as hub_worker
from hub.runtime import broker
from hub.runtime.settings import get_settings
from tests.conftest import REDIS_BASE, XDIST_INDEX, wait_for

CHROMIUM = "/usr/bin/chromium"
BROWSER_REDIS_DB = int(os.environ.get("HUB_TEST_BROWSER_REDIS_DB", "12")) - 2 * XDIST_INDEX
# Room for a slow, busy 2-core machine in every wait for a job's effect (a webhook drained, a message sent,
# a tag applied). A wait on a condition ends as soon as it holds, so this costs nothing when all is well.
JOB_WAIT = 60.0
IDLE_LOOK = 0.2  # how often the test's worker looks whether the test has ended (it stops within that)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without Chromium, browser tests are skipped; with HUB_REQUIRE_BROWSER set, the `chromium` fixture fails them."""
    if Path(CHROMIUM).exists() or os.environ.get("HUB_REQUIRE_BROWSER"):
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt install chromium)"))


@pytest.fixture(scope="package")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("HUB_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing and HUB_REQUIRE_BROWSER is set")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=int(JOB_WAIT * 1000))  # what a page shows after a job: see JOB_WAIT
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()




class ThreadWorker(hub_worker.HubWorker):
    """The real worker, in a thread, for the whole test: it takes each job the moment it is enqueued.

    Signals belong to the main thread, so job timeouts use a timer and the test stops it through `stopping`:
    between jobs it waits at most IDLE_LOOK seconds on the queues before it looks again (a job wakes it at once,
    so the wait only bounds how long the end of a test takes).
    """

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args: Any, stopping: threading.Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = stopping

    def _install_signal_handlers(self) -> None:
        pass

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        while not self.stopping.is_set():
            found = super().dequeue_job_and_maintain_ttl(IDLE_LOOK, max_idle_time=IDLE_LOOK)  # type: ignore[arg-type]
            if found is not None:
                return found
        return None  # work() ends its loop and tears down: deregistered, listener stopped


def _work(stop: threading.Event) -> None:
    composition.wire()
    while not stop.is_set():
        try:
            worker = ThreadWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection(),
                                  stopping=stop)
            worker.work(logging_level="WARNING")
        except Exception:  # the test is ending and Redis went away
            if stop.is_set():
                return
        stop.wait(0.5)  # only after a crash: RQ logs a job's own failure and goes on


@dataclass
class RunningHub:
    url: str
    app: object


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hub_server(backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningHub]:
    """Hub serving on a free port (its public URL pointing at itself), and a worker draining its queues."""
    port = _free_port()
    monkeypatch.setenv("HUB_PUBLIC_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HUB_REDIS_PREFIX", f"hub-{uuid.uuid4().hex[:8]}")  # live events of this test only
    if backend.is_postgres:  # a Redis database of its own: a stray worker of another run must not take these jobs
        url = f"{REDIS_BASE}/{BROWSER_REDIS_DB}"
        redis.Redis.from_url(url).flushdb()
        monkeypatch.setenv("HUB_REDIS_URL", url)
        broker.reset()
    get_settings.cache_clear()
    app = create_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = threading.Thread(target=server.run, daemon=True, name="hub-api")
    serving.start()
    wait_for(lambda: server.started, timeout=10, interval=0.02)
    monkeypatch.setattr(hub_worker, "COMMAND_POLL_SECONDS", IDLE_LOOK)  # its command listener stops as soon
    stop = threading.Event()
    working = threading.Thread(target=_work, args=(stop,), daemon=True, name="hub-worker")
    working.start()
    try:
        yield RunningHub(f"http://127.0.0.1:{port}", app)
    finally:
        stop.set()
        server.should_exit = True
        working.join(15)
        assert not working.is_alive(), "the test's worker did not stop"
        serving.join(10)


@pytest.fixture
def page_errors() -> list[str]:
    """Script errors and dialogs seen by the pages of a test (a test asserts it stays empty)."""
    return []


@pytest.fixture
def new_page(chromium, hub_server, page_errors):  # type: ignore[no-untyped-def]
    contexts = []

    def make(width: int = 1280, height: int = 800, locale: str = "en-US"):  # type: ignore[no-untyped-def]
        context = chromium.new_context(viewport={"width": width, "height": height}, locale=locale,
                                       base_url=hub_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: page_errors.append(f"pageerror: {error}"))
        page.on("console", lambda msg: page_errors.append(f"console: {msg.text}") if msg.type == "error" else None)

        def on_dialog(dialog):  # type: ignore[no-untyped-def]
            page_errors.append(f"dialog: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield make
    for context in contexts:
        context.close()
