"""A worker stops in bounded time: Kubernetes kills a pod that has not stopped 30 s after SIGTERM, and a
burst worker that hangs in its teardown holds up whatever waits for it.

These start a real `hub worker` process on PostgreSQL + Redis. They hold with whichever redis-py and RQ are
installed: `make test` runs them on the locked versions, `make test-latest` on the newest that
pyproject.toml allows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from rq import Worker
from rq.job import Job, JobStatus

from hub.jobs.worker import HubWorker
from hub.runtime import broker
from tests.conftest import start_process, wait_for
from tests.core import worker_jobs

IDLE_STOP = 5.0  # the bound for an idle worker and for a burst worker whose queues are empty


def _registered_and_listening() -> bool:
    """The worker has registered and its command listener is subscribed (so it is asleep in get_message)."""
    workers = Worker.all(connection=broker.connection())
    if not workers:
        return False
    channel = workers[0].pubsub_channel_name
    return any(count for _, count in broker.connection().pubsub_numsub(channel))


def _seconds_to_exit(process: subprocess.Popen[bytes], limit: float = 70.0) -> float:
    started = time.monotonic()
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.monotonic() - started


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_an_idle_worker_stops_within_five_seconds(pg_backend, tmp_path, stop_signal):
    log = tmp_path / "worker.log"
    # a pool with no timers of its own (the maintenance pool's would start a nightly job on a fresh Redis)
    worker = start_process(["worker", "--queues", "inbound", "outbound"], dict(os.environ), log)
    try:
        wait_for(_registered_and_listening, timeout=300)  # start-up on a loaded machine
        time.sleep(1.5)  # long enough for the command listener to be asleep, waiting for a message
        os.kill(worker.pid, stop_signal)
        took = _seconds_to_exit(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert took < IDLE_STOP, f"the idle worker took {took:.1f} s to stop\n{_log(log)}"
    assert worker.returncode == 0, _log(log)
    assert Worker.all(connection=broker.connection()) == []  # it said goodbye: no ghost in RQ's registry


@pytest.mark.slow
def test_a_busy_worker_finishes_its_job_then_stops_at_once(pg_backend, tmp_path):
    log = tmp_path / "worker.log"
    current = broker.queue("bulk").enqueue(worker_jobs.nap, str(tmp_path), 3.0, job_timeout=30)
    behind = broker.queue("bulk").enqueue(worker_jobs.nap, str(tmp_path / "nowhere"), 0.0, job_timeout=30)
    worker = start_process(["worker", "--queues", "bulk"], dict(os.environ), log)
    try:
        wait_for(lambda: (tmp_path / "started").exists(), timeout=300)
        os.kill(worker.pid, signal.SIGTERM)
        took = _seconds_to_exit(worker)
        exited_at = time.time()
    finally:
        if worker.poll() is None:
            worker.kill()
    assert (tmp_path / "finished").exists(), f"the job was cut short\n{_log(log)}"
    after_job = exited_at - float((tmp_path / "finished").read_text())
    assert after_job < IDLE_STOP, f"the worker stopped {after_job:.1f} s after its job ended ({took:.1f} s in all)"
    assert Job.fetch(current.id, connection=broker.connection()).get_status() == JobStatus.FINISHED
    assert Job.fetch(behind.id, connection=broker.connection()).get_status() == JobStatus.QUEUED  # not started


@pytest.mark.slow
def test_a_burst_worker_stops_within_five_seconds_of_the_queues_being_empty(pg_backend, tmp_path):
    """Three runs: the hang this guards against came one run in four."""
    for attempt in range(3):
        log = tmp_path / f"burst{attempt}.log"
        broker.queue("bulk").enqueue(worker_jobs.nap, str(tmp_path), 0.0, job_timeout=30)
        worker = start_process(["worker", "--burst"], dict(os.environ), log)
        try:
            wait_for(lambda: (tmp_path / "finished").exists() or worker.poll() is not None, timeout=300, interval=0.02)
            took = _seconds_to_exit(worker)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert (tmp_path / "finished").exists(), _log(log)
        assert took < IDLE_STOP, f"run {attempt + 1}: the burst worker took {took:.1f} s to stop\n{_log(log)}"
        assert worker.returncode == 0, _log(log)
        (tmp_path / "finished").unlink()


def test_the_command_listener_ends_within_a_second_or_two_of_being_told(pg_backend):
    """The cause, without the race: RQ's own listener sleeps up to 60 s in get_message, and redis-py 8.2's
    stop() waits for it. Hub's wakes every second, so the thread is gone soon after stop() on any version."""
    worker = HubWorker([broker.queue("bulk")], connection=broker.connection())
    worker.subscribe()
    thread = worker.pubsub_thread
    assert isinstance(thread, threading.Thread)
    time.sleep(0.5)  # asleep in get_message
    started = time.monotonic()
    stopper = threading.Thread(target=thread.stop, daemon=True)
    stopper.start()
    thread.join(timeout=10)
    took = time.monotonic() - started
    stopper.join(timeout=1)
    worker.pubsub.close()
    assert not thread.is_alive(), "the command listener was still asleep 10 s after stop()"
    assert took < 2.5


