"""Durable execution: a run moves one step at a time, each step applied once.

`advance(run_id, visit)` (an RQ job; the sweeper in `jobs` and the trigger jobs queue it) first claims the
run by a compare-and-set, `UPDATE flow_run SET visit = visit + 1 WHERE id = :run AND visit = :visit AND
<due>`: one transaction alone can win it (PostgreSQL's row lock makes a second wait and then find the visit
changed; SQLite serialises writers). The step's effects (a queued message, a tag, a task, its stats rows)
are written in that same transaction, so a job delivered twice, a worker killed mid-step or a Redis flush
can change nothing: either the step committed with its new visit, or none of it did and the sweeper hands
the run on again once its lease ends. A queued message's client key is `flow:{run}:{node}:{visit}`, so even
a step replayed past that point finds its first message in the delivery engine.

Steps that take no time run on in the same job (at most MAX_STEPS); a wait stores its due time on the row
and ends the job. What a step does is in `steps`.

The sweeper hands due runs in chunks (`advance_batch`): one transaction claims the whole chunk (the same
compare-and-set, one statement), applies each run's steps and commits once, so a step costs a few rows of a
shared commit instead of a commit of its own. When any step of the chunk raises, the chunk's transaction rolls
back whole and each run is then advanced alone, in its own transaction (`advance`), so one bad run cannot hold
back the others, and its errors are counted on it. Steps with an effect outside the database (`SOLO`: an HTTP
request) are never applied inside a chunk, where a rollback caused by another run could repeat them: the run
stops before such a step and is handed to `advance` after the chunk commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from flows.journeys import announce, clock
from flows.journeys.graph import Graph, Node
from flows.journeys.models import LIVE, FlowEvent, FlowRun, FlowVersion, RunStatus
from hub.runtime import broker, queues
from hub.runtime.db import as_utc, session_scope

log = logging.getLogger(__name__)

QUEUE = queues.FLOWS
MAX_STEPS = 50
LATE_SENSITIVE = frozenset({"send_message", "http"})
"""Steps skipped when too far overdue (after downtime): a stale message is worse than none."""
SOLO = frozenset({"http"})
"""Steps applied only in a run's own transaction (see the module's docstring)."""
CHUNK = 200
"""Runs per `advance_batch` job: large enough to share a commit, small enough that a due step handed behind a
chunk waits a fraction of a second."""


@dataclass(frozen=True)
class Go:
    """Leave the step by `port` (`reason`: why, for a skip)."""

    port: str
    reason: str | None = None


@dataclass(frozen=True)
class Hold:
    """Stay on the step until `until`; `waiting`: the run shows as waiting (a wait), else active (deferred)."""

    until: datetime
    waiting: bool = True
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    status: str
    reason: str | None = None


Result = Go | Hold | End


@dataclass
class Step:
    """What a step sees: the session, the run (its row), the graph and the moment."""

    session: Session
    run: FlowRun
    graph: Graph
    now: datetime
    after_commit: list[Callable[[], object]] = field(default_factory=list)
    batched: bool = False
    """In a chunk: the run's rows are flushed with the chunk's, and SOLO steps wait for a transaction alone."""
    notes: list[dict[str, Any]] | None = None
    """In a chunk: its DEFERRED_NOTES stats rows, inserted together at the end."""

    @property
    def state(self) -> dict[str, Any]:
        """This step's own state (kept while it holds, cleared when the run moves on)."""
        return dict(self.run.context.get("step") or {})

    @property
    def key(self) -> str:
        """This step's idempotency key: `run:node:visit`."""
        return f"{self.run.id}:{self.run.node_id}:{self.run.visit}"

    def remember(self, **values: Any) -> None:
        self.run.context = {**self.run.context, **values}

    def note(self, kind: str, **values: Any) -> None:
        assert self.run.id is not None
        row = {"flow_id": self.run.flow_id, "run_id": self.run.id, "contact_id": self.run.contact_id,
               "node_id": self.run.node_id, "kind": kind, "at": self.now, **_NO_VALUES, **values}
        if self.notes is not None and kind in DEFERRED_NOTES:
            self.notes.append(row)
        else:
            self.session.add(FlowEvent(**row))


