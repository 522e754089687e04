"""A campaign's numbers (the contract's `stats`), per variant with an A/B test, a funnel, and a CSV export.

Every rate is of `recipients - skipped`: the people the campaign actually tried to reach.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session, col

from catalog.csv_io import neutralise
from catalog.stores import coupons
from flows.campaigns import service
from flows.campaigns.models import Campaign, CampaignStatus, Recipient, RecipientState
from hub.channel_records.models import Channel
from hub.contacts.models import Contact
from hub.runtime.db import as_utc, utcnow

COUNTS = ("recipients", "skipped", "queued", "sent", "delivered", "read", "failed", "replied", "clicked", "converted")
FUNNEL = ("sent", "delivered", "read", "clicked", "replied", "converted")
CSV_COLUMNS = ("recipient_id", "contact_id", "contact_name", "channel", "variant", "state", "reason", "coupon_code",
               "due_at", "sent_at", "delivered_at", "read_at", "failed_at", "replied_at", "clicked_at",
               "converted_at", "order_id")


def _flag(condition: Any) -> Any:
    return func.sum(cast(case((condition, 1), else_=0), Integer))


def _counters() -> list[Any]:
    state = col(Recipient.state)
    reached = (col(Recipient.sent_at).is_not(None) | col(Recipient.delivered_at).is_not(None)
               | col(Recipient.read_at).is_not(None))
    return [
        func.count().label("recipients"),
        _flag(state == RecipientState.skipped.value).label("skipped"),
        _flag(state.in_((RecipientState.pending.value, RecipientState.sending.value))).label("queued"),
        _flag(reached).label("sent"),
        _flag(col(Recipient.delivered_at).is_not(None)).label("delivered"),
        _flag(col(Recipient.read_at).is_not(None)).label("read"),
        _flag(state == RecipientState.failed.value).label("failed"),
        _flag(col(Recipient.replied_at).is_not(None)).label("replied"),
        _flag(col(Recipient.clicked_at).is_not(None)).label("clicked"),
        _flag(col(Recipient.converted_at).is_not(None)).label("converted"),
    ]


def _with_rates(counts: dict[str, int]) -> dict[str, Any]:
    base = counts["recipients"] - counts["skipped"]
    out: dict[str, Any] = dict(counts)
    for name in COUNTS:
        if name != "recipients":
            out[f"{name}_rate"] = round(counts[name] / base, 4) if base > 0 else 0.0
    out["recipients_rate"] = 1.0 if base > 0 else 0.0
    return out


def counts(session: Session, campaign_id: int) -> dict[str, Any]:
    """The contract's numbers, each also as `<name>_rate` of (recipients - skipped): one grouped query."""
    row = session.execute(select(*_counters()).where(col(Recipient.campaign_id) == campaign_id)).one()
    return _with_rates({name: int(getattr(row, name) or 0) for name in COUNTS})


def by_variant(session: Session, campaign_id: int) -> dict[str, dict[str, Any]]:
    """The same numbers per A/B variant: one query grouped by variant."""
    rows = session.execute(select(col(Recipient.variant), *_counters())
                           .where(col(Recipient.campaign_id) == campaign_id)
                           .group_by(col(Recipient.variant)).order_by(col(Recipient.variant))).all()
    return {str(row.variant): _with_rates({name: int(getattr(row, name) or 0) for name in COUNTS}) for row in rows}


