"""A flow's numbers, per flow and per step: counted from the runs' rows (where they are now) and the stats log
(`FlowEvent`, written with each step, so each step counts once)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.stores import coupons
from flows.journeys.models import FlowEvent, FlowRun, RunStatus


def stats(session: Session, flow_id: int) -> dict[str, Any]:
    by_status = {str(s): int(n) for s, n in session.execute(
        select(col(FlowRun.status), func.count()).where(col(FlowRun.flow_id) == flow_id)
        .group_by(col(FlowRun.status))).all()}
    kinds = {str(k): int(n) for k, n in session.execute(
        select(col(FlowEvent.kind), func.count()).where(col(FlowEvent.flow_id) == flow_id)
        .group_by(col(FlowEvent.kind))).all()}
    exited = {str(r or "unknown"): int(n) for r, n in session.execute(
        select(col(FlowEvent.reason), func.count()).where(col(FlowEvent.flow_id) == flow_id,
                                                          col(FlowEvent.kind) == "exited")
        .group_by(col(FlowEvent.reason))).all()}
    revenue = {str(c): int(n or 0) for c, n in session.execute(
        select(col(FlowEvent.currency), func.sum(col(FlowEvent.amount_minor))).where(
            col(FlowEvent.flow_id) == flow_id, col(FlowEvent.kind) == "converted",
            col(FlowEvent.currency).is_not(None)).group_by(col(FlowEvent.currency))).all()}
    nodes: dict[str, dict[str, Any]] = defaultdict(lambda: {"entered": 0, "waiting": 0, "ports": {}, "skipped": {}})
    for node_id, port, reason, count in session.execute(
            select(col(FlowEvent.node_id), col(FlowEvent.port), col(FlowEvent.reason), func.count()).where(
                col(FlowEvent.flow_id) == flow_id, col(FlowEvent.kind) == "passed")
            .group_by(col(FlowEvent.node_id), col(FlowEvent.port), col(FlowEvent.reason))).all():
        node = nodes[str(node_id)]
        node["entered"] += int(count)
        node["ports"][str(port)] = node["ports"].get(str(port), 0) + int(count)
        if reason:
            node["skipped"][str(reason)] = node["skipped"].get(str(reason), 0) + int(count)
    for node_id, status, count in session.execute(
            select(col(FlowRun.node_id), col(FlowRun.status), func.count()).where(
                col(FlowRun.flow_id) == flow_id, col(FlowRun.status).in_(
                    (RunStatus.active.value, RunStatus.waiting.value)))
            .group_by(col(FlowRun.node_id), col(FlowRun.status))).all():
        node = nodes[str(node_id)]
        node["entered"] += int(count)
        if status == RunStatus.waiting.value:
            node["waiting"] += int(count)
    return {"entered": kinds.get("entered", 0), "active": by_status.get("active", 0),
            "waiting": by_status.get("waiting", 0), "completed": by_status.get("completed", 0),
            "converted": kinds.get("converted", 0), "revenue": revenue, "exited": exited, "nodes": dict(nodes),
            "store_visits": coupons.visits(session=session, flow_ids=[flow_id]).get(flow_id, 0)}
