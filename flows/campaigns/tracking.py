"""What happened to each recipient after sending: delivered, read, failed, replied, clicked, converted.

Every function is one or two idempotent UPDATEs: a moment is only ever set once (COALESCE), a read
implies delivered, and receipts arriving late or twice change nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlmodel import Session, col

from catalog.models import Order
from flows.campaigns import announce
from flows.campaigns.models import Campaign, CampaignStatus, Recipient, RecipientState, TrackedLink
from flows.campaigns.personalise import safe_url
from flows.campaigns.service import SKIP_OPTED_OUT, opted_out
from hub.conversations.models import Conversation, Message
from hub.runtime.db import as_utc, utcnow

ACTIVE = (CampaignStatus.scheduled.value, CampaignStatus.running.value, CampaignStatus.paused.value)


def _message(column: Any) -> Any:
    return select(column).where(col(Message.id) == col(Recipient.message_id)).scalar_subquery()


def apply_status(session: Session, message_id: int, status: str, error_reason: str | None = None,
                 now: datetime | None = None) -> int:
    """Copy a broadcast message's receipt onto its recipient. How many rows changed (0 or 1)."""
    now = as_utc(now or utcnow())
    mine = col(Recipient.message_id) == message_id
    values: dict[str, Any]
    if status in ("sent", "delivered", "read"):
        values = {"sent_at": func.coalesce(col(Recipient.sent_at), _message(col(Message.sent_at)), now)}
        if status in ("delivered", "read"):  # a read is a delivery too, even when its receipt never came
            values["delivered_at"] = func.coalesce(col(Recipient.delivered_at), _message(col(Message.delivered_at)),
                                                   _message(col(Message.read_at)), now)
        if status == "read":
            values["read_at"] = func.coalesce(col(Recipient.read_at), _message(col(Message.read_at)), now)
        changed = session.execute(update(Recipient).where(mine).values(**values))
    elif status == "failed":  # only before any delivery: a failure never undoes a delivered message
        reason = (error_reason or "the provider refused it")[:300]
        failed = session.execute(update(Recipient).where(
            mine, col(Recipient.delivered_at).is_(None), col(Recipient.read_at).is_(None),
            col(Recipient.failed_at).is_(None)).values(state=RecipientState.failed.value, failed_at=now, reason=reason)
            .returning(col(Recipient.id))).scalars().all()
        announce.recipients(session, RecipientState.failed.value, failed, dict.fromkeys(failed, reason))
        return len(failed)
    else:
        return 0
    return int(changed.rowcount)  # type: ignore[attr-defined]


REACHED = ("sent", "delivered", "read")  # each implies the ones before it


def apply_statuses(session: Session, receipts: list[tuple[int, str, str | None]], now: datetime | None = None) -> int:
    """`apply_status` for a batch of (message id, status, error reason), in a few set-based UPDATEs.

    The same result as applying them one by one in any order: every moment is COALESCEd from the
    message's own stamps, so only the furthest status of each message matters; failures go last and,
    as one by one, never touch a recipient already delivered. How many rows changed."""
    now = as_utc(now or utcnow())
    furthest: dict[int, int] = {}
    failures: dict[int, str | None] = {}
    for message_id, status, error_reason in receipts:
        if status in REACHED:
            furthest[message_id] = max(furthest.get(message_id, 0), REACHED.index(status))
        elif status == "failed":
            failures.setdefault(message_id, error_reason)
    changed = 0
    # A recipient left `unknown` (a timeout, a worker that died mid-send; or `failed: interrupted` from
    # before `unknown` existed) whose message the provider did take, as its receipts now show: sent after
    # all. Only such a message leaves `unknown` or `failed` (see `conversations.service._adopt`), so its
    # status now says which.
    interrupted = col(Recipient.state).in_((RecipientState.failed.value, RecipientState.unknown.value)) & \
        _message(col(Message.status)).in_(REACHED)
    for rank in range(len(REACHED)):
        ids = sorted(mid for mid, reached in furthest.items() if reached == rank)
        values: dict[str, Any] = {
            "sent_at": func.coalesce(col(Recipient.sent_at), _message(col(Message.sent_at)), now),
            "state": case((interrupted, RecipientState.sent.value), else_=col(Recipient.state)),
            "reason": case((interrupted, None), else_=col(Recipient.reason)),
            "failed_at": case((interrupted, None), else_=col(Recipient.failed_at)),
        }
        if rank >= 1:
            values["delivered_at"] = func.coalesce(col(Recipient.delivered_at), _message(col(Message.delivered_at)),
                                                   _message(col(Message.read_at)), now)
        if rank >= 2:
            values["read_at"] = func.coalesce(col(Recipient.read_at), _message(col(Message.read_at)), now)
        for start in range(0, len(ids), 1000):
            part = ids[start:start + 1000]
            news = _first_reached(session, part, rank)
            result = session.execute(update(Recipient).where(col(Recipient.message_id).in_(part)).values(**values))
            changed += int(result.rowcount)  # type: ignore[attr-defined]
            for status, recipient_ids in news.items():
                announce.recipients(session, status, recipient_ids)
    for message_id, error_reason in sorted(failures.items()):
        changed += apply_status(session, message_id, "failed", error_reason, now)
    return changed


