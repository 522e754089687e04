"""A segment definition compiled to one SELECT of contact ids, with every value a bound parameter.

What each condition means (see `flows.segments.definition` for the JSON):

- `tag` / `tag_in`: the contact has the tag (any of them), whoever applied it.
- `has_channel`: the contact has an identity of that kind; `whatsapp` also covers `whatsapp_user`.
- `channel_id`: the contact has a conversation, or a consent record, on that channel.
- `field`: custom fields compared as the text of their JSON value (`true`, `42`, `香港`); `eq` and
  `in` are exact, `contains` ignores case; `ne` is "not eq", so it includes contacts without the
  field; `exists` means present and not null.
- `consent`: only the newest record per contact and channel counts. `opted_in`: that record is an
  opt-in (on the given channel, or on any channel). `not_opted_out`: no such newest record is an
  opt-out (on the given channel, or on any channel), so contacts never asked are included.
- `locale`: a prefix on language-tag boundaries, ignoring case and `-` versus `_`: `zh` matches
  `zh_Hant` and `zh-HK`, `zh_hant` matches `zh-Hant-TW`, `ja` does not match `jam`.
- Days are whole days since, counted as `catalog.behaviour` counts them: "within 30 days" includes
  30 days and 23 hours ago. `last_inbound.not_within_days` includes contacts who never wrote.
- `orders`: paid orders only (in `currency` if given). A contact who never paid has count 0 and
  total 0 (so `count_lte` includes them) and no last date (so `last_*` excludes them).
- `lifecycle`: the cell of the 3 x 3 matrix computed from paid orders with `BehaviourSettings`, at
  `now`; not read from the behaviour tags, which may lag until the nightly recompute.

Every predicate is two-valued (never SQL NULL), so `not` is plain negation.
"""

from __future__ import annotations

import typing
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, false, func, literal, not_, or_, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from catalog.behaviour import BehaviourSettings
from catalog.models import Order, OrderStatus
from flows.segments.definition import (
    Consented,
    FieldIs,
    Group,
    HasChannel,
    LastInbound,
    Lifecycle,
    LocaleIs,
    Node,
    Not,
    OnChannel,
    Orders,
    SegmentError,
    Tagged,
    parse,
)
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.models import Conversation
from hub.runtime.db import as_utc
from hub.tags.models import ContactTag, Tag

__all__ = ["SegmentError", "compile", "field_text", "lifecycle_cell", "lifecycle_cell_number_of", "lifecycle_cell_of"]

Predicate = ColumnElement[bool]


def compile(session: Session, definition: object, now: datetime, *,
            settings: BehaviourSettings | None = None) -> Select[int]:
    """The ids of the contacts the definition selects at `now`; raises `SegmentError` if it is invalid."""
    node = parse(definition)  # whole, before any SQL is built
    compiler = _Compiler(session.get_bind().dialect.name, as_utc(now), settings or BehaviourSettings())
    ids = select(col(Contact.id)).where(compiler.predicate(node))
    return typing.cast("Select[int]", ids)  # the primary key is never NULL in a row


def lifecycle_cell(session: Session, name: str, now: datetime, *,
                   settings: BehaviourSettings | None = None) -> Predicate:
    """One lifecycle cell ("loyal sleeping") as a predicate over a contact's orders grouped by contact (the count
    of their ids and the latest `paid_at`): what `{"lifecycle": [name]}` means at `now`. The reports' matrix
    counts every cell with it in one grouped query, so a cell there is the segment's cell."""
    return _Compiler(session.get_bind().dialect.name, as_utc(now), settings or BehaviourSettings()).cell(name)


def lifecycle_cell_of(session: Session, name: str, now: datetime, count: Any, last: Any, *,
                      settings: BehaviourSettings | None = None) -> Predicate:
    """`lifecycle_cell` over given expressions of the purchase count and the last purchase moment (a report that
    aggregates the orders its own way, for several moments in one pass, bands them exactly alike)."""
    return _Compiler(session.get_bind().dialect.name, as_utc(now), settings or BehaviourSettings()).cell_of(
        name, count, last)