DEFERRED_NOTES = frozenset({"passed", "exited"})
"""Stats rows no step reads (a `sent` row is: the frequency cap counts them), so a chunk inserts them last."""
_NO_VALUES = {"port": None, "reason": None, "amount_minor": None, "currency": None}


@lru_cache(maxsize=512)
def _graph(flow_id: int, version: int, definition_json: str) -> Graph:
    import json

    return Graph.of(json.loads(definition_json))


def graph_of(session: Session, run: FlowRun) -> Graph:
    import json

    found = session.exec(_version_query(run.flow_id, run.version)).first()
    if found is None:
        return Graph("", {}, "", {}, {})
    return _graph(run.flow_id, run.version, json.dumps(found.definition, sort_keys=True))


def _version_query(flow_id: int, version: int) -> Any:
    return select(FlowVersion).where(FlowVersion.flow_id == flow_id, FlowVersion.version == version)


def claim(session: Session, run_id: int, visit: int, now: datetime, *, due_only: bool = True) -> FlowRun | None:
    """The compare-and-set: the run, when this call moved it from `visit`; None when another did first."""
    if not _moved(session, run_id, visit, now, due_only=due_only):
        return None
    return session.get(FlowRun, run_id, populate_existing=True)


def _moved(session: Session, run_id: int, visit: int, now: datetime, *, due_only: bool = True) -> bool:
    conditions = [col(FlowRun.id) == run_id, col(FlowRun.visit) == visit, col(FlowRun.status).in_(LIVE)]
    if due_only:
        conditions.append(col(FlowRun.due_at) <= now)
    moved = session.execute(update(FlowRun).where(*conditions).values(visit=visit + 1, lease_until=None),
                            execution_options={"synchronize_session": False})
    return getattr(moved, "rowcount", 0) == 1


def advance(run_id: int, visit: int) -> str:
    """Job: apply the run's due step(s), once. A second delivery finds the visit moved on and does nothing."""
    after: list[Callable[[], object]] = []
    try:
        with session_scope() as session:
            outcome = run_steps(session, run_id, visit, clock.now(), after_commit=after)
    except Exception:
        log.exception("a flow step failed", extra={"run_id": run_id})
        return failed_step(run_id, visit)
    for call in after:
        call()
    return outcome


def advance_batch(handles: list[tuple[int, int]]) -> dict[str, int]:
    """Job: apply the due steps of each (run, visit) in one transaction; when a step of the chunk raises, each
    run alone (see the module's docstring)."""
    handles = [(int(run_id), int(visit)) for run_id, visit in handles]
    after: list[Callable[[], object]] = []
    try:
        with session_scope() as session:
            outcomes, solo = run_chunk(session, handles, clock.now(), after)
    except Exception:
        log.warning("a chunk of %d flow steps failed; advancing each run alone", len(handles), exc_info=True)
        return _one_by_one(handles)
    for call in after:
        call()
    for run_id, visit in solo:
        _count(outcomes, advance(run_id, visit))
    return outcomes


