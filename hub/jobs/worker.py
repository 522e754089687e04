"""`hub worker`: an RQ worker for some queue classes (hub.runtime.queues), plus the threads that make timers
safe in N copies: the sweeper that offers the periodic jobs of the queues it serves (`hub.composition.run_worker`
gives it every package's), the inline periodic jobs, and the mover of jobs queued for later (`scheduled`).

A stop (SIGTERM, Ctrl-C) lets the current job finish for HUB_WORKER_GRACE_SECONDS; then, or at a second
signal, the job is interrupted and given back: its module's `give_back` releases its leases, or else it goes
back to the front of its queue. Either way the worker exits before Kubernetes' SIGKILL."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import FrameType, TracebackType
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.job import Job

from hub.jobs import scheduled
from hub.runtime import Periodic, broker
from hub.runtime.db import utcnow

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1
"""How often the sweeper offers each periodic job: a job due each 5 s starts within a second of its period."""
COMMAND_POLL_SECONDS = 1.0
DEQUEUE_POLL_SECONDS = 1
RESUME_SECONDS = 2.0


GiveBacks = Mapping[Callable[..., Any], Callable[..., object]]


class GiveBack(BaseException):  # noqa: N818 - not an error: a BaseException, so a job's `except Exception` lets it by
    """Raised in a job that a stopping worker gives back: its transaction rolls back as it unwinds."""


class HubWorker(SimpleWorker):
    """A non-forking worker (see PERFORMANCE.md: forking costs 5x on hot queues).

    Jobs open their own sessions and keep no state between runs, so no fork is needed to isolate them.
    """

    grace_seconds: float = 25.0
    give_backs: GiveBacks = {}
    _running = False
    _giving_back = False
    _grace: threading.Timer | None = None

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
        if self._grace is None:  # then a second SIGTERM of our own, handled by request_force_stop below
            self._grace = threading.Timer(self.grace_seconds, os.kill, (os.getpid(), signal.SIGTERM))
            self._grace.daemon = True
            self._grace.start()

    def work(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return bool(super().work(*args, **kwargs))
        finally:  # stopped before the grace ended: no late signal for whoever runs on in this process
            if self._grace is not None:
                self._grace.cancel()

    def request_force_stop(self, signum: int, frame: FrameType | None) -> None:
        """The grace period is over (or a second signal came): give the running job back, then stop as usual.
        Idle, there is nothing to give back: the dequeue below sees the stop within a second."""
        self._stop_requested = True
        if self._running and not self._giving_back:
            self._giving_back = True
            log.warning("stopping: giving back the current job (after %s s of grace)", self.grace_seconds)
            raise GiveBack()

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        self._running = True
        try:
            return bool(super().perform_job(job, queue, execution))
        finally:
            self._running = False

    def _finalize_failure(self, job: Job, queue: Queue, execution: Execution,
                          exc_info: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
                          ) -> None:
        if isinstance(exc_info[1], GiveBack):
            self._give_back(job, queue, execution)
        else:
            super()._finalize_failure(job, queue, execution, exc_info)

    def _give_back(self, job: Job, queue: Queue, execution: Execution) -> None:
        """Release the job's leases (its module's `give_back`) and drop it, or queue it again at the front."""
        release = self.give_backs.get(job.func)
        if release is not None:
            try:
                release(*job.args, **job.kwargs)
            except Exception as error:  # its leases then end on their own
                log.warning("could not give back the leases of %s: %s", job.func_name, error)
        with self.connection.pipeline() as pipeline:
            self.cleanup_execution(job, pipeline=pipeline, execution=execution)
            if release is None:
                queue._enqueue_job(job, pipeline=pipeline, at_front=True)
            else:
                job.delete(pipeline=pipeline, remove_from_queue=False)
            pipeline.execute()
        log.warning("gave back %s (%s)", job.func_name, "leases released" if release else "queued again")

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


def _sweeper(stop: threading.Event, periodic: Sequence[Periodic]) -> None:
    """Every SWEEP_SECONDS, offer each periodic job: the first worker in each of its periods queues it."""
    while not stop.wait(SWEEP_SECONDS):
        now = utcnow()
        for job in periodic:
            try:
                job.offer(now)
            except Exception as error:
                log.warning("sweeper could not offer %s: %s", job.job.__qualname__, error)


def _pump(stop: threading.Event, job: Periodic) -> None:
    """Call an inline periodic job every period, in this worker (see `Periodic.inline`)."""
    while not stop.wait(job.every.total_seconds()):
        try:
            job.job()
        except Exception as error:
            log.warning("%s failed: %s", job.job.__qualname__, error)


def run(queues: tuple[str, ...], *, burst: bool, periodic: Sequence[Periodic], catch_up: Callable[[], object],
        give_backs: GiveBacks | None = None, grace_seconds: float = 25.0) -> None:
    """Work the queues; unless `burst`, first `catch_up`, then offer the `periodic` jobs of these queues from a
    sweeper thread and move their due delayed jobs each second (see `scheduled`)."""
    stop = threading.Event()
    served = [job for job in periodic if job.queue in queues]
    if not burst:
        queued = [job for job in served if not job.inline]
        threading.Thread(target=_sweeper, args=(stop, queued), daemon=True, name="sweeper").start()
        for job in served:
            if job.inline:
                threading.Thread(target=_pump, args=(stop, job), daemon=True, name=job.job.__qualname__).start()
        threading.Thread(target=scheduled.pump, args=(stop, queues), daemon=True, name="scheduled").start()
        catch_up()
    else:
        for name in queues:  # what is due now runs in this burst too
            scheduled.move_due(name, "burst")
    gc.freeze()  # see hub.api.app's lifespan: batches make many short-lived objects, start-up ones live forever
    gc.set_threshold(20_000, 50, 100)
    try:
        made: list[HubWorker] = []  # a stop asked of any of them (its signal handlers may still be in place)
        while True:
            try:
                worker = HubWorker([broker.queue(name) for name in queues], connection=broker.connection())
                worker.give_backs, worker.grace_seconds = give_backs or {}, grace_seconds
                made[:] = [*made[-2:], worker]
                worker.work(with_scheduler=False, burst=burst, logging_level="WARNING")
            except (redis.RedisError, OSError) as error:  # its start-up or teardown, on a Redis still away
                if burst or not made:  # a first start without Redis fails, as before
                    raise
                log.warning("the worker could not start or stop cleanly: %s", error)
            if burst or _stop_asked(made) or not _wait_to_resume(made):
                return
    finally:
        stop.set()


def _stop_asked(made: Sequence[HubWorker]) -> bool:
    return any(worker._stop_requested or worker._shutdown_requested_date is not None for worker in made)


def _wait_to_resume(made: Sequence[HubWorker]) -> bool:
    """After RQ's loop quit on a Redis error (a failover, a restart: a job's heartbeat or the maintenance hit
    the gap), wait RESUME_SECONDS and work again, in this process: True. False when a stop was asked meanwhile.

    RQ ends `work()` on any error outside its dequeue ("found an unhandled exception, quitting"); the process
    then exited with status 0, so a Redis failover took workers away for good wherever nothing restarts them."""
    log.warning("the worker's loop stopped on an error (Redis away?); working again in %s s", RESUME_SECONDS)
    deadline = time.monotonic() + RESUME_SECONDS
    while time.monotonic() < deadline:
        if _stop_asked(made):
            return False
        time.sleep(0.1)
    return True
