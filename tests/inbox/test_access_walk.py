"""Every route of the app that takes an id, called by team A's agent with team B's ids: never a 2xx.

The routes are read from the app itself, so a route added later is walked too. A new kind of path
parameter makes this test fail until it is given an id from team B below.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from hub.composition import create_app
from tests.factories import PASSWORD, token_for

ORIGIN = "https://hub.example.test"
PUBLIC_BY_DESIGN = {
    "/static/{path:path}": "the UI's own files",
    "/webchat/{channel_id}/demo": "a shop page for web visitors (development only)",
    "/webchat/{channel_id}/ws": "the web visitor's socket: it checks the page's origin, not an agent",
    "/l/{token}": "a broadcast's tracked link: the customer's click, redirected",
    "/p/{variant_id}": "a product's public page (on sale only): the short link an SMS product card carries",
    "/c/{code}/{signature}": "a customer's coupon page: the signature of the code makes its address unguessable",
}
"""Routes meant for people who are not agents; the sandbox (development only) plays the customer."""
ALLOWED = {403, 404, 405}
SHOP_WIDE = {"product_id": "the catalog is the shop's: any staff member reads a product, only admins change it",
             "flow_id": "flows are the shop's: any staff member reads one (to start a manual flow); its runs are "
                        "filtered to the customers the agent sees; only marketers and admins change it"}


def team_b_order(world) -> tuple[int, int]:
    """A product and a paid order of team B's contact."""
    from catalog import service
    from hub.runtime.db import session_scope

    with session_scope() as session:
        product = service.create_product(session=session, handle="walk-shirt", title={"en": "Shirt"}, variants=[
            service.VariantInput(sku="WALK-1", stock_on_hand=5, prices={"HKD": 10000})])
        variant = service.variants_of(session=session, product_ids=[product.id])[product.id][0]
        cart = service.open_cart(session=session, contact_id=world.contact_b, conversation_id=world.conversation_b,
                                 currency="HKD")
        service.add(session=session, cart=cart, variant_id=variant.id)
        order = service.checkout(session=session, cart=cart)
        return product.id, order.id


def team_b_journey(world) -> tuple[int, int, int]:
    """A published flow, a run of team B's contact in it, and a task about that contact for team B."""
    from flows.journeys import service
    from flows.journeys.models import Task
    from hub.runtime.db import session_scope

    definition = {"trigger": {"type": "api", "config": {}}, "start": "e",  # agents start manual flows only
                  "nodes": [{"id": "e", "type": "end", "config": {}}], "edges": []}
    with session_scope() as session:
        flow = service.create(session=session, name="Walk", definition=definition)
        service.publish(session=session, flow_id=flow.id)
        run = service.start_run(session=session, flow=flow, contact_id=world.contact_b)
        task = Task(key="walk", title="Call", contact_id=world.contact_b, conversation_id=world.conversation_b,
                    team_id=world.team_b, flow_id=flow.id, run_id=run.id)
        session.add(task)
        session.flush()
        return flow.id, run.id, task.id


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value the schema accepts, so that a 404 comes from the access check, not validation."""
    if "$ref" in schema:
        return _sample(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _sample(options[0], components) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _sample(props[name], components) for name in schema.get("required", [])}
    if kind == "string":
        return "2999-01-01T00:00:00+00:00" if schema.get("format") == "date-time" else "x" * max(
            8, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "array" and schema.get("minItems"):
        return [_sample(schema.get("items", {}), components)] * int(schema["minItems"])
    return {"boolean": False, "array": []}.get(kind)


def bodies(app) -> dict[tuple[str, str], Any]:
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found[(path, method.upper())] = _sample(content["application/json"]["schema"], components)
    return found


def session_of(bearer: dict[str, str]) -> int:
    from hub.agents.tokens import session_id_of

    sid = session_id_of(bearer["Authorization"].split(" ", 1)[1])
    assert sid is not None
    return sid


def test_no_route_answers_team_a_with_team_bs_objects(backend, world):
    app = create_app()
    product_id, order_id = team_b_order(world)
    flow_id, run_id, task_id = team_b_journey(world)
    ids = {
        "product_id": product_id, "order_id": order_id, "segment_id": 1, "campaign_id": 1,
        "conversation_id": world.conversation_b, "message_id": world.failed_b, "contact_id": world.contact_b,
        "reply_id": world.canned_b, "channel_id": world.channel_b, "team_id": world.team_b,
        "user_id": world.agent_b, "policy_id": 1, "rule_id": 1, "job_id": "job-of-team-b", "index": 0,
        "name": "vip", "flow_id": flow_id, "run_id": run_id, "task_id": task_id,
        "scope": "team", "scope_id": world.team_b,  # CSAT settings: admins only
        # the shop-wide matrix: not an agent's (their own service figures are theirs)
        "cell": "repeat-sleeping", "report": "lifecycle",
        "key_id": 1, "endpoint_id": 1, "delivery_id": 1,  # admin-only routes: an agent gets 403 for any id
        "bot_id": 1, "entry_id": 1,  # bots and the knowledge base: marketers' and admins' (403 for an agent)
        "currency": "HKD", "tier_id": 1,  # loyalty rules and tiers: admins only
        "channel_or_store_id": 1, "action": "delete",  # Shopify's webhook unsigned: 403; admin page forms: 403
        # stores and coupons: admins and store staff only (an agent gets 403 for any store, code, import)
        "store_id": 1, "code": "SPRINGK7QX2M9A", "import_id": 1,
    }
    samples = bodies(app)
    walked, wrong = [], []
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as client:
        headers = token_for(client, "a@shop.test")
        ids["session_id"] = session_of(token_for(client, "b@shop.test"))  # agent B's own sign-in
        assert client.post("/login", data={"email": "a@shop.test", "password": PASSWORD},
                           headers={"Origin": ORIGIN}).status_code == 303  # pages go by the cookie
        for context in iter_route_contexts(app.routes):
            path = context.path
            params = re.findall(r"{([^}:]+)(?::[^}]*)?}", path)
            if not params or path in PUBLIC_BY_DESIGN or path.startswith("/sandbox/"):
                continue
            missing = [p for p in params if p not in ids]
            assert not missing, f"{path}: give the parameter(s) {missing} an id of team B in this test"
            url = re.sub(r"{([^}:]+)(?::[^}]*)?}", lambda m: str(ids[m.group(1)]), path)
            methods = sorted(getattr(context, "methods", None) or {"WEBSOCKET"})
            for method in methods:
                if method == "HEAD":
                    continue
                if method == "WEBSOCKET":
                    continue  # the only id-taking socket is public by design (see above)
                if method == "GET" and any(p in SHOP_WIDE for p in params):
                    continue
                answer = client.request(method, url, headers=headers, json=samples.get((path, method)))
                walked.append(f"{method} {path}")
                if answer.status_code not in ALLOWED:
                    wrong.append(f"{method} {url} -> {answer.status_code} {answer.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert "POST /api/v1/messages/{message_id}/retry" in walked and "GET /conversations/{conversation_id}" in walked
    assert len(walked) >= 30
