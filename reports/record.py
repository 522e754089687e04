"""Facts derived from hub's, catalog's and flows' rows, written once each (`source_key`), with their rollups.

One rule for the live path and the backfill: `sync` looks at the rows behind some ids and records every fact
they show that is not recorded yet. Listeners call it with the ids of a commit's events; `backfill` with all
ids, a chunk at a time. Facts no package emits yet (bot handoffs, journeys, coupons) come in through
`record_facts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, col

from catalog.models import Order
from flows.campaigns.models import Recipient
from hub.assignment.hours import zone as tzinfo
from hub.assignment.models import TeamPolicy
from hub.conversations.actions import NOTE_KIND
from hub.conversations.models import ActivityKind, Conversation, ConversationActivity, Message
from hub.csat.models import CsatSurvey
from hub.runtime.db import among, as_utc
from hub.runtime.upsert import from_arrays, upsert
from reports import kinds, retention, rollup
from reports.business_hours import seconds_between
from reports.models import ReportEvent
from reports.settings import ReportSettings, get_report_settings

Fact = dict[str, Any]
CHUNK = 400
COLUMNS = ("kind", "source_key", "at", "day", "conversation_id", "contact_id", "channel_id", "team_id", "agent_id",
           "campaign_id", "flow_id", "store_id", "order_id", "message_id", "currency", "amount_minor", "seconds",
           "business_seconds", "value")


def record_facts(session: Session, facts: Sequence[Mapping[str, Any]]) -> int:
    """Write the facts not recorded yet (by `source_key`) and add them to the rollups; how many were new.

    Each fact needs `kind`, `source_key` and `at` (aware); `day` is filled in the shop's time zone. A fact from
    before the retention (`HUB_REPORT_EVENTS_RETENTION_MONTHS`) is not recorded: it would be dropped with its
    month, and recorded again by the next backfill, counted twice in the rollups it stays in."""
    zone = get_report_settings().timezone
    kept_since = retention.cutoff()
    written = 0
    rows = [_row(fact, zone) for fact in facts]
    rows = [row for row in rows if kept_since is None or row["at"] >= kept_since]
    for start in range(0, len(rows), CHUNK):
        fresh = _insert_new(session, rows[start:start + CHUNK])
        rollup.add(session, fresh)
        written += len(fresh)
    return written


NEW_KEYS = text("INSERT INTO report_event_key (source_key, at) SELECT * FROM unnest(CAST(:keys AS text[]), "
                "CAST(:ats AS timestamptz[])) ON CONFLICT DO NOTHING RETURNING source_key")
"""One statement and one compiled form for a chunk's keys, whatever its size (a VALUES list is compiled anew for
each number of rows)."""


def _insert_new(session: Session, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert the facts whose `source_key` is new; those inserted. On PostgreSQL the keys go into
    report_event_key first (report_event is partitioned and cannot be unique on them), in the same transaction;
    the facts whose keys were new are then inserted as they are (nothing to read back)."""
    table = ReportEvent.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name != "postgresql":
        returning = [table.c[name] for name in COLUMNS if name != "source_key"]
        return [dict(row) for row in upsert(session, table, chunk, key=["source_key"], returning=returning).mappings()]
    first = list({row["source_key"]: row for row in reversed(chunk)}.values())[::-1]
    new = set(session.execute(NEW_KEYS, {"keys": [row["source_key"] for row in first],
                                         "ats": [row["at"] for row in first]}).scalars())
    rows = [row for row in first if row["source_key"] in new]
    from_arrays(session, table, rows)
    return [{name: value for name, value in row.items() if name != "source_key"} for row in rows]


def _row(fact: Mapping[str, Any], zone: str) -> dict[str, Any]:
    row = {name: fact.get(name) for name in COLUMNS}
    at = as_utc(fact["at"])
    row["at"], row["day"] = at, at.astimezone(tzinfo(zone)).date()
    return row


