"""A flow's definition: the JSON format (see docs/flows.md and docs/flow.schema.json), read into a `Graph`
the runner walks, and checked into a list of problems a person can act on.

`problems(definition)` never raises: it answers every problem it finds, each `{node_id, code, message}`.
`Graph.of(definition)` reads a definition that has none (a published version) and keeps only what the
runner needs; `position` is the editor's and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from croniter import croniter

from flows.bots.checks import BOT_CHECKS, BOT_OPEN_PORTS, BOT_PORTS, BOT_STEPS, BOT_WAITING, menu_ports
from flows.campaigns.personalise import TemplateInvalid, check_template
from flows.journeys.clock import clock_time
from flows.segments.definition import SegmentError
from flows.segments.definition import parse as parse_condition

TRIGGERS = ("message_received", "conversation_opened", "conversation_resolved", "tag_added", "tag_removed",
            "order_paid", "cart_abandoned", "checkout_expired", "lifecycle_changed", "vip_reached", "date_field",
            "segment_entered", "schedule", "manual", "api", "bot", "tier_changed")
STEPS = ("send_message", "wait", "wait_reply", "branch", "split", "tag", "set_field", "assign", "task",
         "start_flow", "http", "goal", "csat", "end", *BOT_STEPS)
CODES = ("unreachable_node", "missing_port", "unknown_port", "unknown_node_type", "bad_config", "no_timeout",
         "no_start", "cycle_without_wait", "unknown_trigger", "bad_quiet_hours")
FIXED_PORTS: dict[str, tuple[str, ...]] = {
    "send_message": ("sent", "skipped"), "wait": ("next",), "branch": ("yes", "no"), "tag": ("next",),
    "set_field": ("next",), "assign": ("next",), "task": ("next",), "start_flow": ("next",), "http": ("ok", "error"),
    "goal": ("converted", "not_converted"), "csat": ("sent", "not_sent"), "end": (), **BOT_PORTS,
}
OPEN_PORTS = frozenset({"skipped", "failed", "error", "not_converted", "not_sent"})
"""Ports that may be left without an edge: the run ends there."""
WAITING = frozenset({"wait", "wait_reply", "goal", *BOT_WAITING})
"""Steps that take time: a loop through one of them cannot spin."""
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_NODES = 200
DEFAULT_SETTINGS: dict[str, Any] = {"allow_parallel_runs": False, "reentry_after_days": None, "exit_on_human": True,
                                    "max_lateness_minutes": 1440, "goal": None, "quiet_hours": "shop"}


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    config: dict[str, Any]


@dataclass(frozen=True)
class Graph:
    """A checked definition, as the runner reads it."""

    trigger: str
    trigger_config: dict[str, Any]
    start: str
    nodes: dict[str, Node]
    edges: dict[tuple[str, str], str]
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, definition: dict[str, Any]) -> Graph:
        trigger = definition.get("trigger") or {}
        nodes = {str(n["id"]): Node(str(n["id"]), str(n["type"]), dict(n.get("config") or {}))
                 for n in definition.get("nodes") or [] if isinstance(n, dict) and "id" in n}
        edges = {(str(e["from"]), str(e["port"])): str(e["to"])
                 for e in definition.get("edges") or [] if isinstance(e, dict) and {"from", "port", "to"} <= set(e)}
        return cls(str(trigger.get("type", "")), dict(trigger.get("config") or {}), str(definition.get("start", "")),
                   nodes, edges, settings_of(definition))

    def after(self, node_id: str, port: str) -> str | None:
        return self.edges.get((node_id, port))


def settings_of(definition: dict[str, Any]) -> dict[str, Any]:
    given = definition.get("settings") if isinstance(definition.get("settings"), dict) else {}
    return {**DEFAULT_SETTINGS, **{k: v for k, v in (given or {}).items() if k in DEFAULT_SETTINGS}}


def ports_of(node_type: str, config: dict[str, Any]) -> tuple[str, ...]:
    """The output ports of a step, in the order the editor draws them."""
    if node_type == "wait_reply":
        buttons = [f"button:{b}" for b in config.get("buttons") or [] if isinstance(b, str)]
        return ("replied", *buttons, "no_reply", "failed")
    if node_type == "bot_menu":
        return menu_ports(config)
    if node_type == "split":
        return tuple(str(v.get("port")) for v in config.get("variants") or [] if isinstance(v, dict))
    return FIXED_PORTS.get(node_type, ())


def _problem(node_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"node_id": node_id, "code": code, "message": message}


def problems(definition: object) -> list[dict[str, Any]]:
    """Everything wrong with a definition (empty: it may be published)."""
    if not isinstance(definition, dict):
        return [_problem(None, "bad_config", "a definition is a JSON object with trigger, start, nodes and edges")]
    found: list[dict[str, Any]] = []
    found += _trigger_problems(definition.get("trigger"))
    nodes = definition.get("nodes")
    edges = definition.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        return [*found, _problem(None, "bad_config", "nodes and edges must be lists")]
    if len(nodes) > MAX_NODES:
        found.append(_problem(None, "bad_config", f"a flow has at most {MAX_NODES} steps"))
    known: dict[str, dict[str, Any]] = {}
    for node in nodes:
        if not isinstance(node, dict) or not isinstance(node.get("id"), str) or not ID.match(node["id"]):
            found.append(_problem(None, "bad_config", "every step needs an id of 1-64 letters, digits or _.:-"))
            continue
        if node["id"] in known:
            found.append(_problem(node["id"], "bad_config", f"two steps have the id {node['id']!r}"))
            continue
        known[node["id"]] = node
        if node.get("type") not in STEPS:
            found.append(_problem(node["id"], "unknown_node_type",
                                  f"{node.get('type')!r} is not a step; use one of {', '.join(STEPS)}"))
            continue
        config = node.get("config", {})
        if not isinstance(config, dict):
            found.append(_problem(node["id"], "bad_config", "config must be an object"))
            continue
        found += [_problem(node["id"], code, message) for code, message in _config_problems(node["type"], config)]
    start = definition.get("start")
    if not isinstance(start, str) or start not in known:
        found.append(_problem(None, "no_start", "`start` must name the first step"))
    found += _edge_problems(known, edges)
    if isinstance(start, str) and start in known:
        found += _shape_problems(known, edges, start)
    settings = definition.get("settings", {})
    if settings is not None and not isinstance(settings, dict):
        found.append(_problem(None, "bad_config", "settings must be an object"))
    elif settings:
        found += _settings_problems(settings)
    return found


def _trigger_problems(trigger: object) -> list[dict[str, Any]]:
    if not isinstance(trigger, dict) or trigger.get("type") not in TRIGGERS:
        kind = trigger.get("type") if isinstance(trigger, dict) else None
        return [_problem(None, "unknown_trigger", f"{kind!r} is not a trigger; use one of {', '.join(TRIGGERS)}")]
    config = trigger.get("config") or {}
    if not isinstance(config, dict):
        return [_problem(None, "bad_config", "the trigger's config must be an object")]
    kind = trigger["type"]
    if kind == "schedule" and not (isinstance(config.get("cron"), str) and croniter.is_valid(config["cron"])):
        return [_problem(None, "bad_config", "a schedule needs `cron`, five fields such as \"0 10 1-7 * 1\"")]
    if kind == "schedule" and not isinstance(config.get("segment_id"), int):
        return [_problem(None, "bad_config", "a schedule sends to a segment: choose its `segment_id`")]
    if kind == "date_field":
        if not isinstance(config.get("field"), str) or not config["field"]:
            return [_problem(None, "bad_config", "a date trigger needs `field`, e.g. \"birthday\"")]
        if config.get("at") is not None and not (isinstance(config["at"], str) and CLOCK.match(config["at"])):
            return [_problem(None, "bad_config", "`at` is a time of day, HH:MM")]
    if kind == "segment_entered" and not isinstance(config.get("segment_id"), int):
        return [_problem(None, "bad_config", "`segment_id` names the segment to watch")]
    if kind == "cart_abandoned" and not _whole(config.get("after_minutes", 60), 1):
        return [_problem(None, "bad_config", "`after_minutes` is a whole number of minutes, at least 1")]
    return []


def _whole(value: object, least: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _texts(value: object) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, str) and isinstance(v, str)
                                                           for k, v in value.items())


def _config_problems(kind: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    check = _CHECKS.get(kind)
    return check(config) if check else []


def _send(config: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    text, template = config.get("text"), config.get("template")
    if not _texts(text) and not isinstance(template, dict):
        out.append(("bad_config", "a message needs `text` per language, e.g. {\"en\": \"Thanks!\"}"))
    for locale, source in (text.items() if isinstance(text, dict) else ()):
        try:
            check_template(source if isinstance(source, str) else None, f"text.{locale}")
        except TemplateInvalid as error:
            out.append(("bad_config", str(error)))
    for button in config.get("buttons") or []:
        if not isinstance(button, dict) or not isinstance(button.get("id"), str) or not _texts(button.get("title")):
            out.append(("bad_config", "each button needs an `id` and a `title` per language"))
    if template is not None and not (isinstance(template, dict) and isinstance(template.get("name"), str)):
        out.append(("bad_config", "a template needs its approved `name` (and `language`)"))
    return out


def _wait(config: dict[str, Any]) -> list[tuple[str, str]]:
    given = [key for key in ("minutes", "until_time", "until_field") if config.get(key) is not None]
    if len(given) != 1:
        return [("bad_config", "a wait has one of `minutes`, `until_time` (HH:MM) or `until_field`")]
    if "minutes" in given and not _whole(config["minutes"], 1):
        return [("bad_config", "`minutes` is a whole number, at least 1")]
    if "until_time" in given and not (isinstance(config["until_time"], str) and CLOCK.match(config["until_time"])):
        return [("bad_config", "`until_time` is a time of day, HH:MM")]
    if "until_field" in given and not isinstance(config["until_field"], str):
        return [("bad_config", "`until_field` names a date field of the contact")]
    return []


def _wait_reply(config: dict[str, Any]) -> list[tuple[str, str]]:
    if not _whole(config.get("timeout_minutes"), 1):
        return [("no_timeout",
                 "waiting for a reply needs `timeout_minutes`: otherwise a silent customer waits forever")]
    if not all(isinstance(b, str) for b in config.get("buttons") or []):
        return [("bad_config", "`buttons` lists button ids")]
    return []


def _branch(config: dict[str, Any]) -> list[tuple[str, str]]:
    condition = config.get("condition")
    if isinstance(condition, dict) and "reply_matches" in condition:
        matches = condition["reply_matches"]
        if isinstance(matches, dict) and isinstance(matches.get("tag"), str):
            return []
        return [("bad_config", "`reply_matches` needs a `tag`")]
    try:
        parse_condition(condition)
    except SegmentError as error:
        return [("bad_config", f"condition: {error}")]
    return []


def _split(config: dict[str, Any]) -> list[tuple[str, str]]:
    variants = config.get("variants")
    if not isinstance(variants, list) or not variants:
        return [("bad_config", "a split needs `variants`, each {port, percent}")]
    ports = [v.get("port") for v in variants if isinstance(v, dict)]
    if len(ports) != len(variants) or not all(isinstance(p, str) and ID.match(p) for p in ports):
        return [("bad_config", "each variant needs a `port` name")]
    if len(set(ports)) != len(ports):
        return [("bad_config", "two variants have the same port")]
    if sum(v.get("percent", 0) for v in variants if isinstance(v.get("percent", 0), int | float)) != 100:
        return [("bad_config", "the variants' percents must add up to 100")]
    return []


def _tag(config: dict[str, Any]) -> list[tuple[str, str]]:
    names = [*(config.get("add") or []), *(config.get("remove") or [])]
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        return [("bad_config", "a tag step adds or removes at least one tag")]
    return []


def _set_field(config: dict[str, Any]) -> list[tuple[str, str]]:
    if not isinstance(config.get("field"), str) or not config["field"].strip() or len(config["field"]) > 100:
        return [("bad_config", "`field` names a contact field (1-100 characters)")]
    return [] if isinstance(config.get("value"), str) else [("bad_config", "`value` is text")]


def _assign(config: dict[str, Any]) -> list[tuple[str, str]]:
    if not _whole(config.get("team_id"), 1) and not _whole(config.get("agent_id"), 1):
        return [("bad_config", "assign to a `team_id` or an `agent_id`")]
    return []


def _task(config: dict[str, Any]) -> list[tuple[str, str]]:
    title = config.get("title")
    if not (isinstance(title, str) and title.strip()) and not _texts(title):
        return [("bad_config", "a task needs a `title`")]
    return [] if _whole(config.get("due_in_hours", 24)) else [("bad_config", "`due_in_hours` is a whole number")]


def _start_flow(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [] if _whole(config.get("flow_id"), 1) else [("bad_config", "`flow_id` names the flow to start")]


def _http(config: dict[str, Any]) -> list[tuple[str, str]]:
    if config.get("method", "POST") not in ("POST", "GET"):
        return [("bad_config", "`method` is POST or GET")]
    url = config.get("url")
    return [] if isinstance(url, str) and re.match(r"^https?://", url) else [("bad_config", "`url` is http(s)")]


def _goal(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [] if _whole(config.get("within_hours"), 1) else [("bad_config", "`within_hours` is at least 1")]


_CHECKS = {"send_message": _send, "wait": _wait, "wait_reply": _wait_reply, "branch": _branch, "split": _split,
           "tag": _tag, "set_field": _set_field, "assign": _assign, "task": _task, "start_flow": _start_flow,
           "http": _http, "goal": _goal, **BOT_CHECKS}


def _edge_problems(known: dict[str, dict[str, Any]], edges: list[Any]) -> list[dict[str, Any]]:
    found, taken = [], set()
    for edge in edges:
        if not isinstance(edge, dict) or not all(isinstance(edge.get(k), str) for k in ("from", "port", "to")):
            found.append(_problem(None, "bad_config", "each edge is {from, port, to}"))
            continue
        source, port, target = edge["from"], edge["port"], edge["to"]
        if source not in known or target not in known:
            found.append(_problem(source if source in known else None, "bad_config",
                                  f"the edge {source}.{port} → {target} joins a step that does not exist"))
            continue
        node = known[source]
        if node.get("type") in STEPS and port not in ports_of(node["type"], node.get("config") or {}):
            found.append(_problem(source, "unknown_port", f"{node['type']} has no port {port!r}"))
        if (source, port) in taken:
            found.append(_problem(source, "bad_config", f"the port {port!r} has two edges"))
        taken.add((source, port))
    for node_id, node in known.items():
        if node.get("type") not in STEPS or not isinstance(node.get("config", {}), dict):
            continue
        for port in ports_of(node["type"], node.get("config") or {}):
            if port not in _open_ports(node["type"]) and (node_id, port) not in taken:
                found.append(_problem(node_id, "missing_port", f"the port {port!r} leads nowhere: connect it"))
    return found


def _open_ports(node_type: str) -> frozenset[str]:
    return OPEN_PORTS | BOT_OPEN_PORTS if node_type in BOT_STEPS else OPEN_PORTS


def _successors(edges: list[Any], known: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {node_id: [] for node_id in known}
    for edge in edges:
        if isinstance(edge, dict) and edge.get("from") in known and edge.get("to") in known:
            out[edge["from"]].append(edge["to"])
    return out


def _shape_problems(known: dict[str, dict[str, Any]], edges: list[Any], start: str) -> list[dict[str, Any]]:
    after = _successors(edges, known)
    seen, todo = {start}, [start]
    while todo:
        for target in after[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    found = [_problem(node_id, "unreachable_node", "no path from the start leads here")
             for node_id in known if node_id not in seen]
    for component in _cycles(after):
        if not any(known[n].get("type") in WAITING for n in component):
            first = sorted(component)[0]
            found.append(_problem(first, "cycle_without_wait",
                                  f"the loop through {', '.join(sorted(component))} has no wait: it would spin"))
    return found


def _cycles(after: dict[str, list[str]]) -> list[set[str]]:
    """Strongly connected components that are loops (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in after:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = after[node]
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in after[node]:
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _settings_problems(settings: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    reentry = settings.get("reentry_after_days")
    if reentry is not None and not _whole(reentry, 0):
        found.append(_problem(None, "bad_config", "`reentry_after_days` is a whole number of days, or null"))
    if not _whole(settings.get("max_lateness_minutes", 1440), 1):
        found.append(_problem(None, "bad_config", "`max_lateness_minutes` is at least 1"))
    goal = settings.get("goal")
    if goal is not None and not (isinstance(goal, dict) and goal.get("event") == "order_paid"
                                 and _whole(goal.get("within_hours"), 1)):
        found.append(_problem(None, "bad_config", "`goal` is {\"event\": \"order_paid\", \"within_hours\": n} or null"))
    quiet = settings.get("quiet_hours", "shop")
    if quiet not in ("shop", None) and not (isinstance(quiet, dict) and set(quiet) == {"start", "end"}
                                           and clock_time(quiet["start"]) and clock_time(quiet["end"])):
        found.append(_problem(None, "bad_quiet_hours",
                              "`quiet_hours` is {\"start\": \"21:00\", \"end\": \"08:00\"} (HH:MM), null (none) "
                              "or \"shop\" (the shop's)"))
    return found
