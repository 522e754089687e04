"""The CSV import of historical till sales: stored with its body, then run by a job in batches of 1,000 rows
with its progress and a per-row error report on the import's row.

Columns (a header row, any order): `pos_id`, `store_id` (or `store`, a store's name), `purchased_at` (ISO 8601
with its offset, or a date), `currency`, `total`, `phone` and/or `member_number`, and optionally
`customer_name`, `sku`, `title`, `quantity` (one line per sale). A sale recorded before (the same store and
pos_id) is counted as a duplicate and left as it was, so importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog.orders import ExternalLine
from catalog.stores import pos
from catalog.stores.models import ImportStatus, PosImport
from hub.runtime import broker, queues
from hub.runtime.db import session_scope, utcnow
from hub.runtime.once import enqueue_once

QUEUE = queues.MAINTENANCE
HOLD = 3600
"""An import's job runs at most an hour; it is not queued again within that hour."""
STALE = timedelta(minutes=5)
BATCH = 1000
MAX_ERRORS = 10_000
REQUIRED = ("pos_id", "currency", "total", "purchased_at")


class ImportError_(ValueError):
    """A file that cannot be imported at all (not CSV, missing columns)."""


def _reader(body: str) -> csv.DictReader[str]:
    reader = csv.DictReader(io.StringIO(body))
    headers = {name.strip().lower() for name in reader.fieldnames or []}
    missing = [name for name in REQUIRED if name not in headers]
    if not {"store_id", "store"} & headers:
        missing.append("store_id")
    if not {"phone", "member_number"} & headers:
        missing.append("phone or member_number")
    if missing:
        raise ImportError_(f"the CSV lacks the column(s): {', '.join(missing)}")
    return reader


def start(*, session: Session, body: bytes, filename: str, user_id: int | None) -> PosImport:
    """Check the file's header and store it; the caller commits and queues `run`."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_("the file is not UTF-8 text") from None
    if "\x00" in text:
        raise ImportError_("the file is not a CSV (it holds NUL characters)")
    _reader(text)
    row = PosImport(filename=filename[:255], sha256=hashlib.sha256(body).hexdigest(), body=text,
                    total_rows=max(0, text.count("\n") - 1 + (0 if text.endswith("\n") else 1)),
                    created_by_id=user_id)
    session.add(row)
    session.flush()
    return row


def enqueue(import_id: int) -> bool:
    """Queue the import's job unless it was queued within the hour (its longest run); True if this call did."""
    return enqueue_once(QUEUE, run, import_id, key=broker.key("pos-import", import_id), hold_seconds=HOLD,
                        job_timeout=HOLD)


def sweep(now: datetime | None = None) -> int:
    """Periodic: imports left queued or running after their job was lost (Redis emptied, a worker killed) are
    queued again; re-running one is safe (what it recorded is a duplicate the second time)."""
    with session_scope() as session:
        unfinished = col(PosImport.status).in_((ImportStatus.queued.value, ImportStatus.running.value))
        old = col(PosImport.created_at) < (now or utcnow()) - STALE
        ids = [int(row) for row in session.exec(select(PosImport.id).where(unfinished, old)) if row is not None]
    return sum(enqueue(import_id) for import_id in ids)


