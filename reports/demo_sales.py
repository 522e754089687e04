"""The demo history's marketing and sales: campaigns and their recipients' funnel, journey runs, and orders
paid (and a few refunded) in HKD, TWD and JPY, credited as catalog credits them (channel, agent, campaign,
flow). Each customer is given a place in the 3 x 3 lifecycle matrix first, so all nine cells have people.
See `reports.demo_history`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlmodel import Session, col

from catalog.behaviour import BehaviourSettings
from catalog.loyalty import earning
from catalog.models import Order, OrderEvent, OrderLine
from catalog.stores.models import Coupon, CouponSource, CouponState, Store
from flows.campaigns.models import Campaign, Recipient
from flows.journeys.models import Flow, FlowEvent, FlowRun
from hub.contacts.models import Contact
from hub.conversations.models import Conversation, Message

if TYPE_CHECKING:
    from reports.demo_history import Shop

MARK = "(demo history)"
"""In the name of each campaign the history makes: present, the history is there already."""
CURRENCY = {"zh-HK": "HKD", "zh-TW": "TWD", "ja": "JPY", "en": "HKD"}

COUPONS = ("雙十一", "Winter")
"""Campaigns whose message carried a coupon: some customers who clicked redeem it at the demo store."""
CAMPAIGNS = [  # name, days ago in a history of `demo_history.DAYS` (a shorter one: in proportion), locales, A/B
    ("中秋節優惠 Mid-Autumn sale", 120, ("zh-HK", "zh-TW", "en"), False),
    ("秋の新作 Autumn arrivals", 95, ("ja",), False),
    ("雙十一 11.11 flash sale", 70, ("zh-HK", "zh-TW", "en", "ja"), True),
    ("Black Friday", 45, ("en", "zh-HK", "ja"), False),
    ("Winter coupon 冬季優惠券", 12, ("zh-HK", "zh-TW", "en", "ja"), True),
]
PRICES = {"HKD": (19900, 159900, 100), "TWD": (79000, 590000, 100), "JPY": (2980, 24800, 10)}
ITEMS = {"zh-HK": ["A123 波鞋", "麻質恤衫", "羽絨外套"], "zh-TW": ["麻質襯衫", "羽絨外套"],
         "ja": ["ジャケット", "リネンシャツ"],
         "en": ["Linen shirt", "Down jacket", "A123 sneakers"]}


def generate(session: Session, shop: Shop) -> str:
    reached = _campaigns(session, shop)
    flowed = _journeys(session, shop)
    orders, refunds = _orders(session, shop, reached, flowed)
    return f"{len(reached)} campaign recipients, {len(flowed)} journey messages, {orders} orders ({refunds} refunded)"


def _latest(shop: Shop, contact_id: int, before: datetime) -> Conversation | None:
    earlier = [c for c in shop.threads.get(contact_id, []) if c.created_at < before]
    return earlier[-1] if earlier else None


def _campaigns(session: Session, shop: Shop) -> dict[int, list[tuple[datetime, int, int]]]:
    """Per contact: (engaged at, campaign id, recipient id) of the broadcasts they replied to or clicked."""
    rng, engaged = shop.rng, dict[int, list[tuple[datetime, int, int]]]()
    store = session.execute(select(col(Store.id)).order_by(col(Store.id)).limit(1)).scalar_one_or_none()
    for name, back, locales, ab in CAMPAIGNS:
        launched = shop.now - shop.scaled(back) - timedelta(hours=rng.randint(0, 6))
        channels = sorted({shop.channels[kind].id or 0 for c, loc, kind in shop.contacts if loc in locales})
        campaign = Campaign(name=f"{name} {MARK}", status="done", channel_ids=channels, created_at=launched,
                            launched_at=launched, finished_at=launched + timedelta(minutes=20),
                            variants=[{"name": "A"}, {"name": "B"}] if ab else [{"name": "A"}])
        session.add(campaign)
        session.flush()
        reached: list[Reached] = []
        for contact, locale, kind in shop.contacts:
            if locale not in locales or rng.random() < 0.3:
                continue
            reached.append(_recipient(session, shop, campaign, contact, shop.channels[kind].id or 0, launched, ab))
            if reached[-1].engaged_at is not None and name.startswith(COUPONS) and rng.random() < 0.5:
                _coupon(session, shop, campaign, contact, reached[-1].engaged_at, store)
        session.flush()  # the campaign's messages and coupons, an INSERT each; then the recipients, with their ids
        for item in reached:
            item.recipient.message_id = item.message.id if item.message is not None else None
        session.add_all([item.recipient for item in reached])
        session.flush()
        for item in reached:
            if item.engaged_at is not None:
                engaged.setdefault(item.recipient.contact_id, []).append(
                    (item.engaged_at, campaign.id or 0, item.recipient.id or 0))
    return engaged


@dataclass
class Reached:
    """A campaign's recipient made up but not written yet: its message goes first, for its id."""

    recipient: Recipient
    message: Message | None
    engaged_at: datetime | None
    """When they clicked or replied (the first of the two), if they did."""


