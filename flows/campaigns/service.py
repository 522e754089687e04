"""Campaigns: drafts, the launch that snapshots the audience into recipient rows, and pause / resume / cancel.

The launch is set-based: one INSERT ... SELECT of the segment's members, then UPDATEs that choose each
recipient's channel, skip those who cannot or must not get the message (with the reason), split the
A/B variants, hand out coupons and set each `due_at` (per time zone, out of quiet hours).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, exists, func, insert, literal, not_, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from catalog.stores import coupons
from catalog.stores.models import CouponSource
from channels.registry import ADAPTERS
from flows.campaigns import announce
from flows.campaigns.consent import (
    SKIP_NO_CONSENT,
    consent_required,
    may_market,
    newest_is,
    phone_zones_of,
    safe_moment,
)
from flows.campaigns.models import Campaign, CampaignStatus, Recipient, RecipientState
from flows.campaigns.personalise import TemplateInvalid, check_campaign_templates
from flows.segments import service as segments
from flows.segments.compile import field_text
from hub import outbound
from hub.audit import service as audit
from hub.channel_records.models import Channel
from hub.contacts.locales import channel_currency
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.models import Conversation, Message
from hub.conversations.service import INTERRUPTED
from hub.runtime.db import as_utc, utcnow
from hub.tagging.admin import shop_hours
from hub.tags.models import ContactTag, Tag

__all__ = ["CampaignError", "NotFound", "SKIP_CANCELLED", "SKIP_DUPLICATE", "SKIP_INVALID_PHONE", "SKIP_NO_CONSENT",
           "SKIP_OPTED_OUT",
           "SKIP_SUPPRESSED", "SKIP_UNREACHABLE", "activate_scheduled", "cancel", "create", "finish_if_done", "get",
           "launch", "list_campaigns", "pause", "resume", "update_draft"]

SKIP_OPTED_OUT = "opted out"
SKIP_UNREACHABLE = "no address the channel can reach"
SKIP_INVALID_PHONE = "invalid phone number"
SKIP_SUPPRESSED = "suppressed"
SKIP_DUPLICATE = "duplicate"
SKIP_CANCELLED = "cancelled"
SUPPRESSED_TAG = "suppressed"
EDITABLE = ("name", "segment_id", "channel_mode", "channel_ids", "variants", "template", "defaults", "coupon_prefix",
            "send_at", "local_time", "quiet_start", "quiet_end", "throttle_per_second", "attribution_hours")
COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PENDING = RecipientState.pending.value
ACTIVE = (CampaignStatus.scheduled.value, CampaignStatus.running.value, CampaignStatus.paused.value)


class NotFound(LookupError):
    """No campaign with that id."""


class CampaignError(ValueError):
    """A campaign that cannot be saved or moved that way; the message says why."""


# --- drafts ---------------------------------------------------------------------------------------------------

def _clock(value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        time.fromisoformat(value)
    except ValueError:
        raise CampaignError(f"{name}: {value!r} is not a time like 21:00") from None


def validate(session: Session, campaign: Campaign) -> None:
    """Raise CampaignError (templates, channels, variants, times) before anything is stored."""
    if campaign.channel_mode not in ("fixed", "preferred"):
        raise CampaignError("channel_mode: fixed or preferred")
    currencies: dict[str, str] = {}
    for channel_id in campaign.channel_ids:
        channel = session.get(Channel, channel_id)
        if channel is None or channel.kind not in ADAPTERS:
            raise CampaignError(f"channel_ids: no channel {channel_id}")
        currency = channel_currency(channel.config or {})  # its own `currency`, else its market's
        if currency:
            currencies.setdefault(currency, channel.name)
    if len(currencies) > 1:  # one message, one market: its prices and coupons are in one currency
        raise CampaignError("channel_ids: these channels sell in " + " and ".join(
            f"{code} ({name})" for code, name in sorted(currencies.items()))
            + "; a campaign's message is in one currency, so make one campaign per market")
    if not campaign.variants:
        raise CampaignError("variants: a campaign needs at least one message variant")
    names = [str(v.get("name") or "") for v in campaign.variants]
    if any(not n or len(n) > 20 for n in names) or len(set(names)) != len(names):
        raise CampaignError("variants: each variant needs a unique name of at most 20 characters")
    weights = [v.get("weight", 100 / len(names)) for v in campaign.variants]
    if any(not isinstance(w, int | float) or w < 0 for w in weights) or sum(weights) <= 0:
        raise CampaignError("variants: weights must be numbers of at least 0 with a positive total")
    if campaign.template is not None and not campaign.template.get("name"):
        raise CampaignError("template: a WhatsApp template needs a name")
    _clock(campaign.quiet_start, "quiet_start")
    _clock(campaign.quiet_end, "quiet_end")
    if campaign.attribution_hours <= 0:
        raise CampaignError("attribution_hours: must be at least 1")
    try:
        check_campaign_templates(campaign.variants, campaign.template)
    except TemplateInvalid as error:
        raise CampaignError(str(error)) from None


def create(*, session: Session, data: dict[str, Any], created_by: int | None = None) -> Campaign:
    """Save a draft; CampaignError when it is invalid (a template's syntax, a channel, a weight)."""
    campaign = Campaign(**{k: v for k, v in data.items() if k in EDITABLE}, created_by=created_by)
    validate(session, campaign)
    session.add(campaign)
    session.flush()
    audit.record(session=session, actor_id=created_by, action="campaign.created", target_type="campaign",
                 target_id=campaign.id, details={"name": campaign.name})
    return campaign


def update_draft(*, session: Session, campaign_id: int, data: dict[str, Any], actor_id: int | None = None) -> Campaign:
    """Change a draft (only a draft: a launched campaign's audience and message are fixed)."""
    campaign = get(session=session, campaign_id=campaign_id)
    if campaign.status != CampaignStatus.draft.value:
        raise CampaignError(f"the campaign is {campaign.status}; only a draft can be edited")
    for key, value in data.items():
        if key in EDITABLE:
            setattr(campaign, key, value)
    validate(session, campaign)
    session.add(campaign)
    session.flush()
    audit.record(session=session, actor_id=actor_id, action="campaign.updated", target_type="campaign",
                 target_id=campaign.id, details={"fields": sorted(k for k in data if k in EDITABLE)})
    return campaign


def get(*, session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("no campaign with that id")
    return campaign


def list_campaigns(*, session: Session, status: str | None = None) -> list[Campaign]:
    """Campaigns, newest first."""
    query = select(Campaign).order_by(col(Campaign.created_at).desc(), col(Campaign.id).desc())
    if status:
        query = query.where(col(Campaign.status) == status)
    return list(session.execute(query).scalars())


# --- launch ---------------------------------------------------------------------------------------------------

def launch(*, session: Session, campaign_id: int, now: datetime | None = None, actor_id: int | None = None) -> bool:
    """Snapshot the audience and start the campaign. False (and nothing done) unless it was a draft."""
    now = as_utc(now or utcnow())
    campaign = get(session=session, campaign_id=campaign_id)
    if not campaign.channel_ids:
        raise CampaignError("channel_ids: choose at least one channel before launching")
    starts = as_utc(campaign.send_at) if campaign.send_at and not campaign.local_time else now
    status = CampaignStatus.scheduled.value if starts > now or campaign.local_time else CampaignStatus.running.value
    moved = session.execute(update(Campaign).where(col(Campaign.id) == campaign_id,
                                                   col(Campaign.status) == CampaignStatus.draft.value)
                            .values(status=status, launched_at=now))
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False  # launched already (or cancelled): launching again changes nothing
    session.refresh(campaign)
    _snapshot(session, campaign, now)
    _choose_channels(session, campaign)
    _skip_unsendable(session, campaign)
    _split_variants(session, campaign)
    _hand_out_coupons(session, campaign)
    _schedule(session, campaign, now)
    audit.record(session=session, actor_id=actor_id, action="campaign.launched", target_type="campaign",
                 target_id=campaign_id, details={"status": status})
    finish_if_done(session, campaign_id)
    return True


def _mine(campaign: Campaign) -> ColumnElement[bool]:
    return and_(col(Recipient.campaign_id) == campaign.id, col(Recipient.state) == PENDING)


def _snapshot(session: Session, campaign: Campaign, now: datetime) -> None:
    """One INSERT ... SELECT of the members; the unique (campaign, contact) keeps it to one row each."""
    if campaign.segment_id is not None:
        segment = segments.get(session=session, segment_id=campaign.segment_id)
        members = segments.members_query(session, segment, now).subquery()
    else:  # no segment: everyone
        members = select(col(Contact.id).label("id")).subquery()
    member_id = members.c[0]
    taken = exists().where(col(Recipient.campaign_id) == campaign.id, col(Recipient.contact_id) == member_id)
    rows = select(literal(campaign.id), member_id, literal(PENDING), literal("A"), literal(0)).where(~taken)
    session.execute(insert(Recipient).from_select(["campaign_id", "contact_id", "state", "variant", "attempts"],
                                                  rows.distinct()))


def reachable(channel: Channel, contact_id: Any) -> ColumnElement[bool]:
    """The contact has an identity of this channel's own kind (an SMS number is no WhatsApp address, a
    WhatsApp user no SMS one) and, if they ever wrote to a channel of this kind, they wrote to this one:
    a customer of the Tokyo number is not reached through the Hong Kong one."""
    adapter = ADAPTERS[channel.kind]
    kinds = [k for k in adapter.identity_kinds if k != "phone"]
    conditions: list[ColumnElement[bool]] = [col(ChannelIdentity.kind).in_(kinds)]
    if "phone" in adapter.identity_kinds:
        conditions.append(and_(col(ChannelIdentity.kind) == adapter.phone_identity,
                               col(ChannelIdentity.phone).is_not(None)))
    has_identity = exists().where(col(ChannelIdentity.contact_id) == contact_id, or_(*conditions))
    other = aliased(Channel)
    wrote_elsewhere = exists().where(
        col(Conversation.contact_id) == contact_id, col(Conversation.last_inbound_at).is_not(None),
        col(Conversation.channel_id) == col(other.id), col(other.kind) == channel.kind, col(other.id) != channel.id)
    return and_(has_identity, or_(wrote_here(channel.id, contact_id), ~wrote_elsewhere))


def wrote_here(channel_id: Any, contact_id: Any) -> ColumnElement[bool]:
    """The contact has written to this channel (their conversation on it has an inbound message)."""
    return exists().where(col(Conversation.contact_id) == contact_id, col(Conversation.channel_id) == channel_id,
                          col(Conversation.last_inbound_at).is_not(None))


def opted_out(channel_id: Any, contact_id: Any) -> ColumnElement[bool]:
    """The contact's newest consent record on the channel is an opt-out."""
    record, newer = aliased(Consent), aliased(Consent)
    superseded = exists().where(
        col(newer.contact_id) == col(record.contact_id), col(newer.channel_id) == col(record.channel_id),
        or_(col(newer.created_at) > col(record.created_at),
            and_(col(newer.created_at) == col(record.created_at), col(newer.id) > col(record.id))))
    return exists().where(col(record.contact_id) == contact_id, col(record.channel_id) == channel_id,
                          col(record.status) == "opted_out", ~superseded)


def _channels(session: Session, campaign: Campaign) -> list[Channel]:
    found = {c.id: c for c in session.execute(select(Channel).where(col(Channel.id).in_(campaign.channel_ids)))
             .scalars()}
    return [found[i] for i in campaign.channel_ids if i in found and found[i].kind in ADAPTERS]


def _choose_channels(session: Session, campaign: Campaign) -> None:
    """Fixed: the first channel. Preferred: the channel the customer last wrote to (their own last inbound
    message, not Hub's last send) among the campaign's, where they are reachable; else the first channel in the
    fallback order where they are reachable and may get marketing; else the first where they are reachable.
    An opt-out on the chosen channel is not routed around: the recipient is skipped with the reason."""
    channels = _channels(session, campaign)
    if not channels:
        return
    contact = col(Recipient.contact_id)
    if campaign.channel_mode != "preferred":
        session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign.id)
                        .values(channel_id=channels[0].id))
        return
    for channel in channels:  # mark whose last inbound message is on this channel
        latest = (select(col(Conversation.channel_id)).where(col(Conversation.contact_id) == contact,
                                                              col(Conversation.channel_id).in_(campaign.channel_ids),
                                                              col(Conversation.last_inbound_at).is_not(None))
                  .order_by(col(Conversation.last_inbound_at).desc(), col(Conversation.id).desc())
                  .limit(1).scalar_subquery())
        session.execute(update(Recipient).where(
            col(Recipient.campaign_id) == campaign.id, col(Recipient.channel_id).is_(None), latest == channel.id,
            reachable(channel, contact)).values(channel_id=channel.id))
    for strict in (True, False):
        for channel in channels:
            conditions = [reachable(channel, contact)]
            if strict:
                conditions.append(may_market(channel, contact))
            session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign.id,
                                                    col(Recipient.channel_id).is_(None), *conditions)
                            .values(channel_id=channel.id))


