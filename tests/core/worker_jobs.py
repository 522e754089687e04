"""Jobs that the worker-stop tests enqueue into a real `hub worker` process."""

from __future__ import annotations

import time
from pathlib import Path


def nap(folder: str, seconds: float) -> str:
    """Say when it started and when it finished, so a test can tell a job cut short from one let finish."""
    (Path(folder) / "started").write_text(str(time.time()))
    time.sleep(seconds)
    (Path(folder) / "finished").write_text(str(time.time()))
    return "rested"


def release_nap(folder: str, seconds: float) -> None:
    """What gives back a nap's "leases": note it, for the test to see."""
    (Path(folder) / "released").write_text(str(seconds))
