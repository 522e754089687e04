"""Timers in N copies (issue 19 item 5): every worker runs the sweeper, the delayed-job mover and the inline
timers, so no single scheduler process holds them; a lock per period (SET NX) or per move keeps each from
happening twice. Two real `hub worker` processes on PostgreSQL + Redis; one is SIGKILLed, the timers go on."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Worker
from rq.job import Job, JobStatus

from hub.runtime import broker, queues
from tests.conftest import start_process, wait_for
from tests.core import worker_jobs

TIMER = "hub.webhooks_out.service.sweep"
"""The webhooks-out pool's only timer, due every 5 s (a pool with no other timer keeps the test short)."""


def _timer_runs() -> list[Job]:
    """Every run of the timer that was queued: waiting, running, finished or failed."""
    queue = broker.queue(queues.WEBHOOKS_OUT)
    ids = {*queue.job_ids, *queue.started_job_registry.get_job_ids(), *queue.finished_job_registry.get_job_ids(),
           *queue.failed_job_registry.get_job_ids()}
    jobs = Job.fetch_many(sorted(ids), connection=broker.connection())
    return [job for job in jobs if job is not None and job.func_name == TIMER]


def _periods() -> Counter[int]:
    return Counter(int(job.meta["period"]) for job in _timer_runs())


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.slow
def test_two_workers_one_killed_timers_keep_firing_once_each(pg_backend, tmp_path):
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers: list[subprocess.Popen[bytes]] = [
        start_process(["worker", "--queues", queues.WEBHOOKS_OUT], dict(os.environ), log) for log in logs]
    try:
        wait_for(lambda: len(Worker.all(connection=broker.connection())) == 2, timeout=400)  # a loaded machine
        wait_for(lambda: len(_periods()) >= 3, timeout=180)  # both running: three periods, one run each

        doomed, survivor = workers
        doomed.send_signal(signal.SIGKILL)  # no goodbye: its locks, its registration, its threads just stop
        doomed.wait()
        killed_at = max(_periods())
        later = broker.queue(queues.WEBHOOKS_OUT).enqueue_in(timedelta(seconds=1), worker_jobs.nap, str(tmp_path),
                                                             0.0)

        wait_for(lambda: len([p for p in _periods() if p > killed_at]) >= 3, timeout=120)
        wait_for(lambda: (tmp_path / "finished").exists(), timeout=60)  # the delayed job: moved, then run
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    periods = _periods()
    assert all(count == 1 for count in periods.values()), f"a period ran twice: {periods}\n{_log(logs[1])}"
    after = sorted(p for p in periods if p > killed_at)
    assert len(after) >= 3
    survivor_name = {job.worker_name for job in _timer_runs() if int(job.meta["period"]) in after[1:]
                     and job.get_status() == JobStatus.FINISHED}
    assert len(survivor_name) == 1  # the one left ran them
    assert Job.fetch(later.id, connection=broker.connection()).get_status() == JobStatus.FINISHED
