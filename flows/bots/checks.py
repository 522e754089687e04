"""The bots' steps in a flow's definition: their ports and the problems of their config (read by
`flows.journeys.graph`, so the editor and publishing check them like every other step)."""

from __future__ import annotations

import re
from typing import Any

BOT_STEPS = ("bot_menu", "bot_faq", "bot_collect", "bot_order_status", "bot_products", "bot_points", "bot_hours",
             "handoff")
BOT_PORTS: dict[str, tuple[str, ...]] = {
    "bot_faq": ("answered", "no_answer", "no_reply"), "bot_collect": ("valid", "gave_up", "no_reply"),
    "bot_order_status": ("shown", "none", "unverified"), "bot_products": ("found", "none", "no_reply"),
    "bot_points": ("shown", "unverified"), "bot_hours": ("open", "closed"), "handoff": (),
}
BOT_OPEN_PORTS = frozenset({"no_reply", "no_answer", "gave_up", "none", "unverified"})
"""Left without an edge: no_answer and gave_up hand off; the others end the run."""
BOT_WAITING = frozenset({"bot_menu", "bot_faq", "bot_collect", "bot_products"})
FIELDS = ("email", "phone", "date", "order_number")
OPTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_OPTIONS = 10


def menu_ports(config: dict[str, Any]) -> tuple[str, ...]:
    options = [f"option:{o['id']}" for o in config.get("options") or [] if isinstance(o, dict) and "id" in o]
    return (*options, "no_reply")


def _texts(value: object) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                           for k, v in value.items())


def _timeout(config: dict[str, Any]) -> list[tuple[str, str]]:
    minutes = config.get("timeout_minutes", 60)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        return [("no_timeout", "`timeout_minutes` is how long the bot waits for an answer, at least 1")]
    retries = config.get("retries", 2)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 5:
        return [("bad_config", "`retries` is 0 to 5")]
    return []


def _menu(config: dict[str, Any]) -> list[tuple[str, str]]:
    out = _timeout(config)
    if not _texts(config.get("text")):
        out.append(("bad_config", "a menu needs `text` per language, e.g. {\"en\": \"How can I help?\"}"))
    options = config.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
        return [*out, ("bad_config", f"a menu has 1 to {MAX_OPTIONS} `options`, each {{id, title}}")]
    ids = [o.get("id") for o in options if isinstance(o, dict)]
    if len(ids) != len(options) or not all(isinstance(i, str) and OPTION_ID.match(i) for i in ids):
        out.append(("bad_config", "each option needs an `id` of 1-40 letters, digits, _ or -"))
    elif len(set(ids)) != len(ids):
        out.append(("bad_config", "two options have the same id"))
    if not all(isinstance(o, dict) and _texts(o.get("title")) for o in options):
        out.append(("bad_config", "each option needs a `title` per language"))
    if config.get("on_other", "ask") not in ("ask", "restart"):
        out.append(("bad_config", "`on_other` is ask (say it was not understood) or restart (a new question)"))
    if not all(isinstance(o, dict) and all(isinstance(k, str) for k in o.get("keywords") or []) for o in options):
        out.append(("bad_config", "an option's `keywords` are words"))
    return out


def _faq(config: dict[str, Any]) -> list[tuple[str, str]]:
    out = _timeout(config)
    if config.get("prompt") is not None and not _texts(config["prompt"]):
        out.append(("bad_config", "`prompt` is a text per language"))
    threshold = config.get("threshold")
    if threshold is not None and not (isinstance(threshold, int | float) and 0 <= threshold <= 1):
        out.append(("bad_config", "`threshold` is between 0 and 1"))
    if config.get("on_miss", "ask") not in ("ask", "handoff"):
        out.append(("bad_config", "`on_miss` is ask or handoff"))
    return out


def _collect(config: dict[str, Any]) -> list[tuple[str, str]]:
    out = _timeout(config)
    if config.get("field") not in FIELDS:
        out.append(("bad_config", f"`field` is one of {', '.join(FIELDS)}"))
    if not _texts(config.get("prompt")):
        out.append(("bad_config", "`prompt` asks for the value, per language"))
    return out


def _products(config: dict[str, Any]) -> list[tuple[str, str]]:
    out = _timeout(config)
    if config.get("prompt") is not None and not _texts(config["prompt"]):
        out.append(("bad_config", "`prompt` asks what the customer looks for, per language"))
    limit = config.get("limit", 5)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10:
        out.append(("bad_config", "`limit` is how many products to show, 1 to 10"))
    return out


def _hours(config: dict[str, Any]) -> list[tuple[str, str]]:
    if config.get("text") is not None and not _texts(config["text"]):
        return [("bad_config", "`text` is the away message per language ({when}: when a person answers)")]
    return []


def _handoff(config: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    team = config.get("team_id")
    if team is not None and (not isinstance(team, int) or isinstance(team, bool) or team < 1):
        out.append(("bad_config", "`team_id` names the team that takes over"))
    if config.get("text") is not None and not _texts(config["text"]):
        out.append(("bad_config", "`text` tells the customer what happens next, per language"))
    reason = config.get("reason")
    if reason is not None and not (isinstance(reason, str) and 0 < len(reason) <= 20):
        out.append(("bad_config", "`reason` is a short word (up to 20 characters) the stats count"))
    return out


BOT_CHECKS = {"bot_menu": _menu, "bot_faq": _faq, "bot_collect": _collect, "bot_order_status": lambda config: [],
              "bot_products": _products, "bot_points": lambda config: [],
              "bot_hours": _hours, "handoff": _handoff}