def valid_phone(dialect: str) -> ColumnElement[bool]:
    """An E.164 number: `+`, a non-zero digit, then 7 to 14 digits."""
    phone = col(ChannelIdentity.phone)
    if dialect == "postgresql":
        return phone.op("~")(r"^\+[1-9][0-9]{7,14}$")
    return and_(phone.op("GLOB")("+[1-9]*"), func.length(phone).between(9, 16),
                not_(func.substr(phone, 2).op("GLOB")("*[^0-9]*")))


def _skip(session: Session, campaign: Campaign, reason: str, *conditions: ColumnElement[bool]) -> None:
    skipped = session.execute(update(Recipient).where(_mine(campaign), *conditions)
                              .values(state=RecipientState.skipped.value, reason=reason)
                              .returning(col(Recipient.id))).scalars().all()
    announce.recipients(session, RecipientState.skipped.value, skipped, dict.fromkeys(skipped, reason))


def _skip_unsendable(session: Session, campaign: Campaign) -> None:
    """Skip, in this order: suppressed, unreachable, invalid phone, opted out, no marketing consent (where the
    channel requires it), duplicate address."""
    dialect = session.get_bind().dialect.name
    contact = col(Recipient.contact_id)
    tagged = exists().where(col(ContactTag.contact_id) == contact, col(ContactTag.tag_id) == col(Tag.id),
                            func.lower(col(Tag.name)) == SUPPRESSED_TAG)
    flagged = exists().where(col(Contact.id) == contact,
                             func.lower(field_text(dialect, SUPPRESSED_TAG)).in_(("true", "1", "yes")))
    _skip(session, campaign, SKIP_SUPPRESSED, or_(tagged, flagged))
    _skip(session, campaign, SKIP_UNREACHABLE, col(Recipient.channel_id).is_(None))
    for channel in _channels(session, campaign):
        on_channel = col(Recipient.channel_id) == channel.id
        _skip(session, campaign, SKIP_UNREACHABLE, on_channel, ~reachable(channel, contact))
        kinds = ADAPTERS[channel.kind].identity_kinds
        if "phone" in kinds:
            other = [k for k in kinds if k != "phone"]
            usable = exists().where(col(ChannelIdentity.contact_id) == contact, or_(
                col(ChannelIdentity.kind).in_(other), and_(col(ChannelIdentity.phone).is_not(None),
                                                           valid_phone(dialect))))
            _skip(session, campaign, SKIP_INVALID_PHONE, on_channel, ~usable)
        _skip(session, campaign, SKIP_OPTED_OUT, on_channel, opted_out(channel.id, contact))
        if consent_required(channel):
            _skip(session, campaign, SKIP_NO_CONSENT, on_channel, ~newest_is("opted_in", channel.id, contact))
    _skip_duplicates(session, campaign)


