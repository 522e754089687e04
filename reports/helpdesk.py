"""The service and agents reports: volumes from the rollups, durations from the facts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from hub.agents.models import Team, User
from hub.channel_records.models import Channel
from reports import kinds
from reports.query import DIMENSION, TIME_GROUPS, GroupBy, Key, Range, Sample, durations, percentile, tally
from reports.schemas import (
    FIRST_RESPONSE_BUCKETS,
    AgentFigures,
    AgentRow,
    AgentsReport,
    DateRange,
    Duration,
    ServiceFigures,
    ServicePoint,
    ServiceReport,
)

SERVICE_COUNTS = {kinds.CONVERSATION_OPENED: "conversations", kinds.MESSAGE_RECEIVED: "incoming_messages",
                  kinds.MESSAGE_SENT: "outgoing_messages", kinds.RESOLVED: "resolved", kinds.REOPENED: "reopened"}
BUCKET_HOURS = (1, 4, 8, 24)


def duration(sample: Sample | None) -> Duration:
    if sample is None or not sample.seconds:
        return Duration()
    return Duration(count=len(sample.seconds), median_seconds=percentile(sample.seconds, 0.5),
                    p90_seconds=percentile(sample.seconds, 0.9),
                    business_median_seconds=percentile(sample.business, 0.5),
                    business_p90_seconds=percentile(sample.business, 0.9))


def buckets(sample: Sample | None) -> dict[str, int]:
    found = dict.fromkeys(FIRST_RESPONSE_BUCKETS, 0)
    for seconds in sample.seconds if sample else ():
        hours = seconds / 3600
        index = next((i for i, limit in enumerate(BUCKET_HOURS) if hours < limit), len(BUCKET_HOURS))
        found[FIRST_RESPONSE_BUCKETS[index]] += 1
    return found


def labels(session: Session, group_by: GroupBy, keys: Sequence[Any]) -> dict[Any, str]:
    """Names of the agents, teams or channels rows are keyed by."""
    ids = [int(k) for k in keys if isinstance(k, int)]
    if not ids or group_by not in DIMENSION:
        return {}
    model: Any = {GroupBy.agent: User, GroupBy.team: Team, GroupBy.channel: Channel}[group_by]
    rows = session.execute(select(col(model.id), col(model.name), *([col(User.email)] if model is User else []))
                           .where(col(model.id).in_(ids))).all()
    return {int(row[0]): str(row[1] or (row[2] if len(row) > 2 else "")) for row in rows}


def _service_figures(counts: dict[Key, list[int]], samples: dict[str, dict[Key, Sample]], key: Key
                     ) -> dict[str, Any]:
    first = samples[kinds.FIRST_RESPONSE].get(key)
    return {**{name: counts.get((kind, *key), [0, 0])[0] for kind, name in SERVICE_COUNTS.items()},
            "first_response": duration(first), "resolution": duration(samples[kinds.RESOLVED].get(key)),
            "reply": duration(samples[kinds.REPLY].get(key)), "sla_breaches": first.flagged if first else 0,
            "first_response_buckets": buckets(first)}


def _grouped(session: Session, q: Range, by: Sequence[str]
             ) -> tuple[dict[Key, list[int]], dict[str, dict[Key, Sample]]]:
    counts = tally(session, q, list(SERVICE_COUNTS), by)
    samples = {kind: durations(session, q, kind, by) for kind in kinds.DURATIONS}
    return counts, samples


def _keys(counts: dict[Key, list[int]], samples: dict[str, dict[Key, Sample]]) -> list[Key]:
    found = {key[1:] for key in counts} | {key for per_kind in samples.values() for key in per_kind}
    return sorted(found, key=lambda key: tuple((0, v) if isinstance(v, int) else (1, str(v)) for v in key))


def _points(session: Session, q: Range, by: str) -> list[dict[str, Any]]:
    counts, samples = _grouped(session, q, [by])
    keys = _keys(counts, samples)
    names = labels(session, q.group_by, [key[0] for key in keys]) if by == "group" else {}
    return [{"key": "" if key[0] is None else str(key[0]), "label": names.get(key[0]),
             **_service_figures(counts, samples, key)} for key in keys]


def service(session: Session, q: Range) -> ServiceReport:
    counts, samples = _grouped(session, q, [])
    before_counts, before_samples = _grouped(session, q.previous(), [])
    rows = _points(session, q, "group") if q.group_by not in TIME_GROUPS else []
    return ServiceReport(
        range=DateRange(from_=q.start, to=q.end, tz=q.tz),
        previous=ServiceFigures(**_service_figures(before_counts, before_samples, ())),
        totals=ServiceFigures(**_service_figures(counts, samples, ())),
        series=[ServicePoint(**point) for point in _points(session, q, "time")],
        rows=[ServicePoint(**point) for point in rows])


AGENT_COUNTS = {kinds.REPLY: "replies", kinds.FIRST_RESPONSE: "first_responses", kinds.RESOLVED: "resolved",
                kinds.MESSAGE_SENT: "outgoing_messages"}


def _agent_figures(counts: dict[Key, list[int]], samples: dict[str, dict[Key, Sample]],
                   csat: dict[Key, list[int]], key: Key) -> dict[str, Any]:
    responses = csat.get((kinds.CSAT_ANSWERED, *key), [0, 0])[0]
    positive = csat.get(("positive", *key), [0, 0])[0]
    return {**{name: counts.get((kind, *key), [0, 0])[0] for kind, name in AGENT_COUNTS.items()},
            "first_response": duration(samples[kinds.FIRST_RESPONSE].get(key)),
            "reply": duration(samples[kinds.REPLY].get(key)),
            "resolution": duration(samples[kinds.RESOLVED].get(key)),
            "csat_responses": responses, "csat_score": round(positive / responses, 4) if responses else None}


def _agent_grouped(session: Session, q: Range, by: Sequence[str]
                   ) -> tuple[dict[Key, list[int]], dict[str, dict[Key, Sample]], dict[Key, list[int]]]:
    counts = tally(session, q, list(AGENT_COUNTS), by)
    samples = {kind: durations(session, q, kind, by) for kind in kinds.DURATIONS}
    ratings = durations(session, q, kinds.CSAT_ANSWERED, by, value_as_seconds=True)
    csat: dict[Key, list[int]] = {}
    for key, sample in ratings.items():
        csat[(kinds.CSAT_ANSWERED, *key)] = [len(sample.seconds), 0]
        csat[("positive", *key)] = [sum(1 for rating in sample.seconds if rating >= 4), 0]
    return counts, samples, csat


def _agent_table(session: Session, q: Range, by: Sequence[str]) -> dict[Key, dict[str, Any]]:
    counts, samples, csat = _agent_grouped(session, q, by)
    keys = {key[1:] for key in counts} | {key for s in samples.values() for key in s} | {key[1:] for key in csat}
    return {key: _agent_figures(counts, samples, csat, key)
            for key in sorted(keys, key=lambda key: tuple(str(v) for v in key))}


def agents(session: Session, q: Range) -> AgentsReport:
    """Per agent (rows) and per day / week / month (series); agents see themselves and their teams."""
    by_agent = Range(**{**q.__dict__, "group_by": GroupBy.agent})
    rows = [(key, values) for key, values in _agent_table(session, by_agent, ["group"]).items()
            if key[0] is not None]
    names = labels(session, GroupBy.agent, [key[0] for key, _ in rows])
    return AgentsReport(
        range=DateRange(from_=q.start, to=q.end, tz=q.tz),
        previous=AgentFigures(**_agent_table(session, q.previous(), []).get((), {})),
        totals=AgentFigures(**_agent_table(session, q, []).get((), {})),
        series=[AgentRow(key=str(key[0]), **values) for key, values in _agent_table(session, q, ["time"]).items()],
        rows=[AgentRow(key=str(key[0]), label=names.get(key[0]), **values) for key, values in rows])
