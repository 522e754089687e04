"""Conversations and messages: find or open a thread (see `store`), apply receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, update
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from channels.types import StatusUpdate
from hub.conversations import store
from hub.conversations.models import (
    Conversation,
    Message,
    MessageStatus,
    PendingReceipt,
)
from hub.runtime import events
from hub.runtime.db import as_utc, rows_by_pairs, utcnow

FORWARD_FROM: dict[str, tuple[str, ...]] = {
    "sent": ("queued", "sending", "unknown"),
    "delivered": ("queued", "sending", "unknown", "sent"),
    "read": ("queued", "sending", "unknown", "sent", "delivered"),
    "failed": ("queued", "sending", "unknown", "sent"),
}
"""The statuses each receipt may move a message from: never backwards, and never out of `failed`. A
receipt settles an `unknown` message (the provider did take it, or refused it)."""
INTERRUPTED = "interrupted"
"""The error code of a message whose worker died while sending it: it may or may not have gone out."""


def get(*, session: Session, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def open_for(*, session: Session, contact_id: int, channel_id: int) -> tuple[Conversation, bool]:
    """The contact's conversation on this channel, created if missing or reopened if closed (the store's
    `conversations_for` with a list of one) for a message of ours, such as a test send. True when it was
    (re)opened."""
    thread = store.conversations_for(session, [(contact_id, channel_id)], by_customer=False)[(contact_id, channel_id)]
    conversation = session.get(Conversation, thread.id, populate_existing=True)
    assert conversation is not None
    return conversation, thread.opened


def reference_of(message_id: int) -> str:
    """The reference a provider echoes on receipts (`OutboundMessage.reference`)."""
    return f"hub:{message_id}"


def message_id_of(reference: str | None) -> int | None:
    """The message id in a reference Hub wrote; None for anything else."""
    if reference and reference.startswith("hub:") and reference[4:].isdigit() and len(reference) < 24:
        return int(reference[4:])
    return None

STAMPS = ("sent_at", "delivered_at", "read_at", "failed_at")


def apply_receipts(*, session: Session, receipts: list[tuple[int, StatusUpdate]]) -> int:
    """Receipts, (channel id, receipt) in the order they came, moving messages' statuses forward in a few
    set-based statements (one receipt is a list of one). How many messages changed status.

    The batch's messages are read once (locked in key order on PostgreSQL; SQLite's writer lock is held
    already) and each receipt is played in order against that state: a move forward stamps its moment
    (COALESCE: the first stamp stays) and emits MESSAGE_STATUS; a late delivered or read only stamps (a
    read then a late delivered stays read); a receipt for a message not stored yet is kept for later
    (`apply_pending_receipts`). Then one UPDATE per batch writes every changed message, and one INSERT
    the kept receipts. A receipt that names Hub's reference settles a message left `unknown` (`_adopt`)."""
    if not receipts:
        return 0
    keys = {(channel_id, receipt.provider_message_id) for channel_id, receipt in receipts}
    current: dict[tuple[int, str], Any] = {
        (found.channel_id, found.provider_message_id): found for found in rows_by_pairs(
            session, Message.__table__, "channel_id", "provider_message_id", keys,  # type: ignore[attr-defined]
            ("id", "channel_id", "provider_message_id", "conversation_id", "status", "sender"), lock=True)}
    adopted = _adopt(session, receipts, current)
    status: dict[int, str] = {found.id: found.status for found in current.values()}
    changes: dict[int, dict[str, Any]] = {}
    pending: list[PendingReceipt] = []
    moved: set[int] = set()
    for channel_id, receipt in receipts:
        row = current.get((channel_id, receipt.provider_message_id))
        at = as_utc(receipt.at)
        if row is None:
            pending.append(PendingReceipt(
                channel_id=channel_id, provider_message_id=receipt.provider_message_id, status=receipt.status,
                at=at, error_code=receipt.error_code, error_reason=receipt.error_reason))
            continue
        change = changes.setdefault(row.id, {"b_id": row.id, "b_status": None, "b_failed": False, "b_code": None,
                                             "b_reason": None, **{f"b_{stamp}": None for stamp in STAMPS}})
        stamp = f"{receipt.status}_at"
        if status[row.id] in FORWARD_FROM[receipt.status]:
            status[row.id] = change["b_status"] = receipt.status
            moved.add(row.id)
            change[f"b_{stamp}"] = change[f"b_{stamp}"] or at
            if receipt.status == "read":
                change["b_delivered_at"] = change["b_delivered_at"] or at
            failed = receipt.status == "failed"
            if failed:
                change.update(b_failed=True, b_code=receipt.error_code, b_reason=receipt.error_reason)
            events.emit(session, events.MESSAGE_STATUS, message_id=row.id, conversation_id=row.conversation_id,
                        status=receipt.status, error_code=receipt.error_code if failed else None,
                        error_reason=receipt.error_reason if failed else None, sender=row.sender)
        elif receipt.status in ("delivered", "read") and status[row.id] != MessageStatus.failed.value:
            change[f"b_{stamp}"] = change[f"b_{stamp}"] or at  # a late receipt: no move, its moment kept
    written = [change for change in changes.values()
               if change["b_status"] is not None or any(change[f"b_{stamp}"] is not None for stamp in STAMPS)]
    if written:
        _write_receipts(session, sorted(written, key=lambda change: change["b_id"]))
    if pending:
        session.add_all(pending)
    for message_id in adopted:  # receipts kept while its worker still held it
        message = session.get(Message, message_id)
        if message is not None:
            apply_pending_receipts(session=session, message=message)
    return len(moved)