def _skip_duplicates(session: Session, campaign: Campaign) -> None:
    """Two contacts with the same phone on the same channel: the first recipient keeps it."""
    other = aliased(Recipient)
    mine, theirs = aliased(ChannelIdentity), aliased(ChannelIdentity)
    shared = exists().where(
        col(other.campaign_id) == campaign.id, col(other.state) == PENDING, col(other.id) < col(Recipient.id),
        col(other.channel_id) == col(Recipient.channel_id), col(mine.contact_id) == col(Recipient.contact_id),
        col(theirs.contact_id) == col(other.contact_id), col(mine.phone).is_not(None),
        col(mine.phone) == col(theirs.phone))
    _skip(session, campaign, SKIP_DUPLICATE, shared)


def variant_order(campaign_id: int, contact_id: int) -> bytes:
    """A recipient's place in the campaign's shuffled audience: a hash of (campaign, contact), so the same
    campaign always shuffles the same way (a launch run again assigns the same variants)."""
    return hashlib.sha256(f"hub-ab:{campaign_id}:{contact_id}".encode()).digest()


def split_sizes(weights: list[float], total: int) -> list[int]:
    """How many of `total` recipients each weight gets: the largest-remainder rounding of the exact shares,
    so 7 recipients at 50/50 are 4 and 3 (never 7 and 0) and any audience follows the weights."""
    whole = sum(weights) or 1.0
    shares = [w * total / whole for w in weights]
    sizes = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - sizes[i]), i))
    for index in order[:total - sum(sizes)]:
        sizes[index] += 1
    return sizes


