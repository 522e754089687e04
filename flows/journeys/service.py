"""Flows, their versions and runs: create and edit (every changed definition is a new version), publish
(pins a version new runs start on), unpublish (stops new entries; running ones go on, or are cancelled),
start a run under the entry rules, cancel it, and list them.

Entry rules, checked when a run starts (`start_run`): one live (active or waiting) run per contact per flow
unless `allow_parallel_runs` (a unique index says so under any concurrency); none within
`reentry_after_days` of the contact's previous run; and one run per trigger event (`entry_key`, unique per
flow: the same event delivered three times starts one run).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from flows.journeys import announce, clock, graph, interest
from flows.journeys.models import (
    LIVE,
    Flow,
    FlowEvent,
    FlowRun,
    FlowSegmentMember,
    FlowStatus,
    FlowVersion,
    RunStatus,
)
from hub.runtime.db import as_utc


class NotFound(LookupError):
    """No such flow, version or run."""


class FlowError(ValueError):
    """A request that cannot be done as asked; the message says why."""


class Invalid(FlowError):
    """A definition with problems cannot be published."""

    def __init__(self, found: list[dict[str, Any]]) -> None:
        super().__init__(f"the flow has {len(found)} problem(s) to fix before it can be published")
        self.problems = found


class Conflict(FlowError):
    """Refused because of the flow's state (runs are active)."""


def get(*, session: Session, flow_id: int) -> Flow:
    flow = session.get(Flow, flow_id)
    if flow is None:
        raise NotFound(f"there is no flow {flow_id}")
    return flow


def list_flows(*, session: Session) -> list[Flow]:
    return list(session.exec(select(Flow).order_by(col(Flow.id))))


def version_of(*, session: Session, flow_id: int, version: int) -> FlowVersion:
    found = session.exec(select(FlowVersion).where(FlowVersion.flow_id == flow_id,
                                                   FlowVersion.version == version)).first()
    if found is None:
        raise NotFound(f"flow {flow_id} has no version {version}")
    return found


def versions(*, session: Session, flow_id: int) -> list[FlowVersion]:
    get(session=session, flow_id=flow_id)
    return list(session.exec(select(FlowVersion).where(FlowVersion.flow_id == flow_id)
                             .order_by(col(FlowVersion.version))))


def _check_shape(definition: object) -> dict[str, Any]:
    if not isinstance(definition, dict):
        raise FlowError("a definition is a JSON object with trigger, start, nodes and edges")
    return definition


def create(*, session: Session, name: str, definition: dict[str, Any], description: str = "",
           created_by: int | None = None) -> Flow:
    """A new flow, a draft; its definition is version 1 (checked only when published)."""
    now = clock.now()
    flow = Flow(name=name.strip(), description=description, created_by=created_by, created_at=now, updated_at=now)
    session.add(flow)
    session.flush()
    assert flow.id is not None
    session.add(FlowVersion(flow_id=flow.id, version=1, definition=_check_shape(definition), created_by=created_by,
                            created_at=now))
    session.flush()
    return flow


def update(*, session: Session, flow_id: int, actor_id: int | None = None, name: str | None = None,
           description: str | None = None, definition: dict[str, Any] | None = None) -> Flow:
    """Rename, describe, or save a new definition: a changed one is a new version (runs keep theirs)."""
    flow = session.get(Flow, flow_id, with_for_update=True)
    if flow is None:
        raise NotFound(f"there is no flow {flow_id}")
    if name is not None:
        flow.name = name.strip()
    if description is not None:
        flow.description = description
    if definition is not None:
        current = version_of(session=session, flow_id=flow_id, version=flow.draft_version)
        if _check_shape(definition) != current.definition:
            flow.draft_version += 1
            session.add(FlowVersion(flow_id=flow_id, version=flow.draft_version, definition=definition,
                                    created_by=actor_id, created_at=clock.now()))
    flow.updated_at = clock.now()
    session.add(flow)
    session.flush()
    return flow


def publish(*, session: Session, flow_id: int, version: int | None = None) -> Flow:
    """New runs start on `version` (default: the draft) from now on; Invalid with its problems if it has any."""
    flow = session.get(Flow, flow_id, with_for_update=True)
    if flow is None:
        raise NotFound(f"there is no flow {flow_id}")
    chosen = version_of(session=session, flow_id=flow_id, version=version or flow.draft_version)
    found = graph.problems(chosen.definition)
    found += _flow_references(session, flow_id, chosen.definition)
    if found:
        raise Invalid(found)
    now = clock.now()
    chosen.published_at = chosen.published_at or now
    flow.published_version, flow.status = chosen.version, FlowStatus.published.value
    flow.trigger_type = str(chosen.definition["trigger"]["type"])
    flow.updated_at = now
    session.add_all([chosen, flow])
    session.flush()
    interest.forget()
    return flow