def lifecycle_cell_number_of(session: Session, now: datetime, count: Any, last: Any, *,
                             settings: BehaviourSettings | None = None) -> Any:
    """The cell `lifecycle_cell_of` puts a purchase count and last purchase in, as its index in
    `catalog.behaviour.CELLS` (count band x 3 + recency band; NULL for none): one expression instead of nine
    predicates, for a report that bands every contact at several moments."""
    return _Compiler(session.get_bind().dialect.name, as_utc(now), settings or BehaviourSettings()).cell_number(
        count, last)


def field_text(dialect: str, name: str) -> ColumnElement[str]:
    """A custom field of the contact as the text of its JSON value (NULL when absent or null).

    PostgreSQL's `->>` already gives that text; SQLite's json_extract gives SQL values, so its
    booleans are spelled back as `true` / `false` and numbers cast to text.
    """
    fields: Any = col(Contact.custom_fields)
    if dialect == "postgresql":
        text: ColumnElement[str] = fields.op("->>", return_type=String())(literal(name, String()))
        return text
    path = literal(f'$."{name}"', String())  # names with a double quote are refused by the definition
    return case((func.json_type(fields, path) == "true", "true"),
                (func.json_type(fields, path) == "false", "false"),
                else_=cast(func.json_extract(fields, path), String()))


class _Compiler:
    def __init__(self, dialect: str, now: datetime, settings: BehaviourSettings) -> None:
        self.dialect = dialect
        self.now = now
        self.settings = settings

    def since(self, days: int) -> datetime:
        """Moments after this are at most `days` whole days ago."""
        return self.now - timedelta(days=days + 1)

    def predicate(self, node: Node) -> Predicate:
        match node:
            case Group(match="all", children=children):
                return and_(*(self.predicate(c) for c in children)) if children else true()
            case Group(children=children):
                return or_(*(self.predicate(c) for c in children)) if children else false()
            case Not(child=child):
                return not_(self.predicate(child))
            case Tagged(names=names):
                return _has(select(col(ContactTag.contact_id)).join(Tag, col(Tag.id) == col(ContactTag.tag_id))
                            .where(col(Tag.name).in_(names)))
            case HasChannel(kinds=kinds):
                return _has(select(col(ChannelIdentity.contact_id)).where(col(ChannelIdentity.kind).in_(kinds)))
            case OnChannel(channel_id=channel_id):
                return or_(_has(select(col(Conversation.contact_id)).where(col(Conversation.channel_id) == channel_id)),
                           _has(select(col(Consent.contact_id)).where(col(Consent.channel_id) == channel_id)))
            case FieldIs():
                return self.field(node)
            case Consented(state=state, channel_id=channel_id):
                if state == "opted_in":
                    return _has(_newest_consent("opted_in", channel_id))
                return not_(_has(_newest_consent("opted_out", channel_id)))
            case LocaleIs(prefixes=prefixes):
                locale = func.replace(func.lower(col(Contact.locale)), "-", "_")
                return and_(col(Contact.locale).is_not(None),
                            or_(*(or_(locale == p, locale.startswith(f"{p}_", autoescape=True)) for p in prefixes)))
            case LastInbound():
                return self.last_inbound(node)
            case Orders():
                return self.orders(node)
            case Lifecycle(cells=cells):
                return _has(_paid_by_contact(None).having(or_(*(self.cell(c) for c in cells))))
        raise SegmentError(f"cannot compile {node!r}")  # unreachable: parse() makes only the nodes above

    def field(self, node: FieldIs) -> Predicate:
        text = field_text(self.dialect, node.name)
        present = text.is_not(None)
        if node.op == "exists":
            return present
        if node.op == "contains":
            return and_(present, text.icontains(node.values[0], autoescape=True))
        if node.op == "in":
            return and_(present, text.in_(node.values))
        equal = and_(present, text == node.values[0])
        return not_(equal) if node.op == "ne" else equal

    def last_inbound(self, node: LastInbound) -> Predicate:
        def wrote_within(days: int) -> Predicate:
            wrote = select(col(Conversation.contact_id)).where(col(Conversation.last_inbound_at) > self.since(days))
            return _has(wrote)

        parts = []
        if node.within_days is not None:
            parts.append(wrote_within(node.within_days))
        if node.not_within_days is not None:
            parts.append(not_(wrote_within(node.not_within_days)))
        return and_(*parts)

    def orders(self, node: Orders) -> Predicate:
        count, total, last = func.count(col(Order.id)), func.sum(col(Order.total_minor)), func.max(col(Order.paid_at))
        having: list[Predicate] = []
        if node.count_gte is not None:
            having.append(count >= node.count_gte)
        if node.count_lte is not None:
            having.append(count <= node.count_lte)
        if node.total_gte is not None:
            having.append(total >= node.total_gte)
        if node.total_lte is not None:
            having.append(total <= node.total_lte)
        if node.last_within_days is not None:
            having.append(last > self.since(node.last_within_days))
        if node.last_before_days is not None:
            having.append(last <= self.since(node.last_before_days))
        bought = _has(_paid_by_contact(node.currency).having(and_(*having)))
        if not node.matches_no_orders():
            return bought
        return or_(bought, not_(_has(select(col(Order.contact_id)).where(*_paid(node.currency)))))

    def cell(self, name: str) -> Predicate:
        """One lifecycle cell as a HAVING over a contact's paid orders, the bands of `behaviour.cell`."""
        return self.cell_of(name, func.count(col(Order.id)), func.max(col(Order.paid_at)))

    def cell_of(self, name: str, count: Any, last: Any) -> Predicate:
        """One lifecycle cell over a purchase count and a last purchase moment (any expressions)."""
        count_band, recency_band = name.split(" ")
        s = self.settings
        by_count = {"loyal": count >= s.loyal_from,
                    "repeat": and_(count >= s.repeat_from, count < s.loyal_from),
                    "new": and_(count < s.repeat_from, count < s.loyal_from)}[count_band]
        active, sleeping = last > self.since(s.active_days), last > self.since(s.sleeping_days)
        by_recency = {"active": active, "sleeping": and_(not_(active), sleeping),
                      "lost": and_(not_(active), not_(sleeping))}[recency_band]
        return and_(by_count, by_recency)

    def cell_number(self, count: Any, last: Any) -> Any:
        """`cell_of` as arithmetic over the same bounds: the first band whose predicate there holds."""
        s = self.settings
        by_count = case((count >= s.loyal_from, 2), (count >= s.repeat_from, 1), else_=0)
        by_recency = case((last > self.since(s.active_days), 0), (last > self.since(s.sleeping_days), 1), else_=2)
        return case((last.is_(None), None), else_=by_count * 3 + by_recency)