def _first_reached(session: Session, message_ids: list[int], rank: int) -> dict[str, list[int]]:
    """Of the recipients of these messages, which reach a status for the first time with a receipt of
    `rank` in REACHED (read implies delivered): the news that `campaign.recipient` tells."""
    rows = session.execute(select(col(Recipient.id), col(Recipient.state), col(Recipient.sent_at),
                                  col(Recipient.delivered_at), col(Recipient.read_at))
                           .where(col(Recipient.message_id).in_(message_ids))).all()
    news: dict[str, list[int]] = {}
    for recipient_id, state, sent_at, delivered_at, read_at in rows:
        if sent_at is None or state in (RecipientState.failed.value, RecipientState.unknown.value):
            news.setdefault("sent", []).append(recipient_id)
        if rank >= 1 and delivered_at is None:
            news.setdefault("delivered", []).append(recipient_id)
        if rank >= 2 and read_at is None:
            news.setdefault("read", []).append(recipient_id)
    return news


def _latest_in_window(session: Session, contact_id: int, moment: Any, at: datetime,
                      *conditions: ColumnElement[bool]) -> int | None:
    """The contact's recipient whose `moment` is latest within its own campaign's attribution window
    before `at`. The few candidates are read and the window checked here, the same on every database."""
    rows = session.execute(
        select(col(Recipient.id), moment, col(Campaign.attribution_hours))
        .join(Campaign, col(Campaign.id) == col(Recipient.campaign_id))
        .where(col(Recipient.contact_id) == contact_id, moment.is_not(None), moment <= at, *conditions)
        .order_by(moment.desc(), col(Recipient.id).desc()).limit(50)).all()
    for recipient_id, when, hours in rows:
        if as_utc(at) - as_utc(when) <= timedelta(hours=hours):
            return int(recipient_id)
    return None


def record_reply(session: Session, message_id: int, now: datetime | None = None) -> int:
    """An inbound message: the contact's latest recipient delivered (or sent) within the campaign's
    attribution window before it gets `replied_at` (once)."""
    row = session.execute(select(col(Message.created_at), col(Conversation.contact_id))
                          .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
                          .where(col(Message.id) == message_id, col(Message.direction) == "inbound")).first()
    if row is None:
        return 0
    at, contact_id = as_utc(row[0] or now or utcnow()), row[1]
    reached = func.coalesce(col(Recipient.delivered_at), col(Recipient.sent_at))
    latest = _latest_in_window(session, contact_id, reached, at)
    if latest is None:
        return 0
    changed = session.execute(update(Recipient).where(col(Recipient.id) == latest, col(Recipient.replied_at).is_(None))
                              .values(replied_at=at))
    if changed.rowcount:  # type: ignore[attr-defined]
        announce.recipients(session, "replied", [latest])
    return int(changed.rowcount)  # type: ignore[attr-defined]


