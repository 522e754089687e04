"""Journeys' API: flows (marketers and admins edit; every signed-in user may list them, to start a manual
flow from the inbox), versions, publish, runs (agents: only of contacts in conversations they see), stats,
staff tasks, and the editor's helpers (validate, preview, templates)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, or_, select

from flows.journeys import graph, runner, service, templates
from flows.journeys.models import Flow, FlowRun, FlowStatus, RunStatus, Task, TaskStatus
from flows.journeys.preview import preview_node
from flows.journeys.stats import stats as flow_stats
from hub.agents import service as agents
from hub.agents.models import Role, User
from hub.api.deps import CurrentUser, DbSession, MarketerUser
from hub.conversations.models import Conversation

router = APIRouter(prefix="/api/v1", tags=["flows"])
Id = Annotated[int, Path(ge=1)]

EXAMPLE = {
    "trigger": {"type": "order_paid", "config": {}},
    "start": "n1",
    "nodes": [{"id": "n1", "type": "wait", "config": {"minutes": 1440}, "position": {"x": 120, "y": 80}},
              {"id": "n2", "type": "send_message", "config": {"text": {
                  "en": "Thanks, {{ first_name }}!", "zh-Hant": "多謝你，{{ first_name }}！",
                  "ja": "{{ first_name }}様、ありがとうございます！"}}}],
    "edges": [{"from": "n1", "port": "next", "to": "n2"}],
    "settings": {"allow_parallel_runs": False, "reentry_after_days": None, "exit_on_human": True,
                 "max_lateness_minutes": 1440, "goal": None},
}


class ProblemCode(StrEnum):
    unreachable_node = "unreachable_node"
    missing_port = "missing_port"
    unknown_port = "unknown_port"
    unknown_node_type = "unknown_node_type"
    bad_config = "bad_config"
    no_timeout = "no_timeout"
    no_start = "no_start"
    cycle_without_wait = "cycle_without_wait"
    unknown_trigger = "unknown_trigger"
    bad_quiet_hours = "bad_quiet_hours"


class Problem(BaseModel):
    node_id: str | None = Field(examples=["n3"])
    code: ProblemCode
    message: str = Field(examples=["waiting for a reply needs `timeout_minutes`"])


class ProblemsOut(BaseModel):
    problems: list[Problem]


class Refusal(BaseModel):
    detail: str
    problems: list[Problem] = Field(default_factory=list)


class Draft(BaseModel):
    version: int = Field(examples=[3])
    definition: dict[str, Any] = Field(examples=[EXAMPLE])


class FlowOut(BaseModel):
    id: int
    name: str = Field(examples=["Post-purchase follow-up"])
    description: str
    status: FlowStatus
    published_version: int | None = Field(examples=[2])
    trigger_type: str | None = Field(description="the published version's trigger", examples=["order_paid"])
    draft: Draft
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class FlowIn(BaseModel):
    """A new flow from a definition, or from a ready-made `template` (GET /api/v1/flow-templates)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200, examples=["Post-purchase follow-up"])
    description: str = Field(default="", max_length=2000)
    definition: dict[str, Any] | None = Field(default=None, examples=[EXAMPLE])
    template: str | None = Field(default=None, examples=["post_purchase"])
    locale: str | None = Field(default=None, description="the template's name and description in this language",
                               examples=["zh-Hant"])


class FlowPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    definition: dict[str, Any] | None = Field(default=None, description="a changed one is a new version")


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, description="default: the draft (newest version)")


class UnpublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cancel_runs: bool = Field(default=False, description="cancel running runs too (else they go on to their end)")


class VersionOut(BaseModel):
    version: int
    created_at: datetime
    created_by: int | None
    published_at: datetime | None


class RunOut(BaseModel):
    id: int
    flow_id: int
    version: int
    contact_id: int
    status: RunStatus
    node_id: str | None = Field(examples=["n2"])
    exit_reason: str | None = Field(examples=["opted_out"])
    started_at: datetime
    updated_at: datetime


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: int = Field(ge=1)
    test: bool = Field(default=False, description="a test run: waits 60 times faster, entry rules not applied, "
                                                  "starts on the draft when the flow is not published")


