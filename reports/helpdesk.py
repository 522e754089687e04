"""The service and agents reports: volumes from the rollups, durations from the facts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from hub.agents.models import Team, User
from hub.channel_records.models import Channel
from reports import kinds
from reports.query import DIMENSION, TIME_GROUPS, GroupBy, Key, Range, ratings_each, tally_each
from reports.schemas import (
    AgentFigures,
    AgentRow,
    AgentsReport,
    DateRange,
    Duration,
    ServiceFigures,
    ServicePoint,
    ServiceReport,
)
from reports.spread import Spread, spreads_kinds

SERVICE_COUNTS = {kinds.CONVERSATION_OPENED: "conversations", kinds.MESSAGE_RECEIVED: "incoming_messages",
                  kinds.MESSAGE_SENT: "outgoing_messages", kinds.RESOLVED: "resolved", kinds.REOPENED: "reopened",
                  kinds.BOT_HANDOFF: "bot_handoffs", kinds.BOT_CONTAINED: "bot_contained"}


def duration(spread: Spread | None) -> Duration:
    if spread is None or not spread.count:
        return Duration()
    return Duration(count=spread.count, median_seconds=spread.median, p90_seconds=spread.p90,
                    business_median_seconds=spread.business_median, business_p90_seconds=spread.business_p90)


def labels(session: Session, group_by: GroupBy, keys: Sequence[Any]) -> dict[Any, str]:
    """Names of the agents, teams or channels rows are keyed by."""
    ids = [int(k) for k in keys if isinstance(k, int)]
    if not ids or group_by not in DIMENSION:
        return {}
    model: Any = {GroupBy.agent: User, GroupBy.team: Team, GroupBy.channel: Channel}[group_by]
    rows = session.execute(select(col(model.id), col(model.name), *([col(User.email)] if model is User else []))
                           .where(col(model.id).in_(ids))).all()
    return {int(row[0]): str(row[1] or (row[2] if len(row) > 2 else "")) for row in rows}


def _service_figures(counts: dict[Key, list[int]], samples: dict[str, dict[Key, Spread]], key: Key
                     ) -> dict[str, Any]:
    first = samples[kinds.FIRST_RESPONSE].get(key)
    found = {name: counts.get((kind, *key), [0, 0])[0] for kind, name in SERVICE_COUNTS.items()}
    bot = found["bot_handoffs"] + found["bot_contained"]
    return {**found, "bot_containment": round(found["bot_contained"] / bot, 4) if bot else None,
            "first_response": duration(first), "resolution": duration(samples[kinds.RESOLVED].get(key)),
            "reply": duration(samples[kinds.REPLY].get(key)), "sla_breaches": first.flagged if first else 0,
            "first_response_buckets": dict(first.buckets) if first else Spread().buckets}


Grouped = tuple[dict[Key, list[int]], dict[str, dict[Key, Spread]]]


def _grouped(session: Session, q: Range, bys: Sequence[Sequence[str]]) -> list[Grouped]:
    """Counts and durations for each grouping, reading the range once per kind of fact."""
    counts = tally_each(session, q, list(SERVICE_COUNTS), bys)
    samples = spreads_kinds(session, q, kinds.DURATIONS, bys)
    return [(counts[i], {kind: per_kind[i] for kind, per_kind in samples.items()}) for i in range(len(bys))]


def _keys(counts: dict[Key, list[int]], samples: dict[str, dict[Key, Spread]]) -> list[Key]:
    found = {key[1:] for key in counts} | {key for per_kind in samples.values() for key in per_kind}
    return sorted(found, key=lambda key: tuple((0, v) if isinstance(v, int) else (1, str(v)) for v in key))


def _points(session: Session, q: Range, grouped: Grouped, by: str) -> list[ServicePoint]:
    counts, samples = grouped
    keys = _keys(counts, samples)
    names = labels(session, q.group_by, [key[0] for key in keys]) if by == "group" else {}
    return [ServicePoint(key="" if key[0] is None else str(key[0]), label=names.get(key[0]),
                         **_service_figures(counts, samples, key)) for key in keys]


def service(session: Session, q: Range) -> ServiceReport:
    by_dimension = q.group_by not in TIME_GROUPS
    now = _grouped(session, q, [[], ["time"], *([["group"]] if by_dimension else [])])
    (before_counts, before_samples), = _grouped(session, q.previous(), [[]])
    return ServiceReport(
        range=DateRange(from_=q.start, to=q.end, tz=q.tz),
        previous=ServiceFigures(**_service_figures(before_counts, before_samples, ())),
        totals=ServiceFigures(**_service_figures(*now[0], ())),
        series=_points(session, q, now[1], "time"),
        rows=_points(session, q, now[2], "group") if by_dimension else [])


AGENT_COUNTS = {kinds.REPLY: "replies", kinds.FIRST_RESPONSE: "first_responses", kinds.RESOLVED: "resolved",
                kinds.MESSAGE_SENT: "outgoing_messages"}


def _agent_figures(counts: dict[Key, list[int]], samples: dict[str, dict[Key, Spread]],
                   csat: dict[Key, list[int]], key: Key) -> dict[str, Any]:
    responses = csat.get((kinds.CSAT_ANSWERED, *key), [0, 0])[0]
    positive = csat.get(("positive", *key), [0, 0])[0]
    return {**{name: counts.get((kind, *key), [0, 0])[0] for kind, name in AGENT_COUNTS.items()},
            "first_response": duration(samples[kinds.FIRST_RESPONSE].get(key)),
            "reply": duration(samples[kinds.REPLY].get(key)),
            "resolution": duration(samples[kinds.RESOLVED].get(key)),
            "csat_responses": responses, "csat_score": round(positive / responses, 4) if responses else None}


def _agent_tables(session: Session, q: Range, bys: Sequence[Sequence[str]]) -> list[dict[Key, dict[str, Any]]]:
    """Per grouping: each key's figures, reading the range once per kind of fact."""
    counts = tally_each(session, q, list(AGENT_COUNTS), bys)
    samples = spreads_kinds(session, q, kinds.DURATIONS, bys)
    ratings = ratings_each(session, q, kinds.CSAT_ANSWERED, bys)
    tables = []
    for i in range(len(bys)):
        csat: dict[Key, list[int]] = {}
        for key, given in ratings[i].items():
            csat[(kinds.CSAT_ANSWERED, *key)] = [sum(given.values()), 0]
            csat[("positive", *key)] = [sum(n for rating, n in given.items() if rating >= 4), 0]
        mine = {kind: per_kind[i] for kind, per_kind in samples.items()}
        keys = {key[1:] for key in counts[i]} | {key for s in mine.values() for key in s} | {key[1:] for key in csat}
        tables.append({key: _agent_figures(counts[i], mine, csat, key)
                       for key in sorted(keys, key=lambda key: tuple(str(v) for v in key))})
    return tables


def agents(session: Session, q: Range) -> AgentsReport:
    """Per agent (rows) and per day / week / month (series); agents see themselves and their teams."""
    totals, series, by_agent = _agent_tables(session, q, [[], ["time"], ["agent_id"]])
    (previous,) = _agent_tables(session, q.previous(), [[]])
    rows = [(key, values) for key, values in by_agent.items() if key[0] is not None]
    names = labels(session, GroupBy.agent, [key[0] for key, _ in rows])
    return AgentsReport(
        range=DateRange(from_=q.start, to=q.end, tz=q.tz),
        previous=AgentFigures(**previous.get((), {})), totals=AgentFigures(**totals.get((), {})),
        series=[AgentRow(key=str(key[0]), **values) for key, values in series.items()],
        rows=[AgentRow(key=str(key[0]), label=names.get(key[0]), **values) for key, values in rows])
