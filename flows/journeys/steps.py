"""What each step does when the runner reaches it (see docs/flows.md for the ports).

A step answers `Go(port)`, `Hold(until)` (stay; when it is due again it runs with `step.state["held"]`
set) or `End(status)`. Its effects go through hub's and the flows' services in the runner's transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import aiohttp
from sqlmodel import col, select

from channels.netguard import blocked_reason, check_destination, guarded_session
from flows.bots.steps import BOT_KINDS
from flows.journeys import clock, messages
from flows.journeys.graph import Node
from flows.journeys.models import Flow, Task
from flows.journeys.runner import End, Go, Hold, Result, Step, kick
from flows.segments.compile import SegmentError
from flows.segments.compile import compile as compile_condition
from hub.contacts import locales
from hub.contacts import manage as contact_changes
from hub.contacts import service as contacts
from hub.contacts.models import Contact
from hub.conversations import actions
from hub.runtime.settings import get_settings
from hub.tagging import service as tagging
from hub.tags.models import ConversationTag, Tag

SOURCE = "flow"


def apply(step: Step, node: Node) -> Result:
    return KINDS[node.type](step, node.config)


def _minutes(step: Step, minutes: float) -> datetime:
    return step.now + clock.span(minutes, step.run.test)


def _zone(step: Step) -> Any:
    from flows.campaigns.service import shop_zone, zone_of

    contact = contacts.get(session=step.session, contact_id=step.run.contact_id)
    return zone_of(locales.zone_for(step.session, contact)) or zone_of(shop_zone(step.session))


def _compressed(step: Step, moment: datetime) -> datetime:
    """A wall-clock moment on the flows' clock: with time compressed, the wait until it is shortened too."""
    factor = clock.scale(step.run.test)
    return moment if factor == 1 else step.now + (moment - step.now) / factor


def next_time_of_day(now: datetime, zone: Any, at: str) -> datetime:
    """The next `at` (HH:MM) in `zone` after `now`."""
    local = now.astimezone(zone)
    wanted = datetime.combine(local.date(), time.fromisoformat(at), tzinfo=zone)
    return wanted if wanted > local else datetime.combine(local.date() + timedelta(days=1), time.fromisoformat(at),
                                                          tzinfo=zone)


def next_date(value: Any, today: date, days_before: int = 0) -> date | None:
    """The next yearly occurrence (on or after `today`) of a date field, `days_before` it; None if unreadable."""
    try:
        text = str(value)
        month, day = (int(part) for part in (text[5:10] if len(text) >= 10 else text[-5:]).split("-"))
    except (TypeError, ValueError):
        return None
    for year in (today.year, today.year + 1):
        try:
            moment = date(year, month, day) - timedelta(days=days_before)
        except ValueError:  # 29 February in a common year: the 28th
            moment = date(year, month, 28) - timedelta(days=days_before)
        if moment >= today:
            return moment
    return None


def wait(step: Step, config: dict[str, Any]) -> Result:
    if step.state.get("held"):
        return Go("next")
    if config.get("minutes"):
        return Hold(_minutes(step, int(config["minutes"])))
    zone = _zone(step)
    if config.get("until_time"):
        return Hold(_compressed(step, next_time_of_day(step.now, zone, str(config["until_time"]))))
    contact = contacts.get(session=step.session, contact_id=step.run.contact_id)
    value = (contact.custom_fields or {}).get(str(config.get("until_field"))) if contact else None
    day = next_date(value, step.now.astimezone(zone).date(), int(config.get("days_before") or 0))
    if day is None:
        return Go("next", "no_date")
    return Hold(_compressed(step, max(step.now, datetime.combine(day, time(10, 0), tzinfo=zone))))


def wait_reply(step: Step, config: dict[str, Any]) -> Result:
    """Held until a reply (`replied`, `button:<id>`), a failed delivery (`failed`) or the timeout (`no_reply`);
    the events' jobs (`jobs.on_reply`, `jobs.on_status`) decide the first two."""
    if step.state.get("held"):
        return Go("no_reply")
    return Hold(_minutes(step, int(config["timeout_minutes"])),
                state={"await": "reply", "since": step.now.isoformat(), "after": _newest_message(step)})


