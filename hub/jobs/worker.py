"""`hub worker`: an RQ worker with the scheduler, plus the periodic sweeper. A composition root."""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job

from catalog import jobs as catalog_jobs
from catalog.payments import jobs as payment_jobs
from flows.campaigns import jobs as campaign_jobs
from flows.campaigns import listeners as flows_listeners
from hub import broker, schema
from hub.assignment import jobs as assignment
from hub.jobs import listeners, tasks
from hub.privacy import retention
from hub.tagging import jobs as tagging
from hub.webchat.fanout import install_publisher

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10
COMMAND_POLL_SECONDS = 1.0
DEQUEUE_POLL_SECONDS = 1


class HubWorker(SimpleWorker):
    """A non-forking worker (see PERFORMANCE.md: forking costs 5x on hot queues).

    Jobs open their own sessions and keep no state between runs, so no fork is needed to isolate them.
    """

    def subscribe(self) -> None:
        """Listen for RQ's worker commands, waking every second instead of RQ's sixty.

        RQ runs this listener with `pubsub.run_in_thread(sleep_time=60)`. Since redis-py 8.2 the
        teardown's `PubSubWorkerThread.stop()` waits for that thread, which can be asleep in
        `get_message` for the whole minute after the unsubscribe: a stop (SIGTERM, Ctrl-C, the end
        of a burst) then hung for up to 61 s, past Kubernetes' 30 s grace. A one-second wait keeps
        commands as prompt (a message wakes it at once) and bounds the stop, whatever the versions.
        """
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment, unused-ignore]
            sleep_time=COMMAND_POLL_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """A warm stop (SIGTERM, Ctrl-C) that never interrupts a dequeue.

        When idle, RQ raises StopRequested from the signal handler. If the signal lands just after
        BLMOVE moved a job to the queue's intermediate list and before the job started, the exception
        leaves it there, and RQ's maintenance later marks it failed ("stuck in intermediate queue"):
        a job lost to a routine restart. Here the stop is only noted; a job already taken runs first,
        and the dequeue below wakes every DEQUEUE_POLL_SECONDS to see the note.
        """
        try:
            super().request_stop(signum, frame)  # type: ignore[no-untyped-call, unused-ignore]
        except StopRequested:
            self._stop_requested = True

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None
                                     ) -> tuple[Job, Queue] | None:
        if timeout is None or max_idle_time is not None:  # --burst, or RQ's own idle limit
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(DEQUEUE_POLL_SECONDS, max_idle_time=DEQUEUE_POLL_SECONDS)
            if result is not None:
                return result
        return None

    def _set_ip_address(self, connection: Any) -> None:
        # The embedded server reports client addresses in a form redis-py cannot parse.
        try:
            super()._set_ip_address(connection)
        except ValueError:
            self.ip_address = "unknown"


def _sweeper(stop: threading.Event) -> None:
    """Every SWEEP_SECONDS, the one worker holding the lock enqueues a sweep."""
    while not stop.wait(SWEEP_SECONDS):
        try:
            if broker.connection().set(broker.key("sweep", "lock"), 1, nx=True, ex=SWEEP_SECONDS - 1):
                broker.queue("inbound").enqueue(tasks.sweep, job_timeout=120)
                broker.queue("inbound").enqueue(assignment.sweep, job_timeout=120)
                tagging.schedule_retrain()  # nightly, once a day: its own SET NX lock per day
                broker.queue("inbound").enqueue(payment_jobs.sweep, job_timeout=120)  # Stripe events whose job was lost
                catalog_jobs.schedule_nightly()  # behaviour tags: time moves customers across the matrix
                broker.queue("bulk").enqueue(campaign_jobs.tick, job_timeout=60)  # broadcasts: start due batches
                retention.schedule()  # raw webhook bodies and media past their retention, hourly
        except Exception as error:
            log.warning("sweeper could not reach Redis: %s", error)


def _die_with_parent() -> None:
    """In RQ's forked scheduler: die when the worker dies.

    The child inherits the worker's database sockets. A SIGKILLed worker would otherwise leave an
    orphan that keeps a half-done transaction open, and its locks held, for ever."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the worker died before prctl took effect
        os._exit(1)


def register_listeners() -> None:
    """Load every package's models and hook catalog and flows into core events."""
    schema.target_metadata()
    listeners.register()
    catalog_jobs.register()
    flows_listeners.register()
    install_publisher()  # web chat replies reach the visitor's WebSocket through Redis


def run(queues: tuple[str, ...] = broker.QUEUES, burst: bool = False) -> None:
    register_listeners()
    os.register_at_fork(after_in_child=_die_with_parent)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_sweeper, args=(stop,), daemon=True, name="sweeper").start()
        tasks.sweep(stale_after=timedelta(0))  # catch up at once on whatever a previous worker left
    worker = HubWorker([broker.queue(name) for name in queues], connection=broker.connection())
    gc.freeze()  # see hub.api.app: batches make many short-lived objects, start-up ones live forever
    gc.set_threshold(20_000, 50, 100)
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="WARNING")
    finally:
        stop.set()