def _split_variants(session: Session, campaign: Campaign) -> None:
    """The A/B split: the audience shuffled by `variant_order`, then cut by the weights (`split_sizes`)."""
    variants = campaign.variants or [{"name": "A"}]
    names = [str(v.get("name") or "A") for v in variants]
    weights = [float(v.get("weight", 100 / len(variants))) for v in variants]
    campaign_id = int(campaign.id or 0)
    for sendable in (True, False):  # those who will get a message follow the weights among themselves
        state = col(Recipient.state) == PENDING
        rows = session.execute(select(col(Recipient.id), col(Recipient.contact_id)).where(
            col(Recipient.campaign_id) == campaign_id, state if sendable else ~state)).all()
        shuffled = [row[0] for row in sorted(rows, key=lambda row: (variant_order(campaign_id, row[1]), row[0]))]
        start = 0
        for name, size in zip(names, split_sizes(weights, len(shuffled)), strict=True):
            ids = shuffled[start:start + size]
            start += size
            for chunk in range(0, len(ids), 1000):
                session.execute(update(Recipient).where(col(Recipient.id).in_(ids[chunk:chunk + 1000]))
                                .values(variant=name))


def _hand_out_coupons(session: Session, campaign: Campaign, chunk: int = 1000) -> None:
    """A unique code per sendable recipient: prefix + 8 random characters, written in chunks."""
    if not campaign.coupon_prefix:
        return
    pairs = list(session.execute(select(col(Recipient.id), col(Recipient.contact_id))
                                 .where(_mine(campaign), col(Recipient.coupon_code).is_(None))))
    for start in range(0, len(pairs), chunk):
        rows = [{"id": rid, "contact_id": contact_id, "coupon_code": campaign.coupon_prefix + "".join(
            secrets.choice(COUPON_ALPHABET) for _ in range(8))} for rid, contact_id in pairs[start:start + chunk]]
        session.execute(update(Recipient), [{"id": row["id"], "coupon_code": row["coupon_code"]} for row in rows])
        # every coupon Hub hands out has its row in the stores' table: a till can redeem it, once
        coupons.issue_many(session=session, issues=[coupons.Issue(
            source_key=f"campaign:{campaign.id}:{row['id']}", contact_id=row["contact_id"], code=row["coupon_code"],
            source=CouponSource.campaign, campaign_id=campaign.id, offer=campaign.name) for row in rows])