def _newest_message(step: Step) -> int:
    """The newest message of the contact's conversations now: only a message after it is a reply."""
    from sqlalchemy import func

    from hub.conversations.models import Conversation, Message

    return int(step.session.execute(select(func.max(col(Message.id))).join(
        Conversation, col(Conversation.id) == col(Message.conversation_id)).where(
        col(Conversation.contact_id) == step.run.contact_id)).scalar() or 0)


def goal(step: Step, config: dict[str, Any]) -> Result:
    """Held until a paid order (`converted`, decided by `jobs.on_order_paid`) or the window's end."""
    if step.run.context.get("converted"):
        return Go("converted")
    if step.state.get("held"):
        return Go("not_converted")
    return Hold(_minutes(step, int(config["within_hours"]) * 60), state={"await": "goal"})


def branch(step: Step, config: dict[str, Any]) -> Result:
    condition = config.get("condition")
    if isinstance(condition, dict) and "reply_matches" in condition:
        return Go("yes" if _conversation_tagged(step, str(condition["reply_matches"]["tag"])) else "no")
    try:
        query = compile_condition(step.session, condition, step.now).where(col(Contact.id) == step.run.contact_id)
    except SegmentError:
        return Go("no", "bad_condition")
    return Go("yes" if step.session.execute(query.limit(1)).first() is not None else "no")


def _conversation_tagged(step: Step, name: str) -> bool:
    conversation_id = step.run.context.get("conversation_id") or step.run.conversation_id
    if conversation_id is None:
        return False
    found = step.session.execute(select(col(ConversationTag.conversation_id)).join(
        Tag, col(Tag.id) == col(ConversationTag.tag_id)).where(
        col(ConversationTag.conversation_id) == conversation_id, col(Tag.name) == name).limit(1)).first()
    return found is not None


def split(step: Step, config: dict[str, Any]) -> Result:
    """Deterministic per run: the same run always takes the same variant."""
    digest = hashlib.sha256(f"{step.run.id}:{step.run.node_id}".encode()).digest()
    point, total = int.from_bytes(digest[:8], "big") % 10_000 / 100, 0.0
    variants = config.get("variants") or []
    for variant in variants:
        total += float(variant.get("percent", 0))
        if point < total:
            return Go(str(variant["port"]))
    return Go(str(variants[-1]["port"]))


def tag(step: Step, config: dict[str, Any]) -> Result:
    add = [str(n).strip() for n in config.get("add") or [] if str(n).strip()]
    remove = [str(n).strip() for n in config.get("remove") or [] if str(n).strip()]
    ids = tagging.tag_ids(step.session, [*add, *remove])
    details = {"flow_id": step.run.flow_id, "run_id": step.run.id}
    if add:
        tagging.tag_contact(session=step.session, contact_id=step.run.contact_id,
                            conversation_id=step.run.conversation_id,
                            taggings=[tagging.Tagging(n, ids[n], SOURCE, details) for n in add])
    if remove:
        tagging.untag_contact(session=step.session, contact_id=step.run.contact_id,
                              tag_ids=[ids[n] for n in remove], source=SOURCE)
    return Go("next")


def set_field(step: Step, config: dict[str, Any]) -> Result:
    contact = contacts.get(session=step.session, contact_id=step.run.contact_id)
    if contact is None:
        return Go("next", "no_contact")
    value = messages.render(str(config.get("value", "")), messages.context_of(contact))
    try:
        contact_changes.update_contact(session=step.session, actor_id=None, contact=contact,
                                       values={"custom_fields": {str(config["field"]): value}})
    except contact_changes.ContactRefused:
        return Go("next", "refused")
    return Go("next")


def assign(step: Step, config: dict[str, Any]) -> Result:
    conversation = messages.conversation_of(step.session, step)
    if conversation is None:
        return Go("next", "no_conversation")
    if config.get("team_id"):
        try:
            actions.hand_to_team(session=step.session, conversation=conversation, team_id=int(config["team_id"]),
                                 actor_id=None)
        except actions.ActionRefused:
            return Go("next", "no_team")
    if config.get("agent_id"):
        from hub.agents.models import User
        from hub.assignment import service as assignment

        agent = step.session.get(User, int(config["agent_id"]))
        if agent is None:
            return Go("next", "no_agent")
        assignment.assign_manually(session=step.session, conversation=conversation, assignee_id=agent.id, actor=agent)
    return Go("next")


