"""Meta's Graph API for WhatsApp: `POST /{version}/{phone_number_id}/messages`, as Meta answers it."""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from channels.identities import e164, is_whatsapp_user_id
from channels.sandbox.accounts import Accounts
from channels.sandbox.meta_checks import GraphError, check_message, missing
from channels.sandbox.meta_events import customer_value, envelope, new_wamid, status_value
from channels.sandbox.receipts import schedule_receipts
from channels.sandbox.state import ButtonView, CustomerInput, Failure, Inbound, MediaView, SandboxState, hold_back
from channels.sandbox.webhooks import Webhook, meta_webhook
from channels.types import ChannelConfig

STAGES = ("sent", "delivered", "read")
_VERSION = re.compile(r"^v[0-9]{1,2}\.[0-9]$")
TITLES = {
    100: "Invalid parameter",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131051: "Unsupported message type",
    132001: "Template name does not exist in the translation",
}
DETAILS = {
    130429: "Cloud API message throughput has been reached.",
    131047: "Message failed to send because more than 24 hours have passed since the customer last replied "
            "to this number.",
}

Json = dict[str, Any]


def meta_router(accounts: Accounts) -> APIRouter:
    """Graph's `/messages` for the channels `accounts` knows (mount it at `{prefix}/meta`)."""
    router = APIRouter()
    state = accounts.state

    @router.post("/{version}/{phone_number_id}/messages", name="sandbox_meta_messages")
    async def send_message(version: str, phone_number_id: str, request: Request) -> JSONResponse:
        if not _VERSION.match(version):
            return graph_error(GraphError(2500, f"Unknown path components: /{version}/{phone_number_id}/messages"))
        token = _access_token(request)
        if not token:
            return graph_error(GraphError(104, "An access token is required to request this resource.", status=401))
        channel, token_known = await accounts.meta(token, phone_number_id, request)
        if channel is None and token_known:
            message = (f"Unsupported post request. Object with ID '{phone_number_id}' does not exist, cannot be "
                       "loaded due to missing permissions, or does not support this operation.")
            return graph_error(GraphError(100, message, subcode=33, type="GraphMethodException"))
        if channel is None:
            return graph_error(GraphError(190, "Invalid OAuth access token - Cannot parse access token", status=401))
        state.remember(channel)
        failure = state.take_failure(channel.id)
        if failure is not None:
            return graph_error(failure_error(failure), failure.retry_after)
        try:
            body = await request.json()
            check_message(body)
        except ValueError:
            return graph_error(missing("messaging_product"))
        except GraphError as error:
            return graph_error(error)
        answer = accept(state, channel, body, version)
        await hold_back(state.take_hang(channel.id))
        return answer

    return router