RECEIPTS_FROM_ARRAYS = sql_text(
    "UPDATE message AS m SET status = COALESCE(b.status, m.status), "
    "error_code = CASE WHEN b.failed THEN b.code ELSE m.error_code END, "
    "error_reason = CASE WHEN b.failed THEN b.reason ELSE m.error_reason END, "
    "sent_at = COALESCE(m.sent_at, b.sent_at), delivered_at = COALESCE(m.delivered_at, b.delivered_at), "
    "read_at = COALESCE(m.read_at, b.read_at), failed_at = COALESCE(m.failed_at, b.failed_at) "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:failed AS boolean[]), "
    "CAST(:codes AS text[]), CAST(:reasons AS text[]), CAST(:sent_at AS timestamptz[]), "
    "CAST(:delivered_at AS timestamptz[]), CAST(:read_at AS timestamptz[]), CAST(:failed_at AS timestamptz[])) "
    "AS b(id, status, failed, code, reason, sent_at, delivered_at, read_at, failed_at) WHERE m.id = b.id")
"""A batch's receipts in one statement on PostgreSQL: one array per column, one row per changed message."""


def _write_receipts(session: Session, written: list[dict[str, Any]]) -> None:
    """Write each changed message's new status, error and first moments (COALESCE: a stamp never moves)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(RECEIPTS_FROM_ARRAYS, {
            "ids": [c["b_id"] for c in written], "statuses": [c["b_status"] for c in written],
            "failed": [c["b_failed"] for c in written], "codes": [c["b_code"] for c in written],
            "reasons": [c["b_reason"] for c in written], **{stamp: [c[f"b_{stamp}"] for c in written]
                                                            for stamp in STAMPS}})
        return
    m = Message.__table__.c  # type: ignore[attr-defined]
    session.execute(update(Message.__table__).where(m.id == bindparam("b_id")).values(  # type: ignore[attr-defined]
        status=func.coalesce(bindparam("b_status"), m.status),
        error_code=case((bindparam("b_failed"), bindparam("b_code")), else_=m.error_code),
        error_reason=case((bindparam("b_failed"), bindparam("b_reason")), else_=m.error_reason),
        **{stamp: func.coalesce(m[stamp], bindparam(f"b_{stamp}")) for stamp in STAMPS}), written)


@dataclass(frozen=True)
class _Found:
    id: int
    channel_id: int
    provider_message_id: str
    conversation_id: int
    status: str
    sender: str


def _adopt(session: Session, receipts: list[tuple[int, StatusUpdate]], current: dict[tuple[int, str], Any]
           ) -> list[int]:
    """Receipts for an unknown provider id that name, by reference, a message whose provider id Hub never
    stored: `unknown` (a timeout, or its worker died after the call), still `sending` past its lease, or
    `failed: interrupted` from before `unknown` existed. The provider says it took the message, so the
    message takes the provider id and the receipts play on it like any other. A message whose worker may
    still record it (its lease runs) is left alone: its receipts wait as before. The adopted ids."""
    wanted: dict[int, tuple[int, str]] = {}
    for channel_id, receipt in receipts:
        message_id = message_id_of(receipt.reference)
        if message_id is not None and (channel_id, receipt.provider_message_id) not in current:
            wanted.setdefault(message_id, (channel_id, receipt.provider_message_id))
    if not wanted:
        return []
    now = utcnow()
    query = (select(col(Message.id), col(Message.channel_id), col(Message.conversation_id), col(Message.sender))
             .where(col(Message.id).in_(sorted(wanted)), col(Message.provider_message_id).is_(None),
                    or_(col(Message.status) == MessageStatus.unknown.value,
                        and_(col(Message.status) == MessageStatus.sending.value, col(Message.lease_until) < now),
                        and_(col(Message.status) == MessageStatus.failed.value,
                             col(Message.error_code) == INTERRUPTED)))
             .order_by(col(Message.id)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    adopted = []
    for row in session.execute(query).all():
        channel_id, provider_id = wanted[row.id]
        if row.channel_id != channel_id:
            continue
        session.execute(update(Message).where(col(Message.id) == row.id).values(
            provider_message_id=provider_id, status=MessageStatus.unknown.value, lease_until=None,
            error_code=None, error_reason=None, failed_at=None))
        current[(channel_id, provider_id)] = _Found(row.id, channel_id, provider_id, row.conversation_id,
                                                    MessageStatus.unknown.value, row.sender)
        adopted.append(row.id)
    return adopted


def _stage_values(status: str, at: datetime, error_code: str | None, error_reason: str | None) -> dict[str, Any]:
    stamp = f"{status}_at"
    values: dict[str, Any] = {"status": status, stamp: func.coalesce(getattr(Message, stamp), at)}
    if status == "read":
        values["delivered_at"] = func.coalesce(Message.delivered_at, at)
    if status == "failed":
        values["error_code"] = error_code
        values["error_reason"] = error_reason
    return values


def _stamp_late(session: Session, message_id: int, status: str, at: datetime) -> None:
    """A late `delivered` after `read` changes no status but still records when it happened."""
    stamp = f"{status}_at"
    session.execute(update(Message).where(col(Message.id) == message_id)
                    .values(**{stamp: func.coalesce(getattr(Message, stamp), at)}))


def _move_status(
    session: Session, message: Message, status: str, at: datetime, error_code: str | None, error_reason: str | None
) -> bool:
    result = session.execute(
        update(Message)
        .where(col(Message.id) == message.id, col(Message.status).in_(FORWARD_FROM[status]))
        .values(**_stage_values(status, at, error_code, error_reason))
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        if status in ("delivered", "read") and message.status != MessageStatus.failed.value:
            _stamp_late(session, message.id or 0, status, at)
        return False
    session.refresh(message)
    events.emit(session, events.MESSAGE_STATUS, message_id=message.id, conversation_id=message.conversation_id,
                status=message.status, error_code=message.error_code, error_reason=message.error_reason,
                sender=message.sender)
    return True


def apply_pending_receipts(*, session: Session, message: Message) -> None:
    """Apply receipts that arrived before the provider id of this message was known."""
    if message.provider_message_id is None:
        return
    pending = list(session.exec(
        select(PendingReceipt).where(
            PendingReceipt.channel_id == message.channel_id,
            PendingReceipt.provider_message_id == message.provider_message_id,
        )
    ))
    for row in sorted(pending, key=lambda r: list(FORWARD_FROM).index(r.status)):
        _move_status(session, message, row.status, as_utc(row.at), row.error_code, row.error_reason)
        session.delete(row)