def _has(rows: Select[Any]) -> Predicate:
    """EXISTS rows of this contact: `rows` selects a contact id column first, which is tied to the outer contact.

    Correlated EXISTS rather than IN, so that `not` becomes an anti-join (NOT IN over a large subquery
    is quadratic on PostgreSQL once it no longer fits in memory), and SQLite walks the contact_id indexes.
    """
    contact_column = rows.selected_columns[0]
    return rows.where(contact_column == col(Contact.id)).exists()


def _paid(currency: str | None) -> list[Predicate]:
    conditions = [col(Order.status) == OrderStatus.paid.value]
    if currency is not None:
        conditions.append(col(Order.currency) == currency)
    return conditions


def _paid_by_contact(currency: str | None) -> Select[int]:
    return select(col(Order.contact_id)).where(*_paid(currency)).group_by(col(Order.contact_id))


def _newest_consent(status: str, channel_id: int | None) -> Select[int]:
    """Contacts whose newest consent record on a channel (the given one, or any) has this status."""
    record, newer = aliased(Consent), aliased(Consent)
    superseded = (select(col(newer.id))
                  .where(col(newer.contact_id) == col(record.contact_id),
                         col(newer.channel_id) == col(record.channel_id),
                         or_(col(newer.created_at) > col(record.created_at),
                             and_(col(newer.created_at) == col(record.created_at), col(newer.id) > col(record.id))))
                  .exists())
    query = select(col(record.contact_id)).where(col(record.status) == status, not_(superseded))
    if channel_id is not None:
        query = query.where(col(record.channel_id) == channel_id)
    return query