def counts_of(session: Session, campaign_ids: Sequence[int]
              ) -> dict[int, tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
    """`counts` and `by_variant` of several campaigns at once: one query grouped by campaign and variant."""
    found: dict[int, tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}
    if not campaign_ids:
        return found
    rows = session.execute(select(col(Recipient.campaign_id), col(Recipient.variant), *_counters())
                           .where(col(Recipient.campaign_id).in_(list(campaign_ids)))
                           .group_by(col(Recipient.campaign_id), col(Recipient.variant))
                           .order_by(col(Recipient.campaign_id), col(Recipient.variant))).all()
    sums: dict[int, dict[str, int]] = {}
    variants: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        numbers = {name: int(getattr(row, name) or 0) for name in COUNTS}
        total = sums.setdefault(int(row.campaign_id), dict.fromkeys(COUNTS, 0))
        for name, n in numbers.items():
            total[name] += n
        variants.setdefault(int(row.campaign_id), {})[str(row.variant)] = _with_rates(numbers)
    for campaign_id in campaign_ids:
        found[campaign_id] = (_with_rates(sums.get(campaign_id, dict.fromkeys(COUNTS, 0))),
                              variants.get(campaign_id, {}))
    return found


def two_proportion_test(hits_a: int, n_a: int, hits_b: int, n_b: int) -> dict[str, Any]:
    """Two-sided z-test that two rates differ (pooled standard error). `p_value` None when undefined."""
    if n_a == 0 or n_b == 0:
        return {"z": None, "p_value": None, "significant": False}
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return {"z": 0.0, "p_value": 1.0, "significant": False}
    z = (hits_a / n_a - hits_b / n_b) / spread
    p_value = math.erfc(abs(z) / math.sqrt(2))  # both tails of the standard normal beyond |z|
    return {"z": round(z, 4), "p_value": round(p_value, 6), "significant": p_value < 0.05}


def ab_comparison(variants: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each variant against the first on reply and conversion rates."""
    names = list(variants)
    if len(names) < 2:
        return []
    first = variants[names[0]]
    first_n = first["recipients"] - first["skipped"]
    result = []
    for name in names[1:]:
        other = variants[name]
        other_n = other["recipients"] - other["skipped"]
        result.append({"a": names[0], "b": name, **{
            metric: {"a_rate": first[f"{metric}_rate"], "b_rate": other[f"{metric}_rate"],
                     **two_proportion_test(first[metric], first_n, other[metric], other_n)}
            for metric in ("replied", "converted")}})
    return result


def funnel(numbers: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps from sent to converted, each with its count and rate."""
    return [{"step": step, "count": numbers[step], "rate": numbers[f"{step}_rate"]} for step in FUNNEL]


def reasons(session: Session, campaign_id: int) -> list[dict[str, Any]]:
    """Why recipients were skipped or failed: one row per (state, reason) with its count, most first."""
    state, reason = col(Recipient.state), col(Recipient.reason)
    rows = session.execute(select(state, reason, func.count().label("count")).where(
        col(Recipient.campaign_id) == campaign_id,
        state.in_((RecipientState.skipped.value, RecipientState.failed.value, RecipientState.unknown.value)))
        .group_by(state, reason)).all()
    found = [{"state": row.state, "reason": row.reason or row.state, "count": int(row[-1])} for row in rows]
    return sorted(found, key=lambda item: (-item["count"], item["state"], item["reason"]))


def live_until(campaign: Campaign) -> datetime | None:
    """Until when the report keeps changing: replies, clicks and purchases are credited to the campaign for
    `attribution_hours` after it finished (None while it still sends; no end for a draft)."""
    if campaign.finished_at is None:
        return None
    return as_utc(campaign.finished_at) + timedelta(hours=campaign.attribution_hours)


def report(session: Session, campaign_id: int) -> dict[str, Any]:
    """Everything the stats endpoint answers: the contract's numbers at the top level, then the detail."""
    numbers = counts(session, campaign_id)
    variants = by_variant(session, campaign_id)
    interrupted = session.execute(select(func.count()).select_from(Recipient).where(  # may be sent again by hand
        service.interrupted(campaign_id))).scalar_one()
    campaign = service.get(session=session, campaign_id=campaign_id)
    until = live_until(campaign)
    live = campaign.status in service.ACTIVE or (until is not None and until > utcnow()
                                                 and campaign.status == CampaignStatus.done.value)
    # `unknown`: may not have been sent, the marketer may send again; `interrupted` is its name from before
    visits = coupons.visits_by_store(session=session, campaign_id=campaign_id)
    base = numbers["recipients"] - numbers["skipped"]
    in_store = {"store_visits": sum(row["visits"] for row in visits),  # coupons redeemed at a store's till
                "store_visits_rate": round(sum(row["visits"] for row in visits) / base, 4) if base > 0 else 0.0,
                "stores": visits}
    return {**numbers, **in_store, "unknown": int(interrupted), "interrupted": int(interrupted), "variants": variants,
            "ab_test": ab_comparison(variants),
            "funnel": funnel(numbers), "reasons": reasons(session, campaign_id),
            "live": live, "live_until": until.isoformat() if until else None}


def launch_summary(session: Session, campaign_id: int) -> dict[str, Any]:
    """Of a just-snapshotted audience: `sending` (how many get a message), `channels` (each channel's count),
    `skipped` and `reasons` (why the others do not)."""
    rows = session.execute(select(col(Recipient.channel_id), col(Channel.name), col(Channel.kind),
                                  func.count().label("count"))
                           .outerjoin(Channel, col(Channel.id) == col(Recipient.channel_id))
                           .where(col(Recipient.campaign_id) == campaign_id,
                                  col(Recipient.state) == RecipientState.pending.value)
                           .group_by(col(Recipient.channel_id), col(Channel.name), col(Channel.kind))).all()
    channels = sorted(({"channel_id": row.channel_id, "name": row.name, "kind": row.kind, "count": int(row[-1])}
                       for row in rows), key=lambda item: -item["count"])
    why = reasons(session, campaign_id)
    return {"sending": sum(item["count"] for item in channels), "channels": channels,
            "skipped": sum(item["count"] for item in why), "reasons": why}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return neutralise(str(value))


def recipients_csv(session: Session, campaign_id: int, batch: int = 1000) -> Iterator[str]:
    """The recipients as CSV text chunks: UTF-8 BOM first (Excel), formulas neutralised, any script kept."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    query = (select(col(Recipient.id), col(Recipient.contact_id), col(Contact.name), col(Channel.name),
                    col(Recipient.variant), col(Recipient.state), col(Recipient.reason), col(Recipient.coupon_code),
                    col(Recipient.due_at), col(Recipient.sent_at), col(Recipient.delivered_at), col(Recipient.read_at),
                    col(Recipient.failed_at), col(Recipient.replied_at), col(Recipient.clicked_at),
                    col(Recipient.converted_at), col(Recipient.order_id))
             .join(Contact, col(Contact.id) == col(Recipient.contact_id))
             .outerjoin(Channel, col(Channel.id) == col(Recipient.channel_id))
             .where(col(Recipient.campaign_id) == campaign_id).order_by(col(Recipient.id)))
    last = 0
    while True:
        rows = session.execute(query.where(col(Recipient.id) > last).limit(batch)).all()
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow([_cell(value) for value in row])
        last = int(rows[-1][0])
        yield buffer.getvalue()
