"""Triggers: the core's and the catalog's events start runs, and decide the steps that wait on them.

A listener only queues a job that takes ids (`flows.campaigns.listeners`' rule); the job reads what it
needs in its own session, starts runs under the entry rules (`service.start_run`; the entry key names the
event, so an event delivered three times starts one run) and applies their first steps at once.

Which event starts what (trigger → event):
- message_received → message.received (keywords: a word of the text, any, case-folded; tags: the
  conversation's; channel_ids);
- conversation_opened → conversation.opened; conversation_resolved → conversation.updated status resolved;
- tag_added / tag_removed → conversation.updated (tag / untagged) and contact.updated (tag);
- order_paid → order.paid (min_total_minor); checkout_expired → order.changed status expired;
- lifecycle_changed / vip_reached → contact.updated with the behaviour tag `catalog.behaviour` puts on
  (`lifecycle: repeat sleeping`, `VIP`); `to` matches the new cell, `from` the cell the contact left (the
  event's `replaces`; a first cell has none, so a `from` list never matches it);
- tier_changed → loyalty.tier_changed (`to`: tier names; empty: any change, up or down);
- cart_abandoned, date_field, schedule, segment_entered: the periodic checks in `jobs` (no event exists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from catalog.behaviour import LIFECYCLE, VIP
from catalog.models import Order
from flows.journeys import clock, interest, runner, service
from flows.journeys.models import LIVE, FlowRun
from hub.conversations import service as conversations
from hub.conversations.models import Message
from hub.runtime import broker, events, queues
from hub.runtime.db import session_scope
from hub.tags.models import ConversationTag, Tag

QUEUE = queues.FLOWS


def matches(trigger: str, config: dict[str, Any], facts: dict[str, Any]) -> bool:
    """Does an event (its `facts`) meet a flow's trigger config?"""
    channels = config.get("channel_ids") or []
    if channels and facts.get("channel_id") not in channels:
        return False
    if trigger == "message_received":
        keywords = [str(k).casefold() for k in config.get("keywords") or [] if str(k).strip()]
        text = str(facts.get("text") or "").casefold()
        if keywords and not any(k in text for k in keywords):
            return False
        tags = set(config.get("tags") or [])
        return not tags or bool(tags & set(facts.get("tags") or []))
    if trigger in ("tag_added", "tag_removed"):
        tags = set(config.get("tags") or [])
        return not tags or facts.get("tag") in tags
    if trigger == "lifecycle_changed":
        wanted = {str(c).replace("_", " ") for c in config.get("to") or []}
        left = {str(c).replace("_", " ") for c in config.get("from") or []}
        return (not wanted or str(facts.get("to")) in wanted) and (not left or str(facts.get("from")) in left)
    if trigger == "order_paid":
        return int(facts.get("total_minor") or 0) >= int(config.get("min_total_minor") or 0)
    if trigger == "tier_changed":
        wanted = {str(name).casefold() for name in config.get("to") or [] if str(name).strip()}
        return not wanted or str(facts.get("to") or "").casefold() in wanted
    return True


def enter(session: Session, trigger: str, contact_id: int, conversation_id: int | None, event_key: str,
          facts: dict[str, Any]) -> list[FlowRun]:
    """Start the contact on every published flow this event triggers (at most once per flow and event)."""
    started = []
    for flow, definition in service.published_with_trigger(session=session, trigger=trigger):
        trigger_config = (definition.get("trigger") or {}).get("config") or {}
        if not matches(trigger, trigger_config, facts):
            continue
        run = service.start_run(session=session, flow=flow, contact_id=contact_id, conversation_id=conversation_id,
                                entry_key=f"{trigger}:{event_key}")
        if run is not None:
            started.append(run)
    return started


def enter_and_run(trigger: str, contact_id: int, conversation_id: int | None, event_key: str,
                  facts: dict[str, Any]) -> int:
    """Job: start the runs an event triggers and apply their first steps in this job."""
    with session_scope() as session:
        started = [(run.id or 0, run.visit) for run in enter(session, trigger, contact_id, conversation_id,
                                                              event_key, facts)]
    for run_id, visit in started:
        runner.advance(run_id, visit)
    return len(started)


def _queue(call: Callable[..., object], *args: Any) -> None:
    broker.enqueue(QUEUE, call, *args)


# --- jobs the listeners queue -------------------------------------------------------------------------------


