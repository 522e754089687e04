"""How long a real `hub worker` takes to stop, on PostgreSQL + Redis, with whichever redis-py and RQ are installed.

Four cases, each BENCH_RUNS times (default 5):
- idle: SIGTERM once the worker (the inbound and outbound pool: no timers of its own) has registered and its
  command listener sleeps;
- busy: SIGTERM while a 3-second job runs; the figure is from the job's end to the worker's exit;
- burst: `hub worker --burst` with one short job; the figure is from the job's end to the exit;
- given back: SIGTERM while a 10-minute job runs, with HUB_WORKER_GRACE_SECONDS=GRACE (3); the figure is from
  the SIGTERM to the exit, and the job must be back on its queue (a job lost or failed is counted).

Run it under `make test-latest`'s venv too (`.venv-latest/bin/python bench/worker_stop.py`) to compare versions.
"""

from __future__ import annotations

import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import rq
from rq import Queue, Worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REDIS, free_port, fresh_schema, hub_env, hub_process  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
NAP = 3.0
GRACE = 3.0


def nap(folder: str, seconds: float) -> None:
    """The busy worker's job: note its start, and its end, so the stop is measured from there."""
    (Path(folder) / "started").write_text(str(time.time()))
    time.sleep(seconds)
    (Path(folder) / "finished").write_text(str(time.time()))


def _wait(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("condition not met")
        time.sleep(0.02)


def _exit_time(process: subprocess.Popen[bytes]) -> float:
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.time()


def _listening(connection: redis.Redis) -> bool:
    workers = Worker.all(connection=connection)
    return bool(workers) and any(n for _, n in connection.pubsub_numsub(workers[0].pubsub_channel_name))


def idle(env: dict[str, str], folder: Path, connection: redis.Redis) -> float:
    worker = hub_process(["worker", "--queues", "inbound", "outbound"], env, folder / "idle.log")
    _wait(lambda: _listening(connection))
    time.sleep(1.5)
    sent = time.time()
    worker.send_signal(signal.SIGTERM)
    return _exit_time(worker) - sent


def busy(env: dict[str, str], folder: Path, connection: redis.Redis) -> float:
    (folder / "finished").unlink(missing_ok=True)
    Queue("bulk", connection=connection).enqueue("bench.worker_stop.nap", str(folder), NAP, job_timeout=60)
    worker = hub_process(["worker", "--queues", "bulk"], env, folder / "busy.log")
    _wait(lambda: bool(Worker.all(connection=connection)) and Queue("bulk", connection=connection).count == 0)
    worker.send_signal(signal.SIGTERM)
    exited = _exit_time(worker)
    return _after_job(folder, exited)


def burst(env: dict[str, str], folder: Path, connection: redis.Redis) -> float:
    (folder / "finished").unlink(missing_ok=True)
    Queue("bulk", connection=connection).enqueue("bench.worker_stop.nap", str(folder), 0.0, job_timeout=60)
    worker = hub_process(["worker", "--burst"], env, folder / "burst.log")
    exited = _exit_time(worker)
    return _after_job(folder, exited)


def given_back(env: dict[str, str], folder: Path, connection: redis.Redis) -> float:
    """Seconds from SIGTERM to the exit; NaN when the long job was not back on its queue afterwards."""
    (folder / "started").unlink(missing_ok=True)
    job = Queue("bulk", connection=connection).enqueue("bench.worker_stop.nap", str(folder), 600.0, job_timeout=900)
    worker = hub_process(["worker", "--queues", "bulk"], {**env, "HUB_WORKER_GRACE_SECONDS": str(GRACE)},
                         folder / "given_back.log")
    _wait(lambda: (folder / "started").exists(), timeout=300)
    sent = time.time()
    worker.send_signal(signal.SIGTERM)
    took = _exit_time(worker) - sent
    back = Queue("bulk", connection=connection).job_ids == [job.id]
    return took if back else float("nan")


def _after_job(folder: Path, exited: float) -> float:
    """Seconds from the job's end to the worker's exit; NaN when the worker exited without running it."""
    finished = folder / "finished"
    return exited - float(finished.read_text()) if finished.exists() else float("nan")


def main() -> None:
    connection = redis.Redis.from_url(REDIS)
    connection.flushdb()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = hub_env(fresh_schema("bench_worker_stop"), free_port(), folder / "var")
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        print(f"python {sys.version.split()[0]}, redis-py {redis.__version__}, RQ {rq.__version__}, "
              f"{os.cpu_count()} cores, {RUNS} runs each")
        for name, case in (("idle SIGTERM", idle), ("busy SIGTERM (after the job)", busy),
                           ("--burst (after the last job)", burst),
                           (f"given back (grace {GRACE:.0f} s)", given_back)):
            figures = []
            for _ in range(RUNS):
                figures.append(case(env, folder, connection))
                connection.flushdb()
            ran = [f for f in figures if not math.isnan(f)]
            lost = len(figures) - len(ran)
            summary = f"median {statistics.median(ran):5.2f} s, max {max(ran):5.2f} s" if ran else "no job ran"
            print(f"{name:30} {summary}  [{', '.join(f'{f:.2f}' for f in figures)}]"
                  + (f"  {lost} job(s) lost: the worker exited without running them" if lost else ""))


if __name__ == "__main__":
    main()