def sync(session: Session, *, conversation_ids: Iterable[int] = (), message_ids: Iterable[int] = (),
         order_ids: Iterable[int] = (), survey_ids: Iterable[int] = ()) -> int:
    """Record every fact these rows show that is not recorded yet; how many were new."""
    facts = [*conversation_facts(session, sorted(set(conversation_ids))),
             *message_facts(session, sorted(set(message_ids))),
             *order_facts(session, sorted(set(order_ids))),
             *survey_facts(session, sorted(set(survey_ids)))]
    return record_facts(session, facts) if facts else 0


def _hours_of(session: Session, team_ids: set[int], settings: ReportSettings
              ) -> dict[int | None, tuple[str, Any]]:
    """Per team: (time zone, weekly hours); the shop's for a team without its own, and for no team."""
    found: dict[int | None, tuple[str, Any]] = {None: (settings.timezone, settings.weekly_hours)}
    if team_ids:
        for policy in session.execute(select(TeamPolicy).where(col(TeamPolicy.team_id).in_(team_ids))).scalars():
            if policy.weekly_hours is not None:
                found[policy.team_id] = (policy.timezone, policy.weekly_hours)
    return found


def _deadlines(session: Session, team_ids: set[int]) -> dict[int, int]:
    if not team_ids:
        return {}
    rows = session.execute(select(col(TeamPolicy.team_id), col(TeamPolicy.first_response_minutes))
                           .where(col(TeamPolicy.team_id).in_(team_ids),
                                  col(TeamPolicy.first_response_minutes).is_not(None))).all()
    return {int(team): int(minutes) for team, minutes in rows}


class _Clock:
    """Wall-clock and business-hours durations for one team."""

    def __init__(self, tz: str, weekly: Any, countries: tuple[str, ...]) -> None:
        self.tz, self.weekly, self.countries = tz, weekly, countries

    def durations(self, start: datetime, end: datetime) -> dict[str, float]:
        start, end = as_utc(start), as_utc(end)
        return {"seconds": max((end - start).total_seconds(), 0.0),
                "business_seconds": seconds_between(start, end, tz=self.tz, weekly=self.weekly,
                                                    countries=self.countries)}


def conversation_facts(session: Session, ids: Sequence[int]) -> list[Fact]:
    """Opened, first response, each reply, resolved and reopened, for these conversations."""
    if not ids:
        return []
    settings = get_report_settings()
    conversations = {c.id: c for c in session.execute(select(Conversation).where(col(Conversation.id).in_(ids)))
                     .scalars()}
    thread: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
            select(col(Message.conversation_id), col(Message.id), col(Message.direction), col(Message.sender),
                   col(Message.author_id), col(Message.occurred_at))
            .where(col(Message.conversation_id).in_(ids), col(Message.kind) != NOTE_KIND)
            .order_by(col(Message.conversation_id), col(Message.occurred_at), col(Message.id))):
        thread[int(row.conversation_id)].append(row)
    steps: dict[int, list[ConversationActivity]] = defaultdict(list)
    for line in session.execute(select(ConversationActivity).where(
            col(ConversationActivity.conversation_id).in_(ids),
            col(ConversationActivity.kind).in_((ActivityKind.resolved.value, ActivityKind.reopened.value)))
            .order_by(col(ConversationActivity.id))).scalars():
        steps[line.conversation_id].append(line)
    teams = {c.team_id for c in conversations.values() if c.team_id is not None}
    hours = _hours_of(session, teams, settings)
    deadlines = _deadlines(session, teams)
    facts: list[Fact] = []
    for cid, conversation in conversations.items():
        tz, weekly = hours.get(conversation.team_id, hours[None])
        clock = _Clock(tz, weekly, settings.holiday_countries)
        base = {"conversation_id": cid, "contact_id": conversation.contact_id,
                "channel_id": conversation.channel_id, "team_id": conversation.team_id}
        facts.append({**base, "kind": kinds.CONVERSATION_OPENED, "source_key": f"opened:{cid}",
                      "at": conversation.created_at, "agent_id": conversation.assignee_id})
        facts.extend(_replies(base, thread.get(cid, []), clock, deadlines.get(conversation.team_id or 0),
                              conversation.handed_off_at))
        facts.extend(_lifecycle(base, conversation, steps.get(cid, []), clock))
        facts.extend(_bot(base, conversation, thread.get(cid, []), steps.get(cid, [])))
    return facts


