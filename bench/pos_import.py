"""The till's CSV import at scale: 50,000 historical sales of 5,000 customers (one in 500 with a bad amount), run
by the import's job in this process on PostgreSQL, then the same file again (every sale a duplicate). Prints the
seconds and rows per second of each run; the counts are checked, the times are not (tests/stores/test_pos.py
checks what the import does, on a smaller file).

    BENCH_REDIS=redis://127.0.0.1:6379/9 BENCH_SCHEMA_SUFFIX=_mine .venv/bin/python bench/pos_import.py
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REDIS, fresh_schema  # noqa: E402

ROWS = int(os.environ.get("BENCH_POS_ROWS", "50000"))
SCHEMA = "bench_pos_import"


def sales_csv(rows: int, store_id: int) -> bytes:
    """`rows` sales of rows/10 customers; every (rows/100)-th has an amount that is not one."""
    customers, bad_every = rows // 10, rows // 100
    out = io.StringIO()
    out.write("pos_id,store_id,purchased_at,currency,total,phone,customer_name,sku,quantity\n")
    for n in range(1, rows + 1):
        total = "12.5O" if n % bad_every == 0 else f"{100 + n % 900}.00"
        out.write(f"S-{n},{store_id},2025-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00+08:00,HKD,{total},"
                  f"+8529{n % customers:07d},顧客 {n % customers},SKU-{n % 40},{1 + n % 3}\n")
    return out.getvalue().encode()


def main() -> None:
    url = fresh_schema(SCHEMA)
    os.environ.update(HUB_DATABASE_URL=url, HUB_REDIS_URL=REDIS, HUB_ENV="development", HUB_LOG_LEVEL="WARNING",
                      HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789", HUB_VAR_DIR=tempfile.mkdtemp())
    from catalog.stores import pos_import
    from catalog.stores import service as stores
    from hub import composition
    from hub.runtime import db
    from hub.runtime.db import session_scope
    from hub.runtime.settings import get_settings

    get_settings.cache_clear()  # migrating the schema read the settings before HUB_DATABASE_URL was set
    db.reset_engines()
    composition.wire()
    with session_scope() as session:
        store_id = stores.create(session=session, name="Causeway Bay", address="500 Hennessy Road",
                                 timezone="Asia/Hong_Kong", staff_ids=[]).id or 0
    body = sales_csv(ROWS, store_id)
    print(f"{ROWS:,} rows, {len(body) / 1e6:.1f} MB, batches of {pos_import.BATCH:,}")
    for label in ("first import", "same file again"):
        with session_scope() as session:
            import_id = pos_import.start(session=session, body=body, filename="sales.csv", user_id=None).id or 0
        started = time.perf_counter()
        outcome = pos_import.run(import_id)
        took = time.perf_counter() - started
        print(f"{label}: {took:.1f} s, {ROWS / took:,.0f} rows/s ({outcome})")


if __name__ == "__main__":
    main()