class NodeStats(BaseModel):
    entered: int
    waiting: int
    ports: dict[str, int] = Field(examples=[{"sent": 120, "skipped": 4}])
    skipped: dict[str, int] = Field(examples=[{"frequency_cap": 3, "outside_window": 1}])


class StatsOut(BaseModel):
    entered: int
    active: int
    waiting: int
    completed: int
    converted: int
    revenue: dict[str, int] = Field(description="minor units per currency", examples=[{"HKD": 128000}])
    exited: dict[str, int] = Field(examples=[{"opted_out": 2, "human_took_over": 5}])
    nodes: dict[str, NodeStats]


class TaskOut(BaseModel):
    id: int
    title: str = Field(examples=["Call this sleeping regular"])
    contact_id: int
    conversation_id: int | None
    agent_id: int | None
    team_id: int | None
    due_at: datetime | None
    status: TaskStatus
    flow_id: int | None
    run_id: int | None


class TaskPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TaskStatus


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] = Field(examples=[EXAMPLE])


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node: dict[str, Any] = Field(examples=[{"id": "n2", "type": "send_message",
                                            "config": {"text": {"en": "Hi {{ first_name }}"}}}])
    channel_id: int | None = None
    locale: str = Field(default="en", examples=["ja"])


class Rendered(BaseModel):
    kind: str = Field(examples=["buttons"])
    text: str
    buttons: list[str]


class PreviewOut(BaseModel):
    rendered: list[Rendered]
    warnings: list[str]


class TemplateOut(BaseModel):
    key: str = Field(examples=["post_purchase"])
    name: str
    description: str
    definition: dict[str, Any]


def _refused(error: Exception) -> HTTPException:
    if isinstance(error, service.NotFound):
        return HTTPException(404, str(error))
    return HTTPException(409 if isinstance(error, service.Conflict) else 422, str(error))


def _flow_out(session: Session, flow: Flow) -> FlowOut:
    draft = service.version_of(session=session, flow_id=flow.id or 0, version=flow.draft_version)
    return FlowOut(id=flow.id or 0, name=flow.name, description=flow.description, status=FlowStatus(flow.status),
                   published_version=flow.published_version, trigger_type=flow.trigger_type,
                   draft=Draft(version=draft.version, definition=draft.definition), created_by=flow.created_by,
                   created_at=flow.created_at, updated_at=flow.updated_at)


def _run_out(run: FlowRun) -> RunOut:
    return RunOut.model_validate(run.model_dump())


def _found(session: Session, flow_id: int) -> Flow:
    try:
        return service.get(session=session, flow_id=flow_id)
    except service.NotFound as error:
        raise _refused(error) from None


def _visible_contacts(session: Session, user: User) -> Any:
    """None for marketers and admins (every contact); else the contacts of the conversations the agent sees."""
    if user.role in (Role.admin, Role.marketer):
        return None
    return select(col(Conversation.contact_id)).where(agents.can_see_conversations(session, user))


def _invalid(error: service.Invalid) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": str(error), "problems": error.problems})


@router.get("/flows", response_model=list[FlowOut])
def list_flows(session: DbSession, _: CurrentUser) -> list[FlowOut]:
    """Every flow with its draft; agents may list them (to start a manual flow), only marketers and admins edit."""
    return [_flow_out(session, flow) for flow in service.list_flows(session=session)]


@router.post("/flows", response_model=FlowOut, status_code=201, responses={422: {"model": Refusal}})
def create_flow(body: FlowIn, session: DbSession, user: MarketerUser) -> FlowOut:
    """A new draft from `definition`, or from a ready-made `template` (then `name` is optional)."""
    try:
        if body.template is not None:
            made = templates.get(body.template, body.locale or "en")
            if made is None:
                raise service.FlowError(f"there is no template {body.template!r}; see GET /api/v1/flow-templates")
            flow = service.create(session=session, name=body.name or made["name"], definition=made["definition"],
                                  description=body.description or made["description"], created_by=user.id)
        elif body.name is None or body.definition is None:
            raise service.FlowError("give a `name` and a `definition`, or a `template`")
        else:
            flow = service.create(session=session, name=body.name, definition=body.definition,
                                  description=body.description, created_by=user.id)
    except service.FlowError as error:
        raise _refused(error) from None
    session.commit()
    return _flow_out(session, flow)