def _bot(base: Fact, conversation: Conversation, messages: list[Any], lines: list[ConversationActivity]
         ) -> list[Fact]:
    """Handed off by a bot, or contained: a bot answered and it was resolved with no person's reply."""
    cid = base["conversation_id"]
    if conversation.handed_off_at is not None:
        return [{**base, "kind": kinds.BOT_HANDOFF, "source_key": f"bot_handoff:{cid}",
                 "at": conversation.handed_off_at}]
    bot = any(m.direction == "outbound" and m.sender == "bot" for m in messages)
    person = any(m.direction == "outbound" and m.sender == "reply" and m.author_id is not None for m in messages)
    resolved = [line for line in lines if line.kind == ActivityKind.resolved.value]
    if not bot or person or not resolved:
        return []
    return [{**base, "kind": kinds.BOT_CONTAINED, "source_key": f"bot_contained:{cid}",
             "at": resolved[0].created_at}]


def _replies(base: Fact, messages: list[Any], clock: _Clock, deadline_minutes: int | None,
             handed_off_at: datetime | None = None) -> list[Fact]:
    """A bot's handoff starts the first-response clock: the customer waited for a person from then on."""
    facts: list[Fact] = []
    waiting_since: datetime | None = None
    first_inbound: datetime | None = None
    answered = False
    for message in messages:
        if message.direction == "inbound":
            first_inbound = first_inbound or message.occurred_at
            if handed_off_at is not None and as_utc(first_inbound) < as_utc(handed_off_at):
                first_inbound = handed_off_at
            waiting_since = waiting_since or message.occurred_at
            continue
        if message.sender != "reply" or message.author_id is None:
            continue  # bots, broadcasts and flows do not answer for a person
        if not answered and first_inbound is not None:
            answered = True
            took = clock.durations(first_inbound, message.occurred_at)
            late = deadline_minutes is not None and took["seconds"] > deadline_minutes * 60
            facts.append({**base, **took, "kind": kinds.FIRST_RESPONSE,
                          "source_key": f"first_response:{base['conversation_id']}",
                          "at": message.occurred_at, "agent_id": message.author_id, "message_id": message.id,
                          "value": 1 if late else 0})
        if waiting_since is not None:
            facts.append({**base, **clock.durations(waiting_since, message.occurred_at), "kind": kinds.REPLY,
                          "source_key": f"reply:{message.id}", "at": message.occurred_at,
                          "agent_id": message.author_id, "message_id": message.id})
            waiting_since = None
    return facts


def _lifecycle(base: Fact, conversation: Conversation, lines: list[ConversationActivity], clock: _Clock
               ) -> list[Fact]:
    facts: list[Fact] = []
    since = conversation.created_at
    for line in lines:
        if line.kind == ActivityKind.reopened.value:
            facts.append({**base, "kind": kinds.REOPENED, "source_key": f"reopened:{line.id}", "at": line.created_at,
                          "agent_id": line.agent_id})
            since = line.created_at
        else:
            facts.append({**base, **clock.durations(since, line.created_at), "kind": kinds.RESOLVED,
                          "source_key": f"resolved:{line.id}", "at": line.created_at,
                          "agent_id": line.agent_id or conversation.assignee_id})
    return facts