def shop_zone(session: Session) -> str:
    return shop_hours(session=session).timezone or "UTC"


def zone_of(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def out_of_quiet_hours(moment: datetime, zone: ZoneInfo, start: str | None, end: str | None) -> datetime:
    """`moment`, or the end of the quiet hours (in `zone`) when it falls inside them. Deferred, never dropped."""
    if not start or not end or start == end:
        return moment
    local = moment.astimezone(zone)
    begin, finish = time.fromisoformat(start), time.fromisoformat(end)
    now_t = local.time().replace(tzinfo=None)
    if begin < finish:
        inside = begin <= now_t < finish
        day = local.date()
    else:  # across midnight (21:00 - 08:00)
        inside = now_t >= begin or now_t < finish
        day = local.date() + timedelta(days=1) if now_t >= begin else local.date()
    if not inside:
        return moment
    return datetime.combine(day, finish, tzinfo=zone).astimezone(as_utc(moment).tzinfo)


def due_in(campaign: Campaign, zone: ZoneInfo, now: datetime) -> datetime:
    """When a recipient in `zone` is due: send_at (as their wall clock when local_time), else now."""
    if campaign.send_at is None:
        due = now
    elif campaign.local_time:
        wall = campaign.send_at.replace(tzinfo=None) if campaign.send_at.tzinfo is None else \
            as_utc(campaign.send_at).replace(tzinfo=None)
        due = max(wall.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")), now)
    else:
        due = max(as_utc(campaign.send_at), now)
    return as_utc(out_of_quiet_hours(due, zone, campaign.quiet_start, campaign.quiet_end))


def _schedule(session: Session, campaign: Campaign, now: datetime) -> None:
    """One UPDATE per distinct time zone; contacts without a (known) zone use the shop's zone."""
    zone_column = select(col(Contact.timezone)).where(col(Contact.id) == col(Recipient.contact_id)).scalar_subquery()
    names = {name for name in session.execute(
        select(col(Contact.timezone)).distinct().join(Recipient, col(Recipient.contact_id) == col(Contact.id))
        .where(_mine(campaign))).scalars() if zone_of(name) is not None}
    for name in sorted(names):
        zone = zone_of(name)
        assert zone is not None
        session.execute(update(Recipient).where(_mine(campaign), zone_column == name)
                        .values(due_at=due_in(campaign, zone, now)))
    _schedule_unknown_zones(session, campaign, now)


def _schedule_unknown_zones(session: Session, campaign: Campaign, now: datetime) -> None:
    """Recipients without a known zone: due when it is daytime in the shop's zone and in every zone of their
    phone's country (`consent.safe_moment`), one UPDATE per distinct answer."""
    fallback = zone_of(shop_zone(session)) or ZoneInfo("UTC")
    phone = (select(col(ChannelIdentity.phone)).where(col(ChannelIdentity.contact_id) == col(Recipient.contact_id),
                                                       col(ChannelIdentity.phone).is_not(None))
             .order_by(col(ChannelIdentity.id)).limit(1).scalar_subquery())
    due_of: dict[datetime, list[int]] = {}
    start = due_in(campaign, fallback, now)
    for recipient_id, number in session.execute(
            select(col(Recipient.id), phone).where(_mine(campaign), col(Recipient.due_at).is_(None))):
        zones = [fallback, *phone_zones_of(number)]
        due_of.setdefault(as_utc(safe_moment(start, zones, campaign.quiet_start, campaign.quiet_end)),
                          []).append(recipient_id)
    for due, ids in due_of.items():
        for chunk in range(0, len(ids), 1000):
            session.execute(update(Recipient).where(col(Recipient.id).in_(ids[chunk:chunk + 1000]))
                            .values(due_at=due))


# --- pause / resume / cancel / finish ---------------------------------------------------------------------------

def _move(session: Session, campaign_id: int, allowed: tuple[str, ...], to: str, **values: Any) -> Campaign:
    campaign = get(session=session, campaign_id=campaign_id)
    if campaign.status == to:
        return campaign
    if campaign.status not in allowed:
        raise CampaignError(f"the campaign is {campaign.status}; it cannot become {to}")
    session.execute(update(Campaign).where(col(Campaign.id) == campaign_id).values(status=to, **values))
    session.refresh(campaign)
    return campaign


def pause(*, session: Session, campaign_id: int) -> Campaign:
    """Stop claiming recipients; messages already being sent finish."""
    return _move(session, campaign_id, (CampaignStatus.running.value, CampaignStatus.scheduled.value),
                 CampaignStatus.paused.value)


def resume(*, session: Session, campaign_id: int) -> Campaign:
    campaign = _move(session, campaign_id, (CampaignStatus.paused.value,), CampaignStatus.running.value)
    finish_if_done(session, campaign_id)
    return campaign


def cancel(*, session: Session, campaign_id: int, now: datetime | None = None) -> Campaign:
    """Pending recipients become skipped "cancelled"; those being sent now finish."""
    campaign = _move(session, campaign_id, (CampaignStatus.draft.value, *ACTIVE), CampaignStatus.cancelled.value,
                     finished_at=as_utc(now or utcnow()))
    skipped = session.execute(update(Recipient).where(col(Recipient.campaign_id) == campaign_id,
                                                      col(Recipient.state) == PENDING)
                              .values(state=RecipientState.skipped.value, reason=SKIP_CANCELLED)
                              .returning(col(Recipient.id))).scalars().all()
    announce.recipients(session, RecipientState.skipped.value, skipped, dict.fromkeys(skipped, SKIP_CANCELLED))
    return campaign


def interrupted(campaign_id: int) -> ColumnElement[bool]:
    """The campaign's recipients whose message may not have been sent: `unknown` (a timeout, or a worker
    that died with it in flight), or `failed: interrupted` from before `unknown` existed."""
    by_message = exists().where(col(Message.id) == col(Recipient.message_id), col(Message.error_code) == INTERRUPTED)
    legacy = and_(col(Recipient.state) == RecipientState.failed.value,
                  or_(col(Recipient.reason) == INTERRUPTED, by_message))
    return and_(col(Recipient.campaign_id) == campaign_id,
                or_(col(Recipient.state) == RecipientState.unknown.value, legacy))


def resend_unknown(*, session: Session, campaign_id: int, now: datetime | None = None) -> tuple[Campaign, int]:
    """Send again to the recipients whose message may not have been sent (`interrupted`): the provider
    never said whether it took it (WhatsApp's receipts would have; see `sender`). The marketer's call,
    since some may have it already. Each goes back to `pending` with a new message (the old one stays in
    the thread, `unknown`, its key freed); a done campaign runs again. (campaign, how many)."""
    campaign = get(session=session, campaign_id=campaign_id)
    if campaign.status not in (*ACTIVE, CampaignStatus.done.value):
        raise CampaignError(f"the campaign is {campaign.status}; only a launched campaign can send again")
    mine = (interrupted(campaign_id),)
    message_ids = [mid for mid in session.execute(select(col(Recipient.message_id)).where(*mine)).scalars() if mid]
    outbound.mark_resent(session, message_ids)  # `broadcast:{recipient id}` is free again for the new message
    count = session.execute(update(Recipient).where(*mine).values(
        state=PENDING, reason=None, failed_at=None, message_id=None, lease_until=None, attempts=0,
        due_at=as_utc(now or utcnow()))).rowcount  # type: ignore[attr-defined]
    if count and campaign.status == CampaignStatus.done.value:
        _move(session, campaign_id, (CampaignStatus.done.value,), CampaignStatus.running.value, finished_at=None)
    session.refresh(campaign)
    return campaign, int(count)


resend_interrupted = resend_unknown  # the name before `unknown` existed


def activate_scheduled(session: Session, now: datetime | None = None) -> int:
    """Scheduled campaigns with a recipient due become running (the sender's tick calls this). How many."""
    due = exists().where(col(Recipient.campaign_id) == col(Campaign.id), col(Recipient.state) == PENDING,
                         col(Recipient.due_at) <= as_utc(now or utcnow()))
    result = session.execute(update(Campaign).where(col(Campaign.status) == CampaignStatus.scheduled.value, due)
                             .values(status=CampaignStatus.running.value))
    return int(result.rowcount)  # type: ignore[attr-defined]


def finish_if_done(session: Session, campaign_id: int, now: datetime | None = None) -> bool:
    """A running or scheduled campaign with no recipient pending or sending becomes `done`. True if it did."""
    busy = exists().where(col(Recipient.campaign_id) == campaign_id,
                          col(Recipient.state).in_((PENDING, RecipientState.sending.value)))
    result = session.execute(update(Campaign).where(
        col(Campaign.id) == campaign_id,
        col(Campaign.status).in_((CampaignStatus.running.value, CampaignStatus.scheduled.value)), ~busy)
        .values(status=CampaignStatus.done.value, finished_at=as_utc(now or utcnow())))
    return bool(result.rowcount)  # type: ignore[attr-defined]
