"""Jobs queued for later (`enqueue_in`, RQ's retries with a delay) moved onto their queue when due, by every
worker, each second.

RQ's own scheduler runs in one worker per queue, under a lock that lives 61 s and that the other workers try
to take only every 10 minutes: when that worker is killed, delayed sends and retries wait up to about 11
minutes. Here each worker tries each second, under a lock per queue held only while it moves jobs (and
expiring after LOCK_SECONDS if that worker dies holding it), so no worker is special and none moves a job
twice: a job moved leaves the scheduled registry in the same transaction that queues it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence

from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.utils import current_timestamp

from hub.runtime import broker

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0
LOCK_SECONDS = 5
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def move_due(queue_name: str, owner: str) -> int:
    """Queue the jobs of `queue_name` whose time has come, unless another worker is doing it; how many."""
    connection = broker.connection()
    lock = broker.key("scheduled-lock", queue_name)
    if not connection.set(lock, owner, nx=True, ex=LOCK_SECONDS):
        return 0
    try:
        queue = broker.queue(queue_name)
        registry = ScheduledJobRegistry(queue=queue)  # type: ignore[no-untyped-call, unused-ignore]
        ids = registry.get_jobs_to_schedule(current_timestamp())
        if not ids:
            return 0
        jobs = Job.fetch_many(ids, connection=connection)
        with connection.pipeline() as pipeline:
            for job_id, job in zip(ids, jobs, strict=True):
                if job is not None:
                    queue._enqueue_job(job, pipeline=pipeline, at_front=job.should_enqueue_at_front())
                registry.remove(job_id, pipeline=pipeline)
            pipeline.execute()
        return sum(job is not None for job in jobs)
    finally:
        connection.eval(_RELEASE, 1, lock, owner)


def pump(stop: threading.Event, queue_names: Sequence[str]) -> None:
    """Each EVERY_SECONDS until `stop`: move the due jobs of each queue this worker serves."""
    owner = uuid.uuid4().hex
    while not stop.wait(EVERY_SECONDS):
        for name in queue_names:
            try:
                move_due(name, owner)
            except Exception as error:  # Redis away a moment: the next second tries again
                log.warning("could not move the due jobs of %s: %s", name, error)