def message_facts(session: Session, ids: Sequence[int], only: Mapping[int, Collection[str]] | None = None
                  ) -> list[Fact]:
    """Received, or sent / delivered / read / failed, for these messages (notes are not messages here); with
    `only`, just the kinds it names for each message."""
    if not ids:
        return []
    rows = session.execute(
        select(col(Message.id), col(Message.conversation_id), col(Message.channel_id), col(Message.direction),
               col(Message.author_id), col(Message.occurred_at), col(Message.delivered_at), col(Message.read_at),
               col(Message.failed_at), col(Conversation.team_id), col(Conversation.contact_id),
               col(Recipient.campaign_id))
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .outerjoin(Recipient, col(Recipient.message_id) == col(Message.id))
        .where(among(session, col(Message.id), ids), col(Message.kind) != NOTE_KIND)).all()
    facts: list[Fact] = []
    for row in rows:
        base = {"message_id": row.id, "conversation_id": row.conversation_id, "channel_id": row.channel_id,
                "team_id": row.team_id, "contact_id": row.contact_id, "agent_id": row.author_id,
                "campaign_id": row.campaign_id}
        if row.direction == "inbound":
            facts.append({**base, "kind": kinds.MESSAGE_RECEIVED, "source_key": f"message:{row.id}:received",
                          "at": row.occurred_at})
            continue
        facts.append({**base, "kind": kinds.MESSAGE_SENT, "source_key": f"message:{row.id}:sent",
                      "at": row.occurred_at})
        for kind, moment in ((kinds.MESSAGE_DELIVERED, row.delivered_at), (kinds.MESSAGE_READ, row.read_at),
                             (kinds.MESSAGE_FAILED, row.failed_at)):
            if moment is not None:
                facts.append({**base, "kind": kind, "source_key": f"message:{row.id}:{kind.split('.')[1]}",
                              "at": moment})
    if only is not None:
        return [fact for fact in facts if fact["kind"] in only.get(fact["message_id"], ())]
    return facts


def order_facts(session: Session, ids: Sequence[int]) -> list[Fact]:
    """Paid (with amount, currency and the attribution catalog recorded) and refunded, for these orders (a refund
    at the order's `refunded_at`; now for one refunded before it was kept, with no event to copy it from)."""
    if not ids:
        return []
    rows = session.execute(
        select(Order, col(Conversation.team_id))
        .outerjoin(Conversation, col(Conversation.id) == col(Order.conversation_id))
        .where(col(Order.id).in_(ids), col(Order.paid_at).is_not(None))).all()
    facts: list[Fact] = []
    for order, team_id in rows:
        base = {"order_id": order.id, "contact_id": order.contact_id, "conversation_id": order.conversation_id,
                "channel_id": order.channel_id, "agent_id": order.agent_id, "campaign_id": order.campaign_id,
                "flow_id": order.flow_id, "store_id": order.store_id, "team_id": team_id, "currency": order.currency,
                "amount_minor": order.total_minor}
        facts.append({**base, "kind": kinds.ORDER_PAID, "source_key": f"order:{order.id}:paid", "at": order.paid_at})
        if order.status == "refunded":
            facts.append({**base, "kind": kinds.ORDER_REFUNDED, "source_key": f"order:{order.id}:refunded",
                          "at": order.refunded_at or datetime.now(UTC)})
    return facts


def survey_facts(session: Session, ids: Sequence[int]) -> list[Fact]:
    """Sent and answered, for these CSAT surveys: the same facts as their "csat.sent" / "csat.answered" events."""
    if not ids:
        return []
    facts: list[Fact] = []
    for survey in session.execute(select(CsatSurvey).where(col(CsatSurvey.id).in_(ids))).scalars():
        data = {"survey_id": survey.id, "conversation_id": survey.conversation_id, "agent_id": survey.agent_id,
                "team_id": survey.team_id, "channel_id": survey.channel_id}
        if survey.sent_at is not None:
            facts.append(csat_facts(kinds.CSAT_SENT, {**data, "at": survey.sent_at}))
        if survey.rating is not None and survey.answered_at is not None:
            facts.append(csat_facts(kinds.CSAT_ANSWERED, {**data, "at": survey.answered_at, "rating": survey.rating}))
    return facts


def csat_facts(name: str, data: Mapping[str, Any]) -> Fact:
    """A "csat.sent" / "csat.answered" event's data as a fact (the agent at the time of sending is credited)."""
    kind = kinds.CSAT_SENT if name == kinds.CSAT_SENT else kinds.CSAT_ANSWERED
    at = data.get("at")
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at or datetime.now(UTC)
    return {"kind": kind, "source_key": f"csat:{data['survey_id']}:{kind.split('.')[1]}", "at": moment,
            "conversation_id": data.get("conversation_id"), "agent_id": data.get("agent_id"),
            "team_id": data.get("team_id"), "channel_id": data.get("channel_id"),
            "value": data.get("rating") if kind == kinds.CSAT_ANSWERED else None}
