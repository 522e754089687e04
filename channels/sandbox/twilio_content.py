"""Twilio's Content API (`POST/GET /v1/Content`, `GET /v1/Content/{sid}`) for WhatsApp buttons.

Served next to the Messages API (`{prefix}/twilio/v1/Content`): a channel whose `api_base` is the
sandbox reaches both there, as a real account reaches `api.twilio.com` and `content.twilio.com`.
A message sent with a `ContentSid` of `twilio/quick-reply` or `twilio/call-to-action` shows on the
customer phone as its native buttons, its `{{n}}` filled from `ContentVariables`.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from channels.sandbox.state import ButtonView

BUTTON_TYPES = ("twilio/quick-reply", "twilio/call-to-action")
KNOWN_TYPES = frozenset({"twilio/text", "twilio/media", "twilio/location", "twilio/list-picker", "twilio/card",
                         "twilio/catalog", "twilio/carousel", "twilio/flows", "twilio/schedule", "whatsapp/card",
                         "whatsapp/authentication", "whatsapp/flows", *BUTTON_TYPES})
MAX_QUICK_REPLIES = 10
MAX_TITLE = 20


class ContentError(Exception):
    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class ContentStore:
    """The Content resources each account created, by SID."""

    def __init__(self) -> None:
        self._by_sid: dict[str, dict[str, Any]] = {}
        self._random = random.Random()

    def add(self, account_sid: str, body: dict[str, Any]) -> dict[str, Any]:
        types = check(body)
        sid = "HX" + self._random.randbytes(16).hex()
        now = datetime.now(UTC).isoformat()
        resource = {"sid": sid, "account_sid": account_sid, "friendly_name": body.get("friendly_name"),
                    "language": body.get("language") or "en", "variables": body.get("variables") or {},
                    "types": types, "date_created": now, "date_updated": now,
                    "url": f"https://content.twilio.com/v1/Content/{sid}", "links": {}}
        self._by_sid[sid] = resource
        return resource

    def get(self, account_sid: str, sid: str) -> dict[str, Any] | None:
        resource = self._by_sid.get(sid)
        return resource if resource is not None and resource["account_sid"] == account_sid else None

    def of(self, account_sid: str) -> list[dict[str, Any]]:
        return [resource for resource in self._by_sid.values() if resource["account_sid"] == account_sid]

    @property
    def created(self) -> int:
        """How many resources were created (tests)."""
        return len(self._by_sid)


def check(body: object) -> dict[str, Any]:
    """The types of a create request Twilio would accept (the SDK sends the unused ones as null)."""
    if not isinstance(body, dict):
        raise ContentError(20001, "The request body must be a JSON object.")
    raw = body.get("types")
    types = {name: value for name, value in (raw or {}).items() if value is not None} if isinstance(raw, dict) else {}
    if not types:
        raise ContentError(20001, "Missing required parameter types in the post body")
    unknown = set(types) - KNOWN_TYPES
    if unknown:
        raise ContentError(20001, f"Unknown content type {sorted(unknown)[0]}")
    variables = body.get("variables")
    samples = variables.values() if isinstance(variables, dict) else ()
    if variables is not None and not (isinstance(variables, dict) and all(isinstance(v, str) for v in samples)):
        raise ContentError(20001, "variables must map names to sample strings")
    for name in BUTTON_TYPES:
        if name in types:
            _check_buttons(name, types[name])
    return types


def _check_buttons(name: str, content: object) -> None:
    if not isinstance(content, dict) or not isinstance(content.get("body"), str) or not content["body"]:
        raise ContentError(20001, f"{name} needs a body")
    actions = content.get("actions")
    limit = MAX_QUICK_REPLIES if name == "twilio/quick-reply" else 2
    if not isinstance(actions, list) or not 0 < len(actions) <= limit:
        raise ContentError(20001, f"{name} needs 1 to {limit} actions")
    for action in actions:
        title = action.get("title") if isinstance(action, dict) else None
        if not isinstance(title, str) or not 0 < len(title) <= MAX_TITLE:
            raise ContentError(20001, f"an action's title must be 1 to {MAX_TITLE} characters")
        if name == "twilio/call-to-action" and (action.get("type") not in ("URL", "PHONE_NUMBER")
                                                or not (action.get("url") or action.get("phone"))):
            raise ContentError(20001, "a call-to-action action needs a type and its url or phone")


def _fill(text: str, variables: dict[str, Any]) -> str:
    for name, value in variables.items():
        text = text.replace("{{" + str(name) + "}}", str(value))
    return text


def shown(resource: dict[str, Any], variables_json: str | None) -> tuple[str, tuple[ButtonView, ...]]:
    """What the customer phone shows of a message sent with this content: its body and buttons."""
    variables = {**resource.get("variables", {}), **(json.loads(variables_json) if variables_json else {})}
    for name in BUTTON_TYPES:
        content = resource["types"].get(name)
        if content is None:
            continue
        buttons = tuple(
            ButtonView(title=_fill(action["title"], variables), url=_fill(action["url"], variables), kind="url")
            if action.get("url") else ButtonView(title=_fill(action["title"], variables), id=action.get("id"))
            for action in content["actions"])
        return _fill(content["body"], variables), buttons
    text = (resource["types"].get("twilio/text") or {}).get("body") or f"[content {resource['sid']}]"
    return _fill(text, variables), ()


def content_error(error: ContentError) -> JSONResponse:
    return JSONResponse({"code": error.code, "message": error.message, "status": error.status,
                         "more_info": f"https://www.twilio.com/docs/errors/{error.code}"}, status_code=error.status)


def content_router(authenticate: Any, store: ContentStore) -> APIRouter:
    """`authenticate(request) -> account SID | None` (basic auth, as on the Messages API)."""
    router = APIRouter()

    @router.post("/v1/Content", name="sandbox_twilio_content_create")
    async def create(request: Request) -> JSONResponse:
        account = await authenticate(request)
        if account is None:
            return content_error(ContentError(20003, "Authenticate", 401))
        try:
            body = json.loads(await request.body())
            return JSONResponse(store.add(account, body), status_code=201)
        except ValueError:
            return content_error(ContentError(20001, "The request body is not JSON."))
        except ContentError as error:
            return content_error(error)

    @router.get("/v1/Content", name="sandbox_twilio_content_list")
    async def listing(request: Request) -> JSONResponse:
        account = await authenticate(request)
        if account is None:
            return content_error(ContentError(20003, "Authenticate", 401))
        url = "https://content.twilio.com/v1/Content?PageSize=50&Page=0"
        return JSONResponse({"contents": store.of(account), "meta": {
            "page": 0, "page_size": 50, "first_page_url": url, "previous_page_url": None, "url": url,
            "next_page_url": None, "key": "contents"}})

    @router.get("/v1/Content/{sid}", name="sandbox_twilio_content_fetch")
    async def fetch(sid: str, request: Request) -> JSONResponse:
        account = await authenticate(request)
        if account is None:
            return content_error(ContentError(20003, "Authenticate", 401))
        resource = store.get(account, sid)
        if resource is None:
            return content_error(ContentError(20404, "The requested resource was not found", 404))
        return JSONResponse(resource)

    return router