def _flow_references(session: Session, flow_id: int, definition: dict[str, Any]) -> list[dict[str, Any]]:
    """`start_flow` steps must name another flow that exists."""
    found = []
    for node in definition.get("nodes") or []:
        if node.get("type") == "start_flow":
            target = (node.get("config") or {}).get("flow_id")
            if target == flow_id or (isinstance(target, int) and session.get(Flow, target) is None):
                found.append({"node_id": node["id"], "code": "bad_config",
                              "message": f"flow {target} does not exist or is this flow"})
    return found


def unpublish(*, session: Session, flow_id: int, cancel_runs: bool = False) -> Flow:
    """No new runs; running ones go on to their end, unless `cancel_runs`."""
    flow = session.get(Flow, flow_id, with_for_update=True)
    if flow is None:
        raise NotFound(f"there is no flow {flow_id}")
    flow.status, flow.trigger_type, flow.updated_at = FlowStatus.unpublished.value, None, clock.now()
    session.add(flow)
    interest.forget()
    if cancel_runs:
        cancel_live(session=session, flow_id=flow_id)
    session.flush()
    return flow


def delete(*, session: Session, flow_id: int, cancel_runs: bool = False) -> None:
    flow = get(session=session, flow_id=flow_id)
    if live_count(session=session, flow_id=flow_id) and not cancel_runs:
        raise Conflict("the flow has active runs: unpublish it and let them finish, or delete with cancel_runs=true")
    session.delete(flow)
    session.flush()


def live_count(*, session: Session, flow_id: int) -> int:
    return int(session.execute(select(func.count()).select_from(FlowRun).where(
        col(FlowRun.flow_id) == flow_id, col(FlowRun.status).in_(LIVE))).scalar_one())


def cancel_live(*, session: Session, flow_id: int) -> int:
    now = clock.now()
    ended = session.execute(sql_update(FlowRun).where(col(FlowRun.flow_id) == flow_id, col(FlowRun.status).in_(LIVE))
                            .values(status=RunStatus.cancelled.value, exit_reason="cancelled", live_contact_id=None,
                                    due_at=None, ended_at=now, updated_at=now, visit=FlowRun.visit + 1)
                            .returning(col(FlowRun.id), col(FlowRun.contact_id))).all()
    for run_id, contact_id in ended:
        announce.run_finished(session, run_id=run_id, flow_id=flow_id, contact_id=contact_id,
                              status=RunStatus.cancelled.value, reason="cancelled", ended_at=now)
    return len(ended)


def cancel_run(*, session: Session, run_id: int) -> FlowRun:
    run = session.get(FlowRun, run_id, with_for_update=True)
    if run is None:
        raise NotFound(f"there is no run {run_id}")
    if run.status in LIVE:
        now = clock.now()
        run.status, run.exit_reason = RunStatus.cancelled.value, "cancelled"
        run.live_contact_id, run.due_at = None, None
        run.visit, run.ended_at, run.updated_at = run.visit + 1, now, now
        session.add(run)
        session.add(FlowEvent(flow_id=run.flow_id, run_id=run.id or 0, contact_id=run.contact_id, node_id=run.node_id,
                              kind="exited", reason="cancelled", at=now))
        session.flush()
        announce.run_finished(session, run_id=run.id or 0, flow_id=run.flow_id, contact_id=run.contact_id,
                              status=run.status, reason="cancelled", ended_at=now)
    return run


def get_run(*, session: Session, run_id: int) -> FlowRun:
    run = session.get(FlowRun, run_id)
    if run is None:
        raise NotFound(f"there is no run {run_id}")
    return run


def list_runs(*, session: Session, flow_id: int, status: str | None = None, contact_id: int | None = None,
              limit: int = 100, before: int | None = None, contact_ids: Any = None) -> list[FlowRun]:
    """Newest first; `before` pages by run id; `contact_ids` (a subquery) limits to the contacts an agent sees."""
    query = select(FlowRun).where(FlowRun.flow_id == flow_id)
    if status:
        query = query.where(FlowRun.status == status)
    if contact_id is not None:
        query = query.where(FlowRun.contact_id == contact_id)
    if before is not None:
        query = query.where(col(FlowRun.id) < before)
    if contact_ids is not None:
        query = query.where(col(FlowRun.contact_id).in_(contact_ids))
    return list(session.exec(query.order_by(col(FlowRun.id).desc()).limit(limit)))