def task(step: Step, config: dict[str, Any]) -> Result:
    contact = contacts.get(session=step.session, contact_id=step.run.contact_id)
    title = config.get("title")
    text = messages.pick(title, get_settings().default_locale) if isinstance(title, dict) else str(title)
    conversation = messages.conversation_of(step.session, step)
    agent_id, team_id = _existing(step, config)
    step.session.add(Task(key=step.key, title=messages.render(text, messages.context_of(contact))[:500]
                          if contact else text[:500], contact_id=step.run.contact_id,
                          conversation_id=conversation.id if conversation else None,
                          agent_id=agent_id, team_id=team_id,
                          due_at=step.now + timedelta(hours=int(config.get("due_in_hours", 24))),
                          flow_id=step.run.flow_id, run_id=step.run.id, created_at=step.now))
    return Go("next")


def _existing(step: Step, config: dict[str, Any]) -> tuple[int | None, int | None]:
    """The task's agent and team when they (still) exist; a deleted one is left out rather than failing the step."""
    from hub.agents.models import Team, User

    agent = step.session.get(User, int(config["agent_id"])) if config.get("agent_id") else None
    team = step.session.get(Team, int(config["team_id"])) if config.get("team_id") else None
    return (agent.id if agent else None), (team.id if team else None)


def start_flow(step: Step, config: dict[str, Any]) -> Result:
    from flows.journeys import service

    target = step.session.get(Flow, int(config["flow_id"]))
    if target is None or target.published_version is None or target.status != "published":
        return Go("next", "not_published")
    run = service.start_run(session=step.session, flow=target, contact_id=step.run.contact_id,
                            conversation_id=step.run.conversation_id, entry_key=f"flow:{step.key}", now=step.now)
    if run is not None:
        step.after_commit.append(lambda: kick(run.id or 0, run.visit))
    return Go("next")


def http(step: Step, config: dict[str, Any]) -> Result:
    """A webhook to the shop's systems through the guarded client (public addresses only, unless
    HUB_ALLOW_PRIVATE_URLS); 2xx → `ok`, anything else → `error`. At least once: a worker killed after the
    call and before the commit calls again."""
    body = {"flow_id": step.run.flow_id, "run_id": step.run.id, "contact_id": step.run.contact_id,
            **(config.get("body") or {})}
    try:
        status = asyncio.run(_call(str(config.get("method", "POST")), str(config["url"]), body, f"flow:{step.key}"))
    except Exception as error:  # noqa: BLE001 - any failure of the call is the `error` port
        return Go("error", (blocked_reason(error) and "blocked") or "failed")
    return Go("ok" if 200 <= status < 300 else "error", None if 200 <= status < 300 else f"http_{status}")


async def _call(method: str, url: str, body: dict[str, Any], key: str) -> int:
    private = get_settings().allow_private_urls
    await check_destination(url, allow_private=private)
    async with guarded_session(allow_private=private, timeout=aiohttp.ClientTimeout(total=10)) as session:
        arguments = {"json": body} if method == "POST" else {"params": {k: str(v) for k, v in body.items()}}
        async with session.request(method, url, headers={"Idempotency-Key": key}, **arguments) as answer:
            return answer.status


def csat(step: Step, config: dict[str, Any]) -> Result:
    """Ask the customer to rate the conversation (hub.csat: their language, native buttons, the agent assigned
    now credited); `not_sent` with the reason when it cannot go (no conversation, outside WhatsApp's window
    without a survey template, opted out). Run twice, it asks once."""
    from hub.csat import service as surveys

    conversation = messages.conversation_of(step.session, step)
    if conversation is None or conversation.id is None:
        return Go("not_sent", "no_conversation")
    made = surveys.request(step.session, [conversation.id], now=step.now, key=step.key)
    survey = made[0] if made else surveys.requested(step.session, conversation.id, step.key)
    if survey is None or survey.status == "not_sent":
        return Go("not_sent", "not_sent")
    return Go("sent")


def end(step: Step, config: dict[str, Any]) -> Result:
    return End("completed")


KINDS: dict[str, Callable[[Step, dict[str, Any]], Result]] = {
    "send_message": lambda step, config: messages.send(step, config), "wait": wait, "wait_reply": wait_reply,
    "branch": branch, "split": split, "tag": tag, "set_field": set_field, "assign": assign, "task": task,
    "start_flow": start_flow, "http": http, "goal": goal, "csat": csat, "end": end, **BOT_KINDS,
}