def _rows(body: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = _reader(body)
    for number, raw in enumerate(reader, start=2):  # line 1 is the header
        yield number, {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()
                       if isinstance(value, str)}


def _when(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise pos.PosError(f"purchased_at: {raw!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # a bare date or time: UTC


def _sale(row: dict[str, str], stores: dict[str, int]) -> pos.Sale:
    store = row.get("store_id") or row.get("store") or ""
    store_id = stores.get(store) or stores.get(store.casefold())
    if store_id is None:
        raise pos.PosError(f"store: there is no store {store!r}")
    lines: list[tuple[str, str, int, str]] = []
    if row.get("sku") or row.get("title"):
        try:
            quantity = int(row.get("quantity") or 1)
        except ValueError:
            raise pos.PosError(f"quantity: {row.get('quantity')!r} is not a whole number") from None
        if quantity < 1:
            raise pos.PosError("quantity: at least 1")
        lines.append((row.get("sku", ""), row.get("title", ""), quantity, "0"))
    sale = pos.sale(pos_id=row.get("pos_id", ""), store_id=store_id, purchased_at=_when(row.get("purchased_at", "")),
                    currency=row.get("currency", ""), total=row.get("total", ""), phone=row.get("phone"),
                    member_number=row.get("member_number"), customer_name=row.get("customer_name"), lines=lines)
    if sale.lines:  # one line per row: it carries the whole total
        line = sale.lines[0]
        unit = sale.total_minor // line.quantity
        sale = pos.Sale(**{**sale.__dict__, "lines": (ExternalLine(line.sku, line.title, line.quantity,
                                                                               unit),)})
    return sale


def run(import_id: int) -> str:
    """Job: import the file in batches, committing each with the progress; safe to run again (what was
    recorded is a duplicate the second time)."""
    with session_scope() as session:
        job = session.get(PosImport, import_id)
        if job is None or job.status == ImportStatus.done.value:
            return "done"
        body, stores = job.body, pos.store_ids(session)
        job.status, job.done_rows, job.created, job.duplicates, job.error_count, job.errors = (
            ImportStatus.running.value, 0, 0, 0, 0, [])
        session.add(job)
    errors: list[dict[str, object]] = []
    totals = {"created": 0, "duplicates": 0, "rows": 0}
    batch: list[tuple[int, pos.Sale]] = []
    try:
        for number, row in _rows(body):
            totals["rows"] += 1
            try:
                batch.append((number, _sale(row, stores)))
            except pos.PosError as error:
                errors.append({"row": number, "pos_id": row.get("pos_id", "")[:120], "reason": str(error)})
            if totals["rows"] % BATCH == 0:
                _flush(import_id, batch, errors, totals)
                batch = []
        _flush(import_id, batch, errors, totals, finished=True)
    except (csv.Error, ImportError_) as error:
        _fail(import_id, f"{type(error).__name__}: {error}")
        return "failed"
    return f"{totals['created']} created, {totals['duplicates']} duplicates, {len(errors)} errors"


def _record(sales: list[pos.Sale]) -> pos.Outcome:
    """One batch in its own transaction; when another import wrote some of the same sales meanwhile (the same
    file uploaded twice at once), the batch is tried again and finds them recorded."""
    for attempt in range(3):
        try:
            with session_scope() as session:
                return pos.record_many(session=session, sales=sales)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _flush(import_id: int, batch: list[tuple[int, pos.Sale]], errors: list[dict[str, object]],
           totals: dict[str, int], finished: bool = False) -> None:
    outcome = _record([sale for _, sale in batch])
    with session_scope() as session:
        errors.extend({"row": batch[index][0], "pos_id": pos_id, "reason": reason}
                      for index, pos_id, reason in outcome.errors)
        totals["created"] += outcome.created
        totals["duplicates"] += outcome.duplicates
        job = session.get(PosImport, import_id, with_for_update=True)
        assert job is not None
        job.done_rows, job.created, job.duplicates = totals["rows"], totals["created"], totals["duplicates"]
        job.error_count = len(errors)
        job.errors = sorted(errors, key=lambda error: int(str(error["row"])))[:MAX_ERRORS]
        if finished:
            job.status, job.finished_at, job.total_rows = ImportStatus.done.value, utcnow(), totals["rows"]
        session.add(job)


def _fail(import_id: int, reason: str) -> None:
    with session_scope() as session:
        job = session.get(PosImport, import_id)
        if job is not None:
            job.status, job.finished_at = ImportStatus.failed.value, utcnow()
            job.errors = [*job.errors, {"row": 0, "pos_id": "", "reason": reason[:500]}][:MAX_ERRORS]
            session.add(job)
