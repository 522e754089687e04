"""The definition format as a JSON Schema (draft 2020-12), kept in docs/flow.schema.json: `python -m
flows.journeys.schema > docs/flow.schema.json` writes it; a test checks the file is current. The schema
describes the shape; `graph.problems` checks the rest (reachability, ports, loops)."""

from __future__ import annotations

import json
from typing import Any

from flows.journeys.graph import STEPS, TRIGGERS

TEXTS = {"type": "object", "description": "a text per language: en, zh-Hant, ja",
         "propertyNames": {"pattern": "^[a-z]{2}(-[A-Za-z]+)?$"}, "additionalProperties": {"type": "string"}}
WHOLE = {"type": "integer", "minimum": 0}
IDS = {"type": "array", "items": {"type": "integer", "minimum": 1}}
NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
CLOCK = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}

STEP_CONFIGS: dict[str, dict[str, Any]] = {
    "send_message": {"properties": {
        "text": TEXTS, "buttons": {"type": "array", "items": {"type": "object", "required": ["id", "title"],
                                                              "properties": {"id": {"type": "string"},
                                                                             "title": TEXTS}}},
        "product_ids": IDS, "payment_link": {"type": "boolean"}, "coupon_code": {"type": "string"},
        "coupon_offer": {"type": "string"}, "coupon_valid_days": {"type": "integer", "minimum": 1},
        "media_url": {"type": "string", "format": "uri"},
        "template": {"type": "object", "required": ["name"],
                     "properties": {"name": {"type": "string"}, "language": {"type": "string"}}}}},
    "wait": {"properties": {"minutes": {"type": "integer", "minimum": 1}, "until_time": CLOCK,
                            "until_field": {"type": "string"}, "days_before": WHOLE}},
    "wait_reply": {"required": ["timeout_minutes"], "properties": {
        "timeout_minutes": {"type": "integer", "minimum": 1}, "buttons": NAMES}},
    "branch": {"required": ["condition"], "properties": {"condition": {
        "type": "object", "description": "a segment condition (flows.segments) or {reply_matches: {tag}}"}}},
    "split": {"required": ["variants"], "properties": {"variants": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["port", "percent"],
        "properties": {"port": {"type": "string"}, "percent": {"type": "number", "minimum": 0, "maximum": 100}}}}}},
    "tag": {"properties": {"add": NAMES, "remove": NAMES}},
    "set_field": {"required": ["field", "value"], "properties": {"field": {"type": "string", "maxLength": 100},
                                                                 "value": {"type": "string"}}},
    "assign": {"properties": {"team_id": {"type": "integer"}, "agent_id": {"type": "integer"}}},
    "task": {"required": ["title"], "properties": {"title": {"anyOf": [{"type": "string"}, TEXTS]},
                                                   "due_in_hours": WHOLE, "agent_id": {"type": "integer"},
                                                   "team_id": {"type": "integer"}}},
    "start_flow": {"required": ["flow_id"], "properties": {"flow_id": {"type": "integer", "minimum": 1}}},
    "http": {"required": ["url"], "properties": {"method": {"enum": ["POST", "GET"]},
                                                 "url": {"type": "string", "pattern": "^https?://"},
                                                 "body": {"type": "object"}}},
    "goal": {"required": ["within_hours"], "properties": {"within_hours": {"type": "integer", "minimum": 1}}},
    "csat": {"properties": {}},
    "end": {"properties": {}},
    "bot_menu": {"required": ["text", "options"], "properties": {
        "text": TEXTS, "timeout_minutes": {"type": "integer", "minimum": 1},
        "retries": {"type": "integer", "minimum": 0, "maximum": 5}, "match_first": {"type": "boolean"},
        "on_other": {"enum": ["ask", "restart"]},
        "options": {"type": "array", "minItems": 1, "maxItems": 10, "items": {
            "type": "object", "required": ["id", "title"],
            "properties": {"id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,40}$"}, "title": TEXTS,
                           "keywords": NAMES}}}}},
    "bot_faq": {"properties": {"prompt": TEXTS, "threshold": {"type": "number", "minimum": 0, "maximum": 1},
                               "on_miss": {"enum": ["ask", "handoff"]},
                               "timeout_minutes": {"type": "integer", "minimum": 1},
                               "retries": {"type": "integer", "minimum": 0, "maximum": 5}}},
    "bot_collect": {"required": ["field", "prompt"], "properties": {
        "field": {"enum": ["email", "phone", "date", "order_number"]}, "prompt": TEXTS,
        "save_as": {"type": "string"}, "region": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "timeout_minutes": {"type": "integer", "minimum": 1},
        "retries": {"type": "integer", "minimum": 0, "maximum": 5}}},
    "bot_order_status": {"properties": {}},
    "bot_products": {"properties": {"prompt": TEXTS, "limit": {"type": "integer", "minimum": 1, "maximum": 10},
                                    "timeout_minutes": {"type": "integer", "minimum": 1}}},
    "bot_points": {"properties": {}},
    "bot_hours": {"properties": {"text": TEXTS}},
    "handoff": {"properties": {"team_id": {"type": "integer", "minimum": 1}, "text": TEXTS,
                               "reason": {"type": "string", "maxLength": 20}}},
}


QUIET_HOURS = {"type": "object", "required": ["start", "end"], "additionalProperties": False,
               "properties": {"start": {**CLOCK, "examples": ["21:00"]}, "end": {**CLOCK, "examples": ["08:00"]}}}


def json_schema() -> dict[str, Any]:
    node_variants = [{"if": {"properties": {"type": {"const": kind}}},
                      "then": {"properties": {"config": {"type": "object", **STEP_CONFIGS[kind]}}}} for kind in STEPS]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "A Hub flow (journey) definition",
        "type": "object",
        "required": ["trigger", "start", "nodes", "edges"],
        "properties": {
            "trigger": {"type": "object", "required": ["type"], "properties": {
                "type": {"enum": list(TRIGGERS)}, "config": {"type": "object"}}},
            "start": {"type": "string", "description": "the id of the first step"},
            "nodes": {"type": "array", "maxItems": 200, "items": {
                "type": "object", "required": ["id", "type"],
                "properties": {"id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                               "type": {"enum": list(STEPS)}, "config": {"type": "object"},
                               "position": {"type": "object", "description": "the editor's; the runner ignores it",
                                            "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}},
                "allOf": node_variants}},
            "edges": {"type": "array", "items": {"type": "object", "required": ["from", "port", "to"], "properties": {
                "from": {"type": "string"}, "port": {"type": "string"}, "to": {"type": "string"}}}},
            "settings": {"type": "object", "properties": {
                "allow_parallel_runs": {"type": "boolean", "default": False},
                "reentry_after_days": {"type": ["integer", "null"], "minimum": 0, "default": None},
                "exit_on_human": {"type": "boolean", "default": True},
                "max_lateness_minutes": {"type": "integer", "minimum": 1, "default": 1440},
                "quiet_hours": {"default": "shop",
                                "description": "\"shop\": the shop's (HUB_FLOW_QUIET_HOURS); null: none",
                                "oneOf": [{"const": "shop"}, {"type": "null"}, QUIET_HOURS]},
                "goal": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["event", "within_hours"],
                                                      "properties": {"event": {"const": "order_paid"},
                                                                     "within_hours": {"type": "integer",
                                                                                      "minimum": 1}}}]}}},
        },
    }


def render() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    print(render(), end="")