def message_received(message_id: int) -> int:
    """Job: a customer's message answers runs waiting for a reply, and may start flows."""
    after: list[Callable[[], object]] = []
    with session_scope() as session:
        message = session.get(Message, message_id)
        conversation = conversations.get(session=session, conversation_id=message.conversation_id) if message else None
        if message is None or conversation is None:
            return 0
        port_of = _reply_port(message)
        for run in _holding(session, conversation.contact_id, "reply"):
            if message_id <= int((run.context.get("step") or {}).get("after") or 0):
                continue  # written before the run began to wait
            buttons = (runner.graph_of(session, run).nodes.get(run.node_id or "") or _NONE).config.get("buttons") or []
            port = port_of if port_of.removeprefix("button:") in buttons else "replied"
            runner.resume(session, run, port, clock.now(), after, expect="reply")
        tags = [str(name) for name in session.execute(select(col(Tag.name)).join(
            ConversationTag, col(ConversationTag.tag_id) == col(Tag.id)).where(
            col(ConversationTag.conversation_id) == conversation.id)).scalars()]
        facts = {"text": message.text, "channel_id": conversation.channel_id, "tags": tags}
        contact_id, conversation_id = conversation.contact_id, conversation.id
    for call in after:
        call()
    return enter_and_run("message_received", contact_id, conversation_id, f"message:{message_id}", facts)


class _Empty:
    config: dict[str, Any] = {}


_NONE = _Empty()