def _recipient(session: Session, shop: Shop, campaign: Campaign, contact: Contact, channel_id: int,
               launched: datetime, ab: bool) -> Reached:
    rng = shop.rng
    variant = rng.choice("AB") if ab else "A"
    if rng.random() < 0.04:
        return Reached(Recipient(campaign_id=campaign.id or 0, contact_id=contact.id or 0, channel_id=channel_id,
                                 variant=variant, state="skipped", reason="no consent"), None, None)
    sent = launched + timedelta(seconds=rng.randint(0, 1200))
    conversation = _latest(shop, contact.id or 0, sent)
    failed = rng.random() < 0.03
    delivered = None if failed else sent + timedelta(seconds=rng.randint(2, 60))
    lift = 0.08 if variant == "B" else 0.0
    read = delivered + timedelta(minutes=rng.randint(1, 600)) if delivered and rng.random() < 0.75 else None
    clicked = read + timedelta(minutes=rng.randint(1, 30)) if read and rng.random() < 0.3 + lift else None
    replied = read + timedelta(minutes=rng.randint(1, 60)) if read and rng.random() < 0.15 else None
    message = None
    if conversation is not None:
        message = Message(conversation_id=conversation.id or 0, channel_id=conversation.channel_id,
                          direction="outbound", sender="broadcast", text=campaign.name,
                          client_key=f"broadcast:{campaign.id}:{contact.id}", status="failed" if failed else "read",
                          occurred_at=sent, created_at=sent, sent_at=sent, delivered_at=delivered, read_at=read,
                          failed_at=sent if failed else None)
        session.add(message)
    recipient = Recipient(campaign_id=campaign.id or 0, contact_id=contact.id or 0, channel_id=channel_id,
                          variant=variant, state="failed" if failed else "sent", sent_at=sent,
                          delivered_at=delivered, read_at=read, clicked_at=clicked, replied_at=replied,
                          failed_at=sent if failed else None)
    return Reached(recipient, message, min((m for m in (clicked, replied) if m is not None), default=None))


def _coupon(session: Session, shop: Shop, campaign: Campaign, contact: Contact, clicked: datetime,
            store: int | None) -> None:
    """Issued when the customer clicked; redeemed at the store (a visit) by some, within three days."""
    rng = shop.rng
    redeemed = clicked + timedelta(hours=rng.randint(2, 72))
    visited = store is not None and redeemed < shop.now and rng.random() < 0.6
    session.add(Coupon(code=f"DH{campaign.id}X{contact.id}", offer="10%", source=CouponSource.campaign.value,
                       source_key=f"demo-history:{campaign.id}:{contact.id}", campaign_id=campaign.id,
                       contact_id=contact.id or 0, issued_at=clicked,
                       state=CouponState.redeemed.value if visited else CouponState.issued.value,
                       redeemed_at=redeemed if visited else None, store_id=store if visited else None))