def accept(state: SandboxState, channel: ChannelConfig, body: Json, version: str) -> JSONResponse:
    """Record an accepted message, schedule its receipts and answer as Graph does."""
    target = body.get("to") or body.get("recipient") or ""
    customer = customer_key(target)
    wamid = new_wamid(state.random, customer)
    record = state.record(channel.id, direction="out", provider="meta", customer=customer,
                          provider_message_id=wamid, wire=body, extra={"version": version}, **view(body))

    def receipt(status: str) -> Webhook:
        return meta_webhook(channel, envelope(channel, status_value(channel, record, status)))

    schedule_receipts(state, channel.id, wamid, STAGES, receipt)
    contact: Json = {"input": target}
    contact["user_id" if "recipient" in body and "to" not in body else "wa_id"] = customer.lstrip("+")
    return JSONResponse({"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]})


def customer_key(target: str) -> str:
    """The customer as the phone page names them: E.164, or the WhatsApp user id."""
    if is_whatsapp_user_id(target):
        return target
    return e164(target) or target


def customer_message(state: SandboxState, channel: ChannelConfig, action: CustomerInput) -> Inbound:
    """The signed webhook of a message the customer wrote on the phone page."""
    message_id = new_wamid(state.random, action.customer)
    value = customer_value(channel, message_id=message_id, customer=action.customer, name=action.name,
                           text=action.text, button=action.button, reply_to=action.reply_to)
    body = envelope(channel, value)
    kind = "text" if action.button is None else "button_reply"
    return Inbound(webhook=meta_webhook(channel, body), provider_message_id=message_id, kind=kind, wire=body)


def failure_error(failure: Failure) -> GraphError:
    """The Graph error of an injected failure."""
    status = failure.status or 400
    code = failure.code
    if code is None:
        code = {429: 130429, 401: 190}.get(status) or (131000 if status >= 500 else 131047)
    message = "Invalid OAuth access token." if code == 190 else f"(#{code}) {TITLES.get(code, 'Error')}"
    return GraphError(code, message, DETAILS.get(code), status=status)


def graph_error(error: GraphError, retry_after: float | None = None) -> JSONResponse:
    """Graph's error envelope, with `WWW-Authenticate` on a 401 and `Retry-After` when asked."""
    payload: Json = {"message": error.message, "type": error.type, "code": error.code}
    if error.details:
        payload["error_data"] = {"messaging_product": "whatsapp", "details": error.details}
    if error.subcode is not None:
        payload["error_subcode"] = error.subcode
    payload["fbtrace_id"] = secrets.token_urlsafe(16)
    headers: dict[str, str] = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'
    if retry_after is not None:
        headers["Retry-After"] = str(max(0, round(retry_after)))
    return JSONResponse({"error": payload}, status_code=error.status, headers=headers)


def view(body: Json) -> dict[str, Any]:
    """What the customer's phone shows of a `/messages` body."""
    kind = str(body.get("type", "text"))
    content = body.get(kind)
    fields: dict[str, Any] = {"kind": kind}
    if not isinstance(content, dict):
        if kind == "contacts" and isinstance(content, list):
            names = [_get(item, "name", "formatted_name") for item in content]
            fields["text"] = "Contact: " + ", ".join(str(name) for name in names if name)
        return fields
    if kind == "text":
        fields["text"] = content.get("body")
    elif kind in ("image", "audio", "video", "document", "sticker"):
        fields["text"] = content.get("caption")
        fields["media"] = (MediaView(kind, content.get("link"), content.get("filename") or content.get("id")),)
    elif kind == "interactive":
        fields.update(_interactive_view(content))
    elif kind == "template":
        fields["text"] = _template_text(content)
        fields["buttons"] = _template_buttons(content)
    elif kind == "location":
        fields["text"] = " · ".join(str(content.get(key)) for key in ("name", "address", "latitude", "longitude")
                                    if content.get(key) is not None)
    elif kind == "reaction":
        fields["text"] = content.get("emoji") or "(reaction removed)"
    return fields


def _interactive_view(content: Json) -> dict[str, Any]:
    action = content.get("action") or {}
    fields: dict[str, Any] = {
        "text": _get(content, "body", "text"),
        "header": _get(content, "header", "text"),
        "footer": _get(content, "footer", "text"),
    }
    header = content.get("header") or {}
    if header.get("type") in ("image", "video", "document"):
        media = header.get(header["type"]) or {}
        fields["media"] = (MediaView(header["type"], media.get("link"), media.get("filename") or media.get("id")),)
    subtype = content.get("type")
    buttons: list[ButtonView] = []
    if subtype == "button":
        for button in action.get("buttons") or []:
            reply = button.get("reply") or {}
            buttons.append(ButtonView(str(reply.get("title")), id=reply.get("id"), kind="reply"))
    elif subtype == "list":
        fields["list_label"] = action.get("button")
        for section in action.get("sections") or []:
            for row in section.get("rows") or []:
                buttons.append(ButtonView(str(row.get("title")), id=row.get("id"), kind="list",
                                          description=row.get("description")))
    elif subtype == "cta_url":
        parameters = action.get("parameters") or {}
        buttons.append(ButtonView(str(parameters.get("display_text")), url=parameters.get("url"), kind="url"))
    elif subtype in ("product", "product_list"):
        retailer_ids = [action.get("product_retailer_id")] + [
            item.get("product_retailer_id") for section in action.get("sections") or []
            for item in section.get("product_items") or []
        ]
        products = ", ".join(str(rid) for rid in retailer_ids if rid)
        fields["text"] = "\n".join(part for part in (fields["text"], f"[products: {products}]") if part)
    fields["buttons"] = tuple(buttons)
    return fields


def _template_text(content: Json) -> str:
    language = _get(content, "language", "code")
    parameters = [
        str(parameter.get("text") or parameter.get("payload") or parameter.get("type"))
        for component in content.get("components") or [] if isinstance(component, dict)
        for parameter in component.get("parameters") or [] if isinstance(parameter, dict)
    ]
    suffix = f": {' | '.join(parameters)}" if parameters else ""
    return f"[template {content.get('name')} ({language})]{suffix}"


def _template_buttons(content: Json) -> tuple[ButtonView, ...]:
    """A template's quick-reply buttons; their titles live in the template, so the payload stands in."""
    buttons = []
    for component in content.get("components") or []:
        if not isinstance(component, dict) or component.get("sub_type") != "quick_reply":
            continue
        for parameter in component.get("parameters") or []:
            payload = parameter.get("payload") if isinstance(parameter, dict) else None
            if payload:
                buttons.append(ButtonView(str(payload), id=str(payload), kind="quick_reply"))
    return tuple(buttons)


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _access_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return request.query_params.get("access_token") or None