def start_run(*, session: Session, flow: Flow, contact_id: int, conversation_id: int | None = None,
              entry_key: str | None = None, test: bool = False, version: int | None = None,
              now: datetime | None = None) -> FlowRun | None:
    """Start `contact_id` on the published version (or `version`, for a test), due now; None when the entry
    rules say no. The caller commits and then hands the run to the runner (`runner.kick`)."""
    assert flow.id is not None
    now = now or clock.now()
    chosen = version or flow.published_version
    if chosen is None:
        return None
    definition = version_of(session=session, flow_id=flow.id, version=chosen).definition
    settings = graph.settings_of(definition)
    parallel = bool(settings["allow_parallel_runs"]) or test
    mine = select(FlowRun).where(FlowRun.flow_id == flow.id, FlowRun.contact_id == contact_id)
    if entry_key is not None and session.exec(mine.where(FlowRun.entry_key == entry_key)).first() is not None:
        return None
    if not parallel and session.exec(mine.where(col(FlowRun.status).in_(LIVE))).first() is not None:
        return None
    days = settings["reentry_after_days"]
    if days and not test:
        last = session.exec(mine.order_by(col(FlowRun.started_at).desc())).first()
        if last is not None and as_utc(last.started_at) > now - timedelta(days=days):
            return None
    goal = settings.get("goal")
    run = FlowRun(flow_id=flow.id, version=chosen, contact_id=contact_id, conversation_id=conversation_id,
                  status=RunStatus.active.value, node_id=str(definition["start"]), visit=0, due_at=now,
                  entry_key=entry_key, live_contact_id=None if parallel else contact_id, test=test,
                  goal_until=now + clock.span(goal["within_hours"] * 60, test) if goal else None,
                  started_at=now, updated_at=now)
    try:
        with session.begin_nested():  # another worker started the same run first: the unique keys say so
            session.add(run)
            session.flush()
    except IntegrityError:
        return None
    assert run.id is not None
    session.add(FlowEvent(flow_id=flow.id, run_id=run.id, contact_id=contact_id, kind="entered", at=now))
    session.flush()
    interest.forget()
    return run


def published_with_trigger(*, session: Session, trigger: str) -> list[tuple[Flow, dict[str, Any]]]:
    """Published flows a trigger starts, with their published definitions."""
    flows = list(session.exec(select(Flow).where(Flow.trigger_type == trigger,
                                                 Flow.status == FlowStatus.published.value)))
    return [(flow, version_of(session=session, flow_id=flow.id or 0, version=flow.published_version or 0).definition)
            for flow in flows]


def segment_entries(*, session: Session, flow_id: int, segment_id: int, members: set[int],
                    now: datetime) -> list[tuple[int, str]]:
    """Who entered the flow's segment since its last check, with each entry's key: a contact is remembered in
    or out (`FlowSegmentMember`), so only a change from out (or unknown) to in is an entry, and the same check
    run twice (or in two copies: the change is a compare-and-set) finds each entry once. The first entry's key
    is `segment:{contact}`, a later one's `segment:{contact}:{n}`."""
    mine = col(FlowSegmentMember.flow_id) == flow_id
    session.execute(sql_update(FlowSegmentMember).where(  # the flow now watches another segment
        mine, col(FlowSegmentMember.member), col(FlowSegmentMember.segment_id) != segment_id)
        .values(member=False, changed_at=now))
    known = {row[0]: row[1] for row in session.execute(
        select(col(FlowSegmentMember.contact_id), col(FlowSegmentMember.member)).where(mine))}
    left = [contact for contact, member in known.items() if member and contact not in members]
    for chunk in range(0, len(left), 1000):
        session.execute(sql_update(FlowSegmentMember).where(
            mine, col(FlowSegmentMember.contact_id).in_(left[chunk:chunk + 1000])).values(member=False, changed_at=now))
    entered: list[tuple[int, str]] = []
    for contact in sorted(members):
        if known.get(contact):
            continue
        if contact in known:  # back again
            back = session.execute(sql_update(FlowSegmentMember).where(
                mine, col(FlowSegmentMember.contact_id) == contact, col(FlowSegmentMember.member).is_(False))
                .values(member=True, segment_id=segment_id, entries=col(FlowSegmentMember.entries) + 1, changed_at=now)
                .returning(col(FlowSegmentMember.entries))).scalar()
            if back is not None:
                entered.append((contact, f"segment:{contact}:{back}"))
            continue
        try:
            with session.begin_nested():
                session.execute(insert(FlowSegmentMember).values(
                    flow_id=flow_id, contact_id=contact, segment_id=segment_id, member=True, entries=1, changed_at=now))
        except IntegrityError:  # another copy of the check saw them first
            continue
        entered.append((contact, f"segment:{contact}"))
    return entered