@router.post("/flows/validate", response_model=ProblemsOut)
def validate_flow(body: ValidateIn, _: MarketerUser) -> ProblemsOut:
    """The problems publishing would refuse (none: it may be published)."""
    return ProblemsOut(problems=[Problem.model_validate(p) for p in graph.problems(body.definition)])


@router.post("/flows/preview", response_model=PreviewOut)
def preview_flow_node(body: PreviewIn, session: DbSession, _: MarketerUser) -> PreviewOut:
    """How a `send_message` step looks on a channel, in a language, for a sample customer."""
    rendered, warnings = preview_node(session, body.node, body.channel_id, body.locale)
    return PreviewOut(rendered=[Rendered.model_validate(r) for r in rendered], warnings=warnings)


@router.get("/flows/{flow_id}", response_model=FlowOut)
def get_flow(flow_id: Id, session: DbSession, _: CurrentUser) -> FlowOut:
    return _flow_out(session, _found(session, flow_id))


@router.patch("/flows/{flow_id}", response_model=FlowOut)
def update_flow(flow_id: Id, body: FlowPatch, session: DbSession, user: MarketerUser) -> FlowOut:
    """Rename, describe, or save a definition: a changed definition is a new version; runs keep theirs."""
    try:
        flow = service.update(session=session, flow_id=flow_id, actor_id=user.id, name=body.name,
                              description=body.description, definition=body.definition)
    except service.FlowError as error:
        raise _refused(error) from None
    except service.NotFound as error:
        raise _refused(error) from None
    session.commit()
    return _flow_out(session, flow)


@router.delete("/flows/{flow_id}", status_code=204, responses={409: {"model": Refusal}})
def delete_flow(flow_id: Id, session: DbSession, _: MarketerUser, cancel_runs: bool = False) -> Response:
    """Refused (409) while runs are active, unless `cancel_runs=true`."""
    try:
        service.delete(session=session, flow_id=flow_id, cancel_runs=cancel_runs)
    except (service.NotFound, service.FlowError) as error:
        raise _refused(error) from None
    session.commit()
    return Response(status_code=204)


@router.post("/flows/{flow_id}/publish", response_model=FlowOut, responses={422: {"model": Refusal}})
def publish_flow(flow_id: Id, session: DbSession, _: MarketerUser, body: PublishIn | None = None) -> Any:
    """New runs start on this version from now on; 422 with `problems` when it has any."""
    try:
        flow = service.publish(session=session, flow_id=flow_id, version=body.version if body else None)
    except service.Invalid as error:
        return _invalid(error)
    except (service.NotFound, service.FlowError) as error:
        raise _refused(error) from None
    session.commit()
    return _flow_out(session, flow)


@router.post("/flows/{flow_id}/unpublish", response_model=FlowOut)
def unpublish_flow(flow_id: Id, session: DbSession, _: MarketerUser, body: UnpublishIn | None = None) -> FlowOut:
    """No new runs; running ones go on to their end, or are cancelled with `cancel_runs`."""
    try:
        flow = service.unpublish(session=session, flow_id=flow_id, cancel_runs=bool(body and body.cancel_runs))
    except service.NotFound as error:
        raise _refused(error) from None
    session.commit()
    return _flow_out(session, flow)


@router.get("/flows/{flow_id}/versions", response_model=list[VersionOut])
def list_versions(flow_id: Id, session: DbSession, _: MarketerUser) -> list[VersionOut]:
    try:
        return [VersionOut.model_validate(v.model_dump()) for v in service.versions(session=session, flow_id=flow_id)]
    except service.NotFound as error:
        raise _refused(error) from None


@router.get("/flows/{flow_id}/runs", response_model=list[RunOut])
def list_runs(flow_id: Id, session: DbSession, user: CurrentUser, status: RunStatus | None = None,
              contact_id: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
              before: int | None = Query(default=None, description="runs with a smaller id (the next page)")
              ) -> list[RunOut]:
    """Newest first. Agents see only runs of contacts in conversations they can see."""
    _found(session, flow_id)
    runs = service.list_runs(session=session, flow_id=flow_id, status=status.value if status else None,
                             contact_id=contact_id, limit=limit, before=before,
                             contact_ids=_visible_contacts(session, user))
    return [_run_out(run) for run in runs]