def _journeys(session: Session, shop: Shop) -> dict[int, list[tuple[datetime, int]]]:
    """Runs of the demo's published journeys over the months; per contact (sent at, flow id)."""
    rng, sent = shop.rng, dict[int, list[tuple[datetime, int]]]()
    flows = list(session.execute(select(Flow).where(col(Flow.published_version).is_not(None))
                                 .order_by(col(Flow.id))).scalars())
    for flow in flows:
        for contact, _, _ in rng.sample(shop.contacts, len(shop.contacts) * 3 // 16):  # 150 of 800
            started = shop.now - timedelta(days=rng.randint(2, shop.days - 10), minutes=rng.randint(0, 600))
            converted = rng.random() < 0.25
            run = FlowRun(flow_id=flow.id or 0, version=flow.published_version or 1, contact_id=contact.id or 0,
                          status="converted" if converted else "completed", started_at=started, updated_at=started,
                          ended_at=started + timedelta(days=1))
            session.add(run)
            session.flush()
            at = started + timedelta(minutes=rng.randint(1, 120))
            session.add_all([FlowEvent(flow_id=flow.id or 0, run_id=run.id or 0, contact_id=contact.id or 0,
                                       kind="entered", at=started),
                             FlowEvent(flow_id=flow.id or 0, run_id=run.id or 0, contact_id=contact.id or 0,
                                       kind="sent", at=at)])
            sent.setdefault(contact.id or 0, []).append((at, flow.id or 0))
    session.flush()
    return sent


def _plan(shop: Shop, index: int) -> tuple[int, int, int]:
    """(purchases, and the range of days since the last) for the index-th buyer: round the nine cells, then at
    random."""
    settings, rng = BehaviourSettings(), shop.rng
    counts = [(1, 1), (settings.repeat_from, settings.loyal_from - 1), (settings.loyal_from, settings.loyal_from + 5)]
    recency = [(0, settings.active_days - 1), (settings.active_days + 1, settings.sleeping_days - 1),
               (settings.sleeping_days + 1, settings.sleeping_days + 120)]
    cell = index % 9 if index < 27 else rng.choices(range(9), weights=(14, 9, 6, 10, 8, 6, 8, 5, 4))[0]
    low, high = counts[cell // 3]
    near, far = recency[cell % 3]
    return rng.randint(low, high), near, far


def _orders(session: Session, shop: Shop, reached: dict[int, list[tuple[datetime, int, int]]],
            flowed: dict[int, list[tuple[datetime, int]]]) -> tuple[int, int]:
    rng, made, refunds = shop.rng, 0, 0
    first = session.execute(select(func.max(col(Order.id)))).scalar_one() or 0
    buyers = [entry for entry in shop.contacts if rng.random() < 0.8]
    placed: list[Placed] = []
    for index, (contact, locale, _) in enumerate(buyers):
        currency = CURRENCY[locale]
        count, near, far = _plan(shop, index)
        last = _last(shop, near, far, [*reached.get(contact.id or 0, []), *flowed.get(contact.id or 0, [])])
        moments = sorted({last - timedelta(days=0 if n == 0 else rng.randint(5, 200), minutes=rng.randint(0, 600))
                          for n in range(count)})
        extra = rng.random() < 0.06  # a refunded order on top: the customer stays in their cell
        for n, paid in enumerate(moments + ([moments[-1] - timedelta(days=3)] if extra else [])):
            placed.append(_order(session, shop, contact, locale, currency, paid, reached, flowed,
                                 refunded=n >= len(moments)))
            made += 1
            refunds += n >= len(moments)
    _lines_and_events(session, placed)
    for order_id in session.execute(select(col(Order.id)).where(col(Order.id) > first, col(Order.status) == "paid")
                                    .order_by(col(Order.id))).scalars():
        earning.earn_for_order(session=session, order_id=order_id)  # paid orders earn points, as at checkout
    return made, refunds


def _last(shop: Shop, near: int, far: int, engaged: list[Any]) -> datetime:
    """The last purchase, `near` to `far` days ago: hours after a campaign's or journey's message when one fell
    in those days (as such purchases happen), else on any of them."""
    rng = shop.rng
    latest, earliest = shop.now - timedelta(days=near), shop.now - timedelta(days=far)
    inside: list[datetime] = [item[0] for item in engaged if earliest <= item[0] <= latest - timedelta(hours=30)]
    if inside and rng.random() < 0.7:
        return rng.choice(inside) + timedelta(hours=rng.randint(1, 30))
    return latest - timedelta(days=rng.randint(0, far - near), minutes=rng.randint(30, 600))


def _credit(items: list[Any], paid: datetime) -> Any:
    """The latest engagement within 72 hours before the payment, as catalog's attribution reads it."""
    inside = [item for item in items if paid - timedelta(hours=72) <= item[0] < paid]
    return max(inside, key=lambda item: item[0]) if inside else None


@dataclass
class Placed:
    """An order made up but not written yet, with what is written once it has its id."""

    order: Order
    locale: str
    paid: datetime
    title: str
    recipient_id: int | None
    """The campaign recipient it converts (the first order credited to a recipient does)."""


def _order(session: Session, shop: Shop, contact: Contact, locale: str, currency: str, paid: datetime,
           reached: dict[int, list[tuple[datetime, int, int]]], flowed: dict[int, list[tuple[datetime, int]]],
           *, refunded: bool) -> Placed:
    rng = shop.rng
    low, high, step = PRICES[currency]
    total = rng.randrange(low, high, step)
    conversation = _latest(shop, contact.id or 0, paid)
    talked = conversation if conversation and paid - conversation.created_at < timedelta(days=45) else None
    campaign = _credit(reached.get(contact.id or 0, []), paid)
    flow = _credit(flowed.get(contact.id or 0, []), paid)
    order = Order(number=f"D{rng.randrange(16 ** 8):08X}", contact_id=contact.id or 0,
                  conversation_id=talked.id if talked else None, channel_id=talked.channel_id if talked else None,
                  agent_id=talked.assignee_id if talked else None, campaign_id=campaign[1] if campaign else None,
                  flow_id=flow[1] if flow else None, currency=currency, total_minor=total,
                  status="refunded" if refunded else "paid", payment_provider="sandbox",
                  payment_ref=f"demo-history-{contact.id}-{int(paid.timestamp())}", created_at=paid,
                  paid_at=paid)
    title = rng.choice(ITEMS[locale])
    if refunded:
        order.refunded_at = paid + timedelta(days=rng.randint(1, 3))
    session.add(order)
    return Placed(order=order, locale=locale, paid=paid, title=title,
                  recipient_id=campaign[2] if campaign is not None else None)


def _lines_and_events(session: Session, placed: list[Placed]) -> None:
    """The orders in one flush (one INSERT for all), then their lines and events, and the recipients they
    converted, in the order they were made up."""
    session.flush()
    for item in placed:
        order, paid = item.order, item.paid
        session.add(OrderLine(order_id=order.id or 0, sku=f"DEMO-{item.locale}", title=item.title, quantity=1,
                              unit_minor=order.total_minor, currency=order.currency))
        session.add(OrderEvent(order_id=order.id or 0, kind="paid", detail={"provider": "sandbox"}, created_at=paid))
        if order.refunded_at is not None:
            session.add(OrderEvent(order_id=order.id or 0, kind="refunded", detail={"reason": "changed mind"},
                                   created_at=order.refunded_at))
    session.flush()
    converted = [{"recipient": item.recipient_id, "paid": item.paid, "order": item.order.id}
                 for item in placed if item.recipient_id is not None]
    if converted:
        table = Recipient.__table__  # type: ignore[attr-defined]
        session.execute(table.update().where(table.c.id == bindparam("recipient"), table.c.converted_at.is_(None))
                        .values(converted_at=bindparam("paid"), order_id=bindparam("order")), converted)
