"""Purchases at a store's till: one at a time from the POS (`record`), or many from a CSV of historical
sales (`record_many`).

A sale is a paid order of its customer, keyed by `pos:{store_id}:{pos_id}` (the order's `payment_ref`), so the
same sale sent again changes nothing. A live sale goes the catalog's order-paid way (`order.paid`: journeys,
campaign attribution, reports, outgoing webhooks). Historical sales are written in batches and announced with
one `order.imported` event per batch: reports and behaviour tags count them, but no journey greets a customer
for a purchase of last year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog import money, orders
from catalog.models import Order, OrderEvent, OrderLine, OrderStatus
from catalog.stores.models import Store
from hub.contacts import service as contacts
from hub.contacts.identities import StoredIdentity
from hub.runtime import events
from hub.runtime.db import utcnow

PROVIDER = "pos"
MEMBER_IDENTITY = "member"
"""A member number is an identity of its own kind: a card scanned at the till finds the same customer."""
PHONE_IDENTITY = "whatsapp"
"""A phone from the till is matched to (or starts) a contact as a WhatsApp number, the shops' main channel."""
MAX_MINOR = 2**31 - 1
"""The largest amount an order column holds (in minor units)."""
ORDER_IMPORTED = "order.imported"
"""Historical sales written by one batch of a POS import: data order_ids, contact_ids."""


class PosError(ValueError):
    """A sale that cannot be recorded; the message says which field and why."""


@dataclass(frozen=True)
class Sale:
    pos_id: str
    store_id: int
    purchased_at: datetime
    currency: str
    total_minor: int
    lines: tuple[orders.ExternalLine, ...] = ()
    phone: str | None = None
    member_number: str | None = None
    customer_name: str | None = None
    identities: tuple[StoredIdentity, ...] = field(default=())

    @property
    def ref(self) -> str:
        return f"{PROVIDER}:{self.store_id}:{self.pos_id}"