def _one_by_one(handles: list[tuple[int, int]]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for run_id, visit in handles:
        try:
            outcome = advance(run_id, visit)
        except Exception:  # one run's failure leaves the others to go on; its lease lets the sweeper retry it
            log.exception("a flow step failed", extra={"run_id": run_id})
            outcome = failed_step(run_id, visit)
        _count(outcomes, outcome)
    return outcomes


def _count(outcomes: dict[str, int], outcome: str) -> None:
    outcomes[outcome] = outcomes.get(outcome, 0) + 1


def _claim_chunk() -> Any:
    """UPDATE ... FROM unnest(:ids, :visits) ... RETURNING the runs: the chunk's compare-and-set and its rows in
    one statement, whose compiled form is cached (the handles are two array parameters)."""
    handed = (func.unnest(bindparam("ids", type_=ARRAY(Integer)), bindparam("visits", type_=ARRAY(Integer)))
              .table_valued("id", "visit").render_derived(name="handed"))
    return (update(FlowRun)
            .where(col(FlowRun.id) == handed.c.id, col(FlowRun.visit) == handed.c.visit,
                   col(FlowRun.status).in_(LIVE), col(FlowRun.due_at) <= bindparam("now", type_=_DUE_TYPE))
            .values(visit=col(FlowRun.visit) + 1, lease_until=None)
            .returning(FlowRun))


_DUE_TYPE = FlowRun.__table__.c.due_at.type  # type: ignore[attr-defined]
_CLAIM_CHUNK = _claim_chunk()


def claim_many(session: Session, handles: list[tuple[int, int]], now: datetime) -> list[FlowRun]:
    """`claim` for a chunk: the runs this call moved on from their visits (read afresh)."""
    if session.get_bind().dialect.name != "postgresql":  # SQLite serialises writers: one short UPDATE each
        claimed = [run_id for run_id, visit in handles if _moved(session, run_id, visit, now)]
        return list(session.exec(select(FlowRun).where(col(FlowRun.id).in_(claimed))
                                 .execution_options(populate_existing=True)).all())
    return list(session.scalars(_CLAIM_CHUNK, {"ids": [h[0] for h in handles], "visits": [h[1] for h in handles],
                                               "now": now},
                                execution_options={"synchronize_session": False, "populate_existing": True}))


def run_chunk(session: Session, handles: list[tuple[int, int]], now: datetime,
              after_commit: list[Callable[[], object]]) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """Claim the chunk's due runs and walk each; (outcomes, the runs stopped before a SOLO step)."""
    outcomes: dict[str, int] = {}
    runs = claim_many(session, handles, now)
    if len(runs) < len(handles):
        outcomes["stale"] = len(handles) - len(runs)
    if not runs:
        return outcomes, []
    graphs: dict[tuple[int, int], Graph] = {}
    solo: list[tuple[int, int]] = []
    notes: list[dict[str, Any]] = []
    for run in sorted(runs, key=lambda r: (as_utc(r.due_at) if r.due_at else now, r.id or 0)):
        key = (run.flow_id, run.version)
        if key not in graphs:
            graphs[key] = graph_of(session, run)
        due = as_utc(run.due_at) if run.due_at is not None else None
        step = Step(session, run, graphs[key], clock.now(), after_commit, batched=True, notes=notes)
        outcome = _walk(step, due=due)
        if outcome == "solo":
            solo.append((run.id or 0, run.visit))
        _count(outcomes, outcome)
    session.flush()
    if notes:
        session.execute(insert(FlowEvent), notes)
    return outcomes, solo


MAX_ERRORS = 5


def failed_step(run_id: int, visit: int) -> str:
    """A step raised (its transaction rolled back): count it on the run; after MAX_ERRORS the run ends `failed`
    (`step_error`) instead of being retried forever."""
    with session_scope() as session:
        run = session.get(FlowRun, run_id, with_for_update=True)
        if run is None or run.visit != visit or run.status not in LIVE:
            return "error"
        errors = int(run.context.get("errors") or 0) + 1
        run.context = {**run.context, "errors": errors}
        session.add(run)
        if errors >= MAX_ERRORS:
            finish(Step(session, run, graph_of(session, run), clock.now()), End(RunStatus.failed.value, "step_error"))
            return "failed"
    return "error"


def resume(session: Session, run: FlowRun, port: str, now: datetime, after_commit: list[Callable[[], object]],
           *, expect: str | None = None, before: Callable[[Step], None] | None = None) -> bool:
    """An event decides a holding step (a reply, an order): leave it by `port` and run on. False when the run
    had moved on already (or is no longer holding for `expect`)."""
    assert run.id is not None
    if expect is not None and (run.context.get("step") or {}).get("await") != expect:
        return False
    claimed = claim(session, run.id, run.visit, now, due_only=False)
    if claimed is None:
        return False
    step = Step(session, claimed, graph_of(session, claimed), now, after_commit)
    if before is not None:
        before(step)
    _walk(step, first=Go(port))
    return True


def answer(session: Session, run: FlowRun, now: datetime, after_commit: list[Callable[[], object]],
           **context: Any) -> bool:
    """A customer's message for a bot step waiting on it (`await: bot`): the step runs again with `context`
    (the message) in the run's context, and the run goes on. False when the run was not waiting so."""
    assert run.id is not None
    if (run.context.get("step") or {}).get("await") != "bot":
        return False
    claimed = claim(session, run.id, run.visit, now, due_only=False)
    if claimed is None:
        return False
    step = Step(session, claimed, graph_of(session, claimed), now, after_commit)
    step.remember(**context)
    _walk(step)
    return True


def run_steps(session: Session, run_id: int, visit: int, now: datetime,
              after_commit: list[Callable[[], object]] | None = None) -> str:
    run = session.get(FlowRun, run_id)
    due = as_utc(run.due_at) if run is not None and run.due_at is not None else None
    claimed = claim(session, run_id, visit, now)
    if claimed is None:
        return "stale"
    step = Step(session, claimed, graph_of(session, claimed), now, after_commit if after_commit is not None else [])
    return _walk(step, due=due)


def _walk(step: Step, first: Result | None = None, due: datetime | None = None) -> str:
    from flows.journeys import steps as kinds

    run, result = step.run, first
    for _ in range(MAX_STEPS):
        node = step.graph.nodes.get(run.node_id or "")
        if node is None:
            return finish(step, End(RunStatus.failed.value, "missing_step"))
        if result is None and step.batched and node.type in SOLO:
            run.due_at, run.updated_at, run.status = step.now, step.now, RunStatus.active.value
            step.session.add(run)
            return "solo"
        if result is None:
            result = _late(step, node, due) or kinds.apply(step, node)
        due = None
        if isinstance(result, End):
            return finish(step, result)
        if isinstance(result, Hold):
            run.due_at, run.updated_at = result.until, step.now
            run.status = RunStatus.waiting.value if result.waiting else RunStatus.active.value
            run.context = {**run.context, "step": {**step.state, **result.state, "held": True}}
            step.session.add(run)
            if not step.batched:
                step.session.flush()
            return "held"
        step.note("passed", port=result.port, reason=result.reason)
        target = step.graph.after(node.id, result.port)
        if target is None:
            return finish(step, End(_ended(run)))
        run.node_id, run.visit, run.due_at, run.status = target, run.visit + 1, step.now, RunStatus.active.value
        run.context = {k: v for k, v in run.context.items() if k != "step"}
        result = None
    run.updated_at = step.now  # a long chain of instant steps: the sweeper carries on
    step.session.add(run)
    if not step.batched:
        step.session.flush()
    return "continued"


def _late(step: Step, node: Node, due: datetime | None) -> Result | None:
    if due is None or node.type not in LATE_SENSITIVE:
        return None
    allowed = timedelta(minutes=int(step.graph.settings.get("max_lateness_minutes") or 1440))
    if step.now - due <= allowed:
        return None
    return Go("skipped" if node.type == "send_message" else "error", "too_late")


def _ended(run: FlowRun) -> str:
    return RunStatus.converted.value if run.context.get("converted") else RunStatus.completed.value


def finish(step: Step, end: End) -> str:
    run = step.run
    status = end.status
    if status == RunStatus.completed.value:
        status = _ended(run)
    run.status, run.exit_reason, run.due_at, run.live_contact_id = status, end.reason, None, None
    run.ended_at = run.updated_at = step.now
    run.context = {k: v for k, v in run.context.items() if k != "step"}
    step.session.add(run)
    if status in (RunStatus.exited.value, RunStatus.failed.value, RunStatus.cancelled.value):
        step.note("exited", reason=end.reason or status)
    if not step.batched:
        step.session.flush()
    announce.run_finished(step.session, run_id=run.id or 0, flow_id=run.flow_id, contact_id=run.contact_id,
                          status=status, reason=end.reason, ended_at=step.now)
    return status


def queued() -> int:
    """Jobs waiting on the runner's queue (0 when Redis cannot say: the leases cover what is lost)."""
    try:
        return int(broker.queue(QUEUE).count)
    except Exception:
        return 0


def kick_many(handles: list[tuple[int, int]], chunk: int = CHUNK) -> None:
    """Queue due runs in chunks of `chunk` (see `advance_batch`)."""
    for start in range(0, len(handles), chunk):
        try:
            broker.enqueue(QUEUE, advance_batch, handles[start:start + chunk])
        except Exception as error:  # Redis down: the rows are due, the sweeper hands them on after the lease
            log.warning("could not queue %d runs: %s", len(handles[start:start + chunk]), error)


def kick(run_id: int, visit: int) -> None:
    """Queue the run's due step now (after the commit that made it due); the sweeper covers a lost job."""
    try:
        broker.enqueue(QUEUE, advance, run_id, visit)
    except Exception as error:  # Redis down: the row is due, the sweeper hands it on
        log.warning("could not queue run %s: %s", run_id, error)