@router.get("/flows/{flow_id}/stats", response_model=StatsOut)
def get_stats(flow_id: Id, session: DbSession, _: MarketerUser) -> StatsOut:
    """Per flow and per step: entered, waiting, passed by each port, skipped and exited by reason, converted,
    revenue per currency."""
    _found(session, flow_id)
    return StatsOut.model_validate(flow_stats(session, flow_id))


@router.post("/flows/{flow_id}/runs", response_model=RunOut, status_code=201, responses={409: {"model": Refusal}})
def start_run(flow_id: Id, body: RunIn, session: DbSession, user: CurrentUser) -> RunOut:
    """Start a contact on the flow (an `api` or `manual` trigger; marketers and admins any published flow; agents a
    published `manual` flow for a contact they see). 409 when the entry rules refuse."""
    flow = _found(session, flow_id)
    staff = user.role in (Role.admin, Role.marketer)
    if not staff:
        visible = session.execute(_visible_contacts(session, user).where(
            col(Conversation.contact_id) == body.contact_id).limit(1)).first()
        if flow.trigger_type != "manual" or body.test or visible is None:
            raise HTTPException(403, "agents may start a published manual flow for a customer they can see")
    version = None if flow.published_version or not body.test else flow.draft_version
    if version is None and flow.status != FlowStatus.published.value:
        raise HTTPException(409, "the flow is not published")
    run = service.start_run(session=session, flow=flow, contact_id=body.contact_id, test=body.test, version=version,
                            entry_key=None)
    if run is None:
        raise HTTPException(409, "the contact is in this flow already, or may not enter it again yet")
    session.commit()
    runner.kick(run.id or 0, run.visit)
    return _run_out(run)


@router.post("/flow-runs/{run_id}/cancel", response_model=RunOut)
def cancel_run(run_id: Id, session: DbSession, _: MarketerUser) -> RunOut:
    try:
        run = service.cancel_run(session=session, run_id=run_id)
    except service.NotFound as error:
        raise _refused(error) from None
    session.commit()
    return _run_out(run)


@router.get("/flow-templates", response_model=list[TemplateOut])
def list_templates(_: MarketerUser, locale: str = "en") -> list[TemplateOut]:
    """Ready-made flows, named and described in `locale` (en, zh-Hant, ja); their messages carry all three."""
    return [TemplateOut.model_validate(t) for t in templates.catalogue(locale)]


def _tasks_visible(session: Session, user: User) -> Any:
    if user.role in (Role.admin, Role.marketer):
        return None
    teams = agents.team_ids_of(session=session, user_id=user.id or 0)
    seen = select(col(Conversation.contact_id)).where(agents.can_see_conversations(session, user))
    return or_(col(Task.agent_id) == user.id, col(Task.team_id).in_(teams or [0]),
               col(Task.agent_id).is_(None) & col(Task.contact_id).in_(seen))


@router.get("/tasks", response_model=list[TaskOut])
def list_tasks(session: DbSession, user: CurrentUser, status: TaskStatus | None = TaskStatus.open,
               mine: bool = False, limit: Annotated[int, Query(ge=1, le=500)] = 200) -> list[TaskOut]:
    """Staff tasks flows created, soonest due first. Agents: theirs, their teams', and unassigned ones on
    customers they see; `mine`: only those assigned to me."""
    query = select(Task)
    if status is not None:
        query = query.where(Task.status == status.value)
    if mine:
        query = query.where(Task.agent_id == user.id)
    visible = _tasks_visible(session, user)
    if visible is not None:
        query = query.where(visible)
    rows = session.exec(query.order_by(col(Task.due_at), col(Task.id)).limit(limit)).all()
    return [TaskOut.model_validate(t.model_dump()) for t in rows]


@router.patch("/tasks/{task_id}", response_model=TaskOut)
def update_task(task_id: Id, body: TaskPatch, session: DbSession, user: CurrentUser) -> TaskOut:
    visible = _tasks_visible(session, user)
    query = select(Task).where(Task.id == task_id)
    task = session.exec(query.where(visible) if visible is not None else query).first()
    if task is None:
        raise HTTPException(404, f"there is no task {task_id} you can see")
    from flows.journeys import clock

    task.status = body.status.value
    task.done_at, task.done_by = (clock.now(), user.id) if body.status == TaskStatus.done else (None, None)
    session.add(task)
    session.commit()
    return TaskOut.model_validate(task.model_dump())
