"""The service report as CSV: one row per conversation opened in the range (the sales report: one per order
paid or refunded), UTF-8 with a BOM (Excel), every
cell a spreadsheet shows as text (formulas neutralised), any script kept."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from catalog import money
from catalog.csv_io import neutralise
from catalog.stores.models import Store
from hub.agents.models import Team, User
from hub.assignment.hours import zone
from hub.channel_records.models import Channel
from hub.contacts.models import Contact
from reports import kinds
from reports.models import ReportEvent
from reports.query import Range, filters, tags_of

COLUMNS = ("conversation_id", "opened_at", "contact", "channel", "team", "agent", "first_response_seconds",
           "first_response_business_seconds", "sla_breached", "replies", "reply_median_seconds", "resolved_at",
           "resolution_seconds", "resolution_business_seconds", "incoming_messages", "outgoing_messages", "tags")
CHUNK = 1000


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0f}"
    return neutralise(str(value))


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {int(i): str(n) for i, n in session.execute(select(col(model.id), col(model.name))
                                                         .where(col(model.id).in_(ids)))}


def _rows(session: Session, q: Range, opened: list[Any]) -> list[list[object]]:
    ids = [row.conversation_id for row in opened]
    facts: dict[int, dict[str, list[ReportEvent]]] = defaultdict(lambda: defaultdict(list))
    for fact in session.execute(select(ReportEvent).where(
            col(ReportEvent.conversation_id).in_(ids),
            col(ReportEvent.kind).in_((kinds.FIRST_RESPONSE, kinds.REPLY, kinds.RESOLVED, kinds.MESSAGE_RECEIVED,
                                       kinds.MESSAGE_SENT)))).scalars():
        facts[fact.conversation_id or 0][fact.kind].append(fact)
    contacts = _names(session, Contact, {row.contact_id for row in opened if row.contact_id})
    channels = _names(session, Channel, {row.channel_id for row in opened if row.channel_id})
    teams = _names(session, Team, {row.team_id for row in opened if row.team_id})
    agents = _names(session, User, {row.agent_id for row in opened if row.agent_id})
    tags = tags_of(session, ids)
    here = zone(q.tz)
    out: list[list[object]] = []
    for row in opened:
        mine = facts[row.conversation_id]
        first = mine[kinds.FIRST_RESPONSE][0] if mine[kinds.FIRST_RESPONSE] else None
        resolved = max(mine[kinds.RESOLVED], key=lambda f: f.at) if mine[kinds.RESOLVED] else None
        replies = sorted(f.seconds or 0.0 for f in mine[kinds.REPLY])
        median = replies[len(replies) // 2] if len(replies) % 2 else (
            (replies[len(replies) // 2 - 1] + replies[len(replies) // 2]) / 2 if replies else None)
        out.append([
            row.conversation_id, _local(row.at, here), contacts.get(row.contact_id), channels.get(row.channel_id),
            teams.get(row.team_id), agents.get(row.agent_id), first.seconds if first else None,
            first.business_seconds if first else None, ("yes" if first.value else "no") if first else None,
            len(replies), median, _local(resolved.at, here) if resolved else None,
            resolved.seconds if resolved else None, resolved.business_seconds if resolved else None,
            len(mine[kinds.MESSAGE_RECEIVED]), len(mine[kinds.MESSAGE_SENT]),
            ", ".join(sorted(tags.get(row.conversation_id, [])))])
    return out


def _local(moment: datetime, here: Any) -> str:
    return moment.astimezone(here).isoformat(timespec="seconds")


def _streamed(session: Session, columns: tuple[str, ...], query: Any,
              rows_of: Callable[[list[Any]], Iterable[Iterable[object]]]) -> Iterator[str]:
    """The header (with a BOM, for spreadsheets), then the rows of each CHUNK of `query`'s facts in id order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield "\ufeff" + buffer.getvalue()
    last = 0
    while True:
        facts = session.execute(query.where(col(ReportEvent.id) > last).limit(CHUNK)).all()
        if not facts:
            return
        last = int(facts[-1].id)
        buffer.seek(0)
        buffer.truncate()
        for values in rows_of(list(facts)):
            writer.writerow([_cell(value) for value in values])
        yield buffer.getvalue()


def service_csv(session: Session, q: Range) -> Iterator[str]:
    """The conversations opened in the range (filters and the asker's scope applied), a chunk at a time."""
    start, end = q.bounds
    e = ReportEvent
    query = (select(col(e.id), col(e.conversation_id), col(e.at), col(e.contact_id), col(e.channel_id),
                    col(e.team_id), col(e.agent_id))
             .where(col(e.kind) == kinds.CONVERSATION_OPENED, col(e.at) >= start, col(e.at) < end, *filters(q, e))
             .order_by(col(e.id)))

    def rows_of(opened: list[Any]) -> list[list[object]]:
        rows = _rows(session, q, opened)
        return rows if q.tag is None else [r for r in rows if q.tag in str(r[-1]).split(", ")]

    return _streamed(session, COLUMNS, query, rows_of)


SALES_COLUMNS = ("order_id", "event", "at", "currency", "amount", "channel", "agent", "campaign_id", "flow_id",
                 "store")


def sales_csv(session: Session, q: Range) -> Iterator[str]:
    """Each order paid or refunded in the range (filters and the asker's scope applied), a chunk at a time: its
    amount in the currency's units and what it is credited to; `store` is the till's store, empty when the
    order was made online."""
    start, end = q.bounds
    e = ReportEvent
    query = (select(col(e.id), col(e.order_id), col(e.kind), col(e.at), col(e.currency), col(e.amount_minor),
                    col(e.channel_id), col(e.agent_id), col(e.campaign_id), col(e.flow_id), col(e.store_id),
                    col(e.conversation_id))
             .where(col(e.kind).in_((kinds.ORDER_PAID, kinds.ORDER_REFUNDED)), col(e.at) >= start, col(e.at) < end,
                    *filters(q, e))
             .order_by(col(e.id)))
    here = zone(q.tz)

    def rows_of(facts: list[Any]) -> Iterator[tuple[object, ...]]:
        if q.tag is not None:  # as the sales report: orders from conversations with the tag
            tags = tags_of(session, (f.conversation_id for f in facts if f.conversation_id))
            facts = [f for f in facts if q.tag in tags.get(f.conversation_id or 0, [])]
        channels = _names(session, Channel, {f.channel_id for f in facts if f.channel_id})
        agents = _names(session, User, {f.agent_id for f in facts if f.agent_id})
        stores = _names(session, Store, {f.store_id for f in facts if f.store_id})
        for f in facts:
            yield (f.order_id, "refunded" if f.kind == kinds.ORDER_REFUNDED else "paid", _local(f.at, here),
                   f.currency, money.plain(int(f.amount_minor or 0), f.currency) if f.currency else None,
                   channels.get(f.channel_id), agents.get(f.agent_id), f.campaign_id, f.flow_id,
                   stores.get(f.store_id))

    return _streamed(session, SALES_COLUMNS, query, rows_of)