def test_a_stop_that_lands_just_after_a_dequeue_runs_the_job_taken(pg_backend, tmp_path, monkeypatch):
    """The race a restart hits: SIGTERM right after BLMOVE took a job, before it started. RQ raises out of the
    signal handler and leaves the job in the intermediate list, to be failed later as "stuck"; Hub's worker
    notes the stop, runs the job it holds, then stops."""
    queue = broker.queue("bulk")
    job = queue.enqueue(worker_jobs.nap, str(tmp_path), 0.0, job_timeout=30)
    worker = HubWorker([queue], connection=broker.connection())
    real_dequeue = type(queue).dequeue_any

    def dequeue_then_signal(*args, **kwargs):  # type: ignore[no-untyped-def]
        taken = real_dequeue(*args, **kwargs)
        if taken is not None:
            worker.request_stop(signal.SIGTERM, None)  # the signal handler, run where the signal would land
        return taken

    monkeypatch.setattr(type(queue), "dequeue_any", dequeue_then_signal)
    try:
        worker.work(with_scheduler=False)  # in this thread: RQ installs its signal handlers; returns once stopped
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert Job.fetch(job.id, connection=broker.connection()).get_status() == JobStatus.FINISHED
    assert (tmp_path / "finished").exists()
    assert queue.intermediate_queue.get_job_ids() == []


@pytest.mark.slow
def test_a_job_still_running_at_the_end_of_the_grace_period_is_given_back_and_runs_elsewhere(pg_backend, tmp_path):
    """Kubernetes kills a pod 30 s after SIGTERM: the worker lets its job run for HUB_WORKER_GRACE_SECONDS, then
    puts it back at the front of its queue and exits, so the next worker runs it instead of it being lost."""
    log = tmp_path / "worker.log"
    long = broker.queue("bulk").enqueue(worker_jobs.nap, str(tmp_path), 600.0, job_timeout=900)
    env = {**os.environ, "HUB_WORKER_GRACE_SECONDS": "2"}
    worker = start_process(["worker", "--queues", "bulk"], env, log)
    try:
        wait_for(lambda: (tmp_path / "started").exists(), timeout=300)
        os.kill(worker.pid, signal.SIGTERM)
        took = _seconds_to_exit(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert took < 2 + IDLE_STOP, f"the worker took {took:.1f} s to stop with a 2 s grace\n{_log(log)}"
    assert worker.returncode == 0, _log(log)
    assert not (tmp_path / "finished").exists()
    job = Job.fetch(long.id, connection=broker.connection())
    assert job.get_status() == JobStatus.QUEUED, _log(log)  # not failed, not lost
    assert broker.queue("bulk").job_ids == [long.id]
    assert broker.queue("bulk").started_job_registry.get_job_ids() == []

    (tmp_path / "started").unlink()
    assert job.args == (str(tmp_path), 600.0)  # (read first: RQ then rebuilds the job's data from its parts)
    job.args = (str(tmp_path), 0.0)  # the next worker runs the very job given back (shortened, for the test)
    job.save()
    HubWorker([broker.queue("bulk")], connection=broker.connection()).work(burst=True)
    assert Job.fetch(long.id, connection=broker.connection()).get_status() == JobStatus.FINISHED
    assert (tmp_path / "finished").exists()


def test_a_job_given_back_releases_its_leases_through_its_module(pg_backend, tmp_path):
    """A job whose module says how to release its leases (journeys' chunks) is not queued again: its leases end
    at once, for the sweeper to hand the work on, and the job is gone."""
    queue = broker.queue("bulk")
    job = queue.enqueue(worker_jobs.nap, str(tmp_path), 600.0, job_timeout=900)
    worker = HubWorker([queue], connection=broker.connection())
    worker.grace_seconds = 0.5
    worker.give_backs = {worker_jobs.nap: worker_jobs.release_nap}

    def stop_when_started() -> None:
        wait_for(lambda: (tmp_path / "started").exists(), timeout=30, interval=0.02)
        os.kill(os.getpid(), signal.SIGTERM)  # to this process: the worker's handler runs in the main thread

    threading.Thread(target=stop_when_started, daemon=True).start()
    try:
        worker.work(burst=True, with_scheduler=False)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert (tmp_path / "released").read_text() == "600.0"
    assert not (tmp_path / "finished").exists()
    assert queue.job_ids == []
    assert Job.fetch_many([job.id], connection=broker.connection()) == [None]
    assert queue.started_job_registry.get_job_ids() == []
    assert queue.failed_job_registry.get_job_ids() == []