def skip_opted_out(session: Session, contact_id: int) -> int:
    """A contact who opted out while a campaign runs: their pending recipients on that channel are skipped."""
    active = select(col(Campaign.id)).where(col(Campaign.status).in_(ACTIVE))
    skipped = session.execute(update(Recipient).where(
        col(Recipient.contact_id) == contact_id, col(Recipient.state) == RecipientState.pending.value,
        col(Recipient.campaign_id).in_(active), opted_out(col(Recipient.channel_id), contact_id))
        .values(state=RecipientState.skipped.value, reason=SKIP_OPTED_OUT).returning(col(Recipient.id))).scalars().all()
    announce.recipients(session, RecipientState.skipped.value, skipped, dict.fromkeys(skipped, SKIP_OPTED_OUT))
    return len(skipped)


def click(session: Session, token: str, now: datetime | None = None) -> str | None:
    """Count a click on a tracked link; its URL to redirect to, or None for an unknown (or unsafe) link."""
    now = as_utc(now or utcnow())
    link = session.get(TrackedLink, token)
    if link is None or not safe_url(link.url):
        return None
    session.execute(update(TrackedLink).where(col(TrackedLink.token) == token).values(
        clicks=col(TrackedLink.clicks) + 1, first_clicked_at=func.coalesce(col(TrackedLink.first_clicked_at), now)))
    first = session.execute(update(Recipient).where(col(Recipient.id) == link.recipient_id,
                                                    col(Recipient.clicked_at).is_(None)).values(clicked_at=now))
    if first.rowcount:  # type: ignore[attr-defined]
        announce.recipients(session, "clicked", [link.recipient_id])
    return link.url


def _engaged() -> Any:
    clicked, replied = col(Recipient.clicked_at), col(Recipient.replied_at)
    return case((clicked.is_(None), replied), (replied.is_(None), clicked), (clicked > replied, clicked),
                else_=replied)


def engaged_campaign(session: Session, contact_id: int, now: datetime) -> int | None:
    """The campaign whose message the contact most recently answered or clicked within its attribution
    window (what `convert` will credit when the order is paid), for an order being checked out now."""
    latest = _latest_in_window(session, contact_id, _engaged(), as_utc(now))
    if latest is None:
        return None
    return int(session.execute(select(col(Recipient.campaign_id)).where(col(Recipient.id) == latest)).scalar_one())


def convert(session: Session, order_id: int, contact_id: int, now: datetime | None = None) -> int | None:
    """A paid order: the contact's recipient that most recently replied or clicked within its attribution
    window is converted (once per order), and the order remembers the campaign. The campaign id, or None."""
    now = as_utc(now or utcnow())
    done = session.execute(select(col(Recipient.campaign_id)).where(col(Recipient.order_id) == order_id)).first()
    if done is None:
        latest = _latest_in_window(session, contact_id, _engaged(), now, col(Recipient.converted_at).is_(None))
        if latest is None:
            return None
        converted = session.execute(update(Recipient).where(col(Recipient.id) == latest,
                                                            col(Recipient.converted_at).is_(None))
                                    .values(converted_at=now, order_id=order_id))
        if converted.rowcount:  # type: ignore[attr-defined]
            announce.recipients(session, "converted", [latest])
        done = session.execute(select(col(Recipient.campaign_id)).where(col(Recipient.order_id) == order_id)).first()
        if done is None:
            return None
    session.execute(update(Order).where(col(Order.id) == order_id, col(Order.campaign_id).is_(None))
                    .values(campaign_id=done[0]))
    return int(done[0])


def convert_in_store(session: Session, campaign_id: int, contact_id: int, now: datetime | None = None) -> int:
    """A coupon redeemed at a store: the campaign's recipient is converted (once; an order may have already)."""
    result = session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign_id,
                                                     col(Recipient.contact_id) == contact_id,
                                                     col(Recipient.converted_at).is_(None))
                             .values(converted_at=as_utc(now or utcnow())))
    return int(result.rowcount)  # type: ignore[attr-defined]