def minor(raw: str, currency: str, what: str = "total") -> int:
    try:
        amount = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise PosError(f"{what}: {raw!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise PosError(f"{what}: {raw!r} is not an amount of money")
    try:
        found = money.to_minor(amount, currency)
    except money.MoneyError as error:
        raise PosError(f"{what}: {error}") from None
    if found > MAX_MINOR:
        raise PosError(f"{what}: {raw!r} is more than a till sells at once")
    return found


def sale(*, pos_id: str, store_id: int, purchased_at: datetime | None, currency: str, total: str,
         lines: Sequence[tuple[str, str, int, str]] = (), phone: str | None = None,
         member_number: str | None = None, customer_name: str | None = None) -> Sale:
    """A checked sale from what the till said; `PosError` names the first wrong field. `lines` are
    (sku, title, quantity, unit price)."""
    pos_id = pos_id.strip()
    if not pos_id or len(pos_id) > 120:
        raise PosError("pos_id: the till's id of the sale is missing or longer than 120 characters")
    try:
        code = money.currency_code(currency)
    except money.MoneyError as error:
        raise PosError(f"currency: {error}") from None
    identities: list[StoredIdentity] = []
    number = None
    if phone and phone.strip():
        try:
            number = contacts.normalize_phone(phone)
        except contacts.InvalidPhone as error:
            raise PosError(f"phone: {error}") from None
        identities.append(StoredIdentity(kind=PHONE_IDENTITY, value=number, phone=number))
    member = (member_number or "").strip()[:60] or None
    if member:
        identities.append(StoredIdentity(kind=MEMBER_IDENTITY, value=member))
    if not identities:
        raise PosError("customer: give the customer's phone or member number")
    when = purchased_at or utcnow()
    if when.tzinfo is None:
        raise PosError("purchased_at: give the time with its offset (e.g. 2026-12-06T14:30:00+08:00)")
    try:
        when = when.astimezone(UTC)
    except OverflowError:
        raise PosError("purchased_at: the time is out of range") from None
    checked = tuple(orders.ExternalLine(sku=sku[:100], title=title[:500], quantity=quantity,
                                        unit_minor=minor(price, code, "unit_price"))
                    for sku, title, quantity, price in lines)
    return Sale(pos_id=pos_id, store_id=store_id, purchased_at=when, currency=code,
                total_minor=minor(total, code), lines=checked, phone=number, member_number=member,
                customer_name=(customer_name or "").strip()[:200] or None, identities=tuple(identities))


def store_ids(session: Session) -> dict[str, int]:
    """Every store by id and by name (what a CSV may give)."""
    found: dict[str, int] = {}
    for store in session.exec(select(Store)):
        found[str(store.id)] = found[store.name.casefold()] = store.id or 0
    return found


def _contact_of(session: Session, sale: Sale) -> int:
    if sale.phone is None:
        assert sale.member_number is not None
        known = contacts.contacts_by_identity(session=session, kind=MEMBER_IDENTITY, values=[sale.member_number])
        if sale.member_number not in known:
            raise PosError(f"member_number: no customer has the member number {sale.member_number!r}")
        return known[sale.member_number]
    contact = contacts.resolve(session=session, identities=sale.identities, profile_name=sale.customer_name)
    return contact.id or 0


def record(*, session: Session, sale: Sale) -> tuple[Order, bool]:
    """One live sale as a paid order (the one recorded before for the same pos_id, if any); (order, made)."""
    if session.get(Store, sale.store_id) is None:
        raise PosError(f"store_id: there is no store {sale.store_id}")
    known = orders.find_by_payment_ref(session=session, payment_ref=sale.ref)
    if known is not None:
        return known, False
    contact_id = _contact_of(session, sale)
    try:
        with session.begin_nested():
            return orders.record_paid_elsewhere(
                session=session, contact_id=contact_id, currency=sale.currency, total_minor=sale.total_minor,
                lines=list(sale.lines), provider=PROVIDER, payment_ref=sale.ref, paid_at=sale.purchased_at,
                store_id=sale.store_id)
    except IntegrityError:  # the till sent it twice at once: the other request recorded it
        found = orders.find_by_payment_ref(session=session, payment_ref=sale.ref)
        if found is None:
            raise
        return found, False


@dataclass
class Outcome:
    created: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    """(index in the batch, pos_id, reason)."""


def record_many(*, session: Session, sales: Sequence[Sale]) -> Outcome:
    """Historical sales, set-based: those recorded before (or twice in the batch) are duplicates; members
    nobody has are errors. The caller commits."""
    outcome = Outcome()
    known = {ref for (ref,) in session.execute(select(col(Order.payment_ref))
                                               .where(col(Order.payment_ref).in_([s.ref for s in sales])))}
    members = contacts.contacts_by_identity(session=session, kind=MEMBER_IDENTITY,
                                            values=[s.member_number for s in sales if s.member_number])
    fresh: list[tuple[int, Sale]] = []
    for index, one in enumerate(sales):
        if one.ref in known:
            outcome.duplicates += 1
        elif one.phone is None and one.member_number not in members:
            outcome.errors.append((index, one.pos_id, f"member_number: no customer has the member number "
                                                      f"{one.member_number!r}"))
        else:
            known.add(one.ref)
            fresh.append((index, one))
    if not fresh:
        return outcome
    phoned = [one for _, one in fresh if one.phone is not None]
    resolved = dict(zip([one.ref for one in phoned], contacts.resolve_many(
        session=session, people=[(one.identities, one.customer_name) for one in phoned]), strict=True))
    rows = [{"number": orders.new_number(), "contact_id": resolved.get(one.ref) or members[one.member_number or ""],
             "currency": one.currency, "total_minor": one.total_minor, "status": OrderStatus.paid.value,
             "payment_provider": PROVIDER, "payment_ref": one.ref, "store_id": one.store_id,
             "created_at": one.purchased_at,
             "paid_at": one.purchased_at} for _, one in fresh]
    table = Order.__table__  # type: ignore[attr-defined]
    made = {str(ref): (int(order_id), int(contact_id)) for order_id, ref, contact_id in session.execute(
        table.insert().returning(table.c.id, table.c.payment_ref, table.c.contact_id), rows)}
    lines = [{"order_id": made[one.ref][0], "sku": line.sku, "title": line.title, "quantity": line.quantity,
              "unit_minor": line.unit_minor, "currency": one.currency}
             for _, one in fresh for line in one.lines if line.quantity > 0]
    if lines:
        session.execute(OrderLine.__table__.insert(), lines)  # type: ignore[attr-defined]
    session.execute(OrderEvent.__table__.insert(), [  # type: ignore[attr-defined]
        {"order_id": made[one.ref][0], "kind": "paid", "created_at": one.purchased_at,
         "detail": {"provider": PROVIDER, "payment_ref": one.ref, "store_id": one.store_id, "previous": "imported"}}
        for _, one in fresh])
    outcome.created = len(made)
    events.emit(session, ORDER_IMPORTED, order_ids=[order_id for order_id, _ in made.values()],
                contact_ids=sorted({contact_id for _, contact_id in made.values()}))
    return outcome