def _reply_port(message: Message) -> str:
    """`button:<id>` for a tap on one of our buttons, else `replied`."""
    payload = message.payload or {}
    for key in ("button_id", "id", "data", "payload"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return f"button:{value}"
    button = payload.get("button") or payload.get("interactive") or {}
    if isinstance(button, dict):
        value = button.get("id") or button.get("payload")
        if isinstance(value, str):
            return f"button:{value}"
    return "replied"


def _holding(session: Session, contact_id: int, awaiting: str) -> list[FlowRun]:
    runs = session.exec(select(FlowRun).where(FlowRun.contact_id == contact_id, col(FlowRun.status).in_(LIVE))
                        .order_by(col(FlowRun.id))).all()
    return [run for run in runs if (run.context.get("step") or {}).get("await") == awaiting]


def delivery_failed(message_ids: list[int]) -> int:
    """Job: a flow's message that failed moves a run waiting for its reply to `failed`."""
    after: list[Callable[[], object]] = []
    moved = 0
    with session_scope() as session:
        for message_id in message_ids:
            message = session.get(Message, message_id)
            if message is None or message.sender != "flow":
                continue
            conversation = conversations.get(session=session, conversation_id=message.conversation_id)
            for run in _holding(session, conversation.contact_id if conversation else 0, "reply"):
                if run.context.get("last_message_id") == message_id:
                    moved += runner.resume(session, run, "failed", clock.now(), after, expect="reply")
    for call in after:
        call()
    return moved


def outbound_created(message_id: int) -> int:
    """Job: an agent answered in the conversation: runs of flows with `exit_on_human` exit (`human_took_over`)."""
    with session_scope() as session:
        message = session.get(Message, message_id)
        if message is None or message.author_id is None or message.sender != "reply":
            return 0
        conversation = conversations.get(session=session, conversation_id=message.conversation_id)
        if conversation is None:
            return 0
        return exit_runs(session, conversation.contact_id, "human_took_over", only_exit_on_human=True)


def exit_runs(session: Session, contact_id: int, reason: str, *, only_exit_on_human: bool = False) -> int:
    from flows.journeys.runner import End, Step, finish

    done, now = 0, clock.now()
    for run in session.exec(select(FlowRun).where(FlowRun.contact_id == contact_id, col(FlowRun.status).in_(LIVE))):
        graph = runner.graph_of(session, run)
        if only_exit_on_human and not graph.settings.get("exit_on_human"):
            continue
        claimed = runner.claim(session, run.id or 0, run.visit, now, due_only=False)
        if claimed is not None:
            finish(Step(session, claimed, graph, now), End("exited", reason))
            done += 1
    return done


def contact_updated(contact_id: int, tag: str | None, replaces: str | None = None) -> int:
    """Job: an opt-out ends the contact's runs (`opted_out`); a new contact tag may start flows."""
    with session_scope() as session:
        opted_out = any(_newest_is_opt_out(session, contact_id, channel_id)
                        for channel_id in _channels_of(session, contact_id))
        exited = exit_runs(session, contact_id, "opted_out") if opted_out else 0
    if tag:
        stamp = f"{contact_id}:{tag}:{clock.now():%Y%m%d%H%M}"
        enter_and_run("tag_added", contact_id, None, f"contact:{stamp}", {"tag": tag})
        if tag == VIP:
            enter_and_run("vip_reached", contact_id, None, f"vip:{stamp}", {})
        if tag.startswith(LIFECYCLE):
            left = replaces.removeprefix(LIFECYCLE) if replaces and replaces.startswith(LIFECYCLE) else None
            enter_and_run("lifecycle_changed", contact_id, None, f"cell:{stamp}",
                          {"to": tag.removeprefix(LIFECYCLE), "from": left})
    return exited


def _channels_of(session: Session, contact_id: int) -> list[int]:
    from hub.conversations.models import Conversation

    return [int(c) for c in session.execute(select(col(Conversation.channel_id)).where(
        col(Conversation.contact_id) == contact_id)).scalars()]


def _newest_is_opt_out(session: Session, contact_id: int, channel_id: int) -> bool:
    from hub.contacts.service import consent_status

    return consent_status(session=session, contact_id=contact_id, channel_id=channel_id) == "opted_out"


def conversation_event(trigger: str, conversation_id: int, key: str, facts: dict[str, Any]) -> int:
    with session_scope() as session:
        conversation = conversations.get(session=session, conversation_id=conversation_id)
        if conversation is None:
            return 0
        contact_id = conversation.contact_id
        facts = {**facts, "channel_id": conversation.channel_id}
    return enter_and_run(trigger, contact_id, conversation_id, key, facts)


def order_paid(order_id: int) -> int:
    """Job: a paid order converts runs within their goal (flow goal or a goal step), then may start flows."""
    after: list[Callable[[], object]] = []
    with session_scope() as session:
        order = session.get(Order, order_id)
        if order is None:
            return 0
        now = clock.now()
        for run in session.exec(select(FlowRun).where(FlowRun.contact_id == order.contact_id,
                                                      col(FlowRun.status).in_(LIVE))).all():
            _convert(session, run, order, now, after)
        contact_id, conversation_id = order.contact_id, order.conversation_id
        facts = {"total_minor": order.total_minor, "channel_id": order.channel_id}
    for call in after:
        call()
    return enter_and_run("order_paid", contact_id, conversation_id, f"order:{order_id}", facts)


def _convert(session: Session, run: FlowRun, order: Order, now: Any, after: list[Callable[[], object]]) -> None:
    """A goal step holding → `converted`; a flow's goal window open → the run ends `converted`. Revenue is noted."""
    from flows.journeys.runner import End, Step, finish
    from hub.runtime.db import as_utc

    if run.context.get("converted") or as_utc(run.started_at) > as_utc(order.paid_at or now):
        return  # the order that started the run is not its conversion
    holding_goal = (run.context.get("step") or {}).get("await") == "goal"
    if not holding_goal and (run.goal_until is None or as_utc(run.goal_until) < now):
        return

    def mark(step: Step) -> None:
        step.remember(converted=True)
        step.note("converted", amount_minor=order.total_minor, currency=order.currency)

    if holding_goal:
        runner.resume(session, run, "converted", now, after, expect="goal", before=mark)
        return
    claimed = runner.claim(session, run.id or 0, run.visit, now, due_only=False)
    if claimed is not None:
        step = Step(session, claimed, runner.graph_of(session, claimed), now, after)
        mark(step)
        finish(step, End("converted", "goal"))


def order_changed(order_id: int, status: str) -> int:
    if status != "expired":
        return 0
    with session_scope() as session:
        order = session.get(Order, order_id)
        if order is None:
            return 0
        contact_id, conversation_id = order.contact_id, order.conversation_id
        facts = {"channel_id": order.channel_id}
    return enter_and_run("checkout_expired", contact_id, conversation_id, f"order:{order_id}", facts)


# --- listeners (registered by flows.module) ------------------------------------------------------------------
# A listener queues a job only when something may care: a published flow with that trigger, or a live run.
# The published triggers are read at most every INTEREST_SECONDS per process (a flow published elsewhere starts
# being triggered within that time); whether runs are live is asked without a cache where a run waits on it.

def tier_changed(contact_id: int, from_tier: str | None, to_tier: str | None, key: str) -> int:
    """Job: a contact's loyalty tier changed: start the flows waiting for it."""
    return enter_and_run("tier_changed", contact_id, None, f"tier:{contact_id}:{key}",
                         {"from": from_tier, "to": to_tier})


def _wanted(*triggers: str, live_runs: bool = False) -> bool:
    try:
        published, live = interest.published()
    except Exception:  # the database is busy or down: queue the job, which decides in its own session
        return True
    return bool(published & set(triggers)) or (live_runs and live)


def _contact_has_runs(contact_id: Any) -> bool:
    """Whether the contact may have a live run (True when unknown or when the database could not say)."""
    if contact_id is None:
        return True
    with_runs = _contacts_with_runs({int(contact_id)})
    return with_runs is None or int(contact_id) in with_runs


def _contacts_with_runs(contact_ids: set[int]) -> set[int] | None:
    """Which of these contacts have a live run, in one query (None: the database could not say)."""
    if not contact_ids:
        return set()
    try:
        with session_scope() as session:
            return set(session.execute(select(col(FlowRun.contact_id)).distinct().where(
                col(FlowRun.contact_id).in_(sorted(contact_ids)), col(FlowRun.status).in_(LIVE))).scalars())
    except Exception:
        return None


def on_messages_received(batch: list[events.Event]) -> None:
    """A commit's customer messages: a job for each that a published flow or a contact's live run may want,
    asking the database once for the whole batch (a run waiting for a reply is never answered from a cache)."""
    received = [event for event in batch if event.data.get("message_id") is not None]
    if not received:
        return
    if not _wanted("message_received"):
        known = {int(event.data["contact_id"]) for event in received if event.data.get("contact_id") is not None}
        with_runs = _contacts_with_runs(known)
        received = [event for event in received if with_runs is None or event.data.get("contact_id") is None
                    or int(event.data["contact_id"]) in with_runs]
    for event in received:
        _queue(message_received, int(event.data["message_id"]))


def on_statuses(batch: list[events.Event]) -> None:
    failed = [int(e.data["message_id"]) for e in batch if e.data.get("status") == "failed" and e.data.get("message_id")]
    if failed and _wanted(live_runs=True):
        _queue(delivery_failed, failed)


def on_message_created(event: events.Event) -> None:
    if event.data.get("direction") == "outbound" and event.data.get("message_id") is not None \
            and _wanted(live_runs=True):
        _queue(outbound_created, int(event.data["message_id"]))


def on_conversation_opened(event: events.Event) -> None:
    if event.data.get("conversation_id") is not None and _wanted("conversation_opened"):
        cid = int(event.data["conversation_id"])
        _queue(conversation_event, "conversation_opened", cid, f"opened:{cid}:{clock.now():%Y%m%d%H%M%S}", {})


def on_conversation_updated(event: events.Event) -> None:
    data, cid = event.data, event.data.get("conversation_id")
    if cid is None or not (data.get("status") == "resolved" or data.get("tag") or data.get("untagged")):
        return
    if not _wanted("conversation_resolved", "tag_added", "tag_removed"):
        return
    stamp = f"{clock.now():%Y%m%d%H%M%S}"
    if data.get("status") == "resolved":
        _queue(conversation_event, "conversation_resolved", int(cid), f"resolved:{cid}:{stamp}", {})
    if data.get("tag"):
        _queue(conversation_event, "tag_added", int(cid), f"tag:{cid}:{data['tag']}:{stamp}", {"tag": data["tag"]})
    if data.get("untagged"):
        _queue(conversation_event, "tag_removed", int(cid), f"untag:{cid}:{data['untagged']}:{stamp}",
               {"tag": data["untagged"]})


def on_contact_updated(event: events.Event) -> None:
    contact_id = event.data.get("contact_id")
    if contact_id is None or event.data.get("source") == "flow":
        return  # a flow's own tag step: automations do not trigger on what automations did
    tagged = event.data.get("tag") and _wanted("tag_added", "vip_reached", "lifecycle_changed")
    if tagged or _contact_has_runs(contact_id):
        _queue(contact_updated, int(contact_id), event.data.get("tag"), event.data.get("replaces"))


def on_order_paid(event: events.Event) -> None:
    if event.data.get("order_id") is None:
        return
    if _wanted("order_paid") or _contact_has_runs(event.data.get("contact_id")):
        _queue(order_paid, int(event.data["order_id"]))


def on_order_changed(event: events.Event) -> None:
    if event.data.get("order_id") is not None and event.data.get("status") == "expired" \
            and _wanted("checkout_expired"):
        _queue(order_changed, int(event.data["order_id"]), "expired")


def on_tier_changed(event: events.Event) -> None:
    contact_id = event.data.get("contact_id")
    if contact_id is None or not _wanted("tier_changed"):
        return
    key = str(event.data.get("entry_id") or f"{event.data.get('to_tier')}:{clock.now():%Y%m%d%H%M%S}")
    _queue(tier_changed, int(contact_id), event.data.get("from_tier"), event.data.get("to_tier"), key)
