"""The demo shop's reporting facts: a few months of made-up history (`reports.demo_history`, once), then
whatever the packages loaded, recorded through the backfill as if it had happened live."""

from __future__ import annotations

import time

from reports import demo_history
from reports.backfill import backfill


def record_history() -> str | None:
    """Generate the demo's past unless it is there, then backfill its facts (nothing new the second time)."""
    started, cpu = time.monotonic(), time.process_time()
    made = demo_history.generate()
    done = backfill(say=lambda _: None)
    took = f" in {time.monotonic() - started:.1f} s ({time.process_time() - cpu:.1f} s of CPU)" if made else ""
    history = f"history generated ({made}){took}; " if made else ""
    return f"reports: {history}facts recorded ({done['rollup_rows']} daily rollup rows)"
