"""The Telegram Bot API (`/bot{token}/{method}`), as Telegram answers it, and the updates a customer sends.

Parameters arrive as the real API accepts them: query string, JSON, form or multipart. Answers are
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from channels.sandbox.accounts import Accounts
from channels.sandbox.state import CustomerInput, Failure, Inbound, SandboxState, hold_back
from channels.sandbox.telegram_messages import BotApiError, bot_user, build_message, format_amount, record_fields
from channels.sandbox.webhooks import post, telegram_webhook
from channels.types import ChannelConfig

Json = dict[str, Any]
NOT_FAILING = frozenset({"getme", "setwebhook", "deletewebhook", "getwebhookinfo"})


@dataclass(frozen=True)
class Call:
    """One Bot API call: the channel it is from, and its parameters."""

    state: SandboxState
    channel: ChannelConfig
    token: str
    params: Json


def telegram_router(accounts: Accounts) -> APIRouter:
    """The Bot API for the bots `accounts` knows (mount it at `{prefix}/telegram`)."""
    router = APIRouter()
    state = accounts.state

    @router.api_route("/bot{token}/{method}", methods=["GET", "POST"], name="sandbox_telegram_method")
    async def call_method(token: str, method: str, request: Request) -> JSONResponse:
        channel = await accounts.telegram(token, request)
        if channel is None:
            return bot_error(BotApiError(401, "Unauthorized"))
        state.remember(channel)
        handler = METHODS.get(method.lower())  # method names are case-insensitive
        if handler is None:
            return bot_error(BotApiError(404, "Not Found: method not found"))
        failure = state.take_failure(channel.id) if method.lower() not in NOT_FAILING else None
        if failure is not None:
            return bot_error(failure_error(failure))
        try:
            params = await read_params(request)
            result = handler(Call(state, channel, token, params))
        except BotApiError as error:
            return bot_error(error)
        if method.lower() not in NOT_FAILING:
            await hold_back(state.take_hang(channel.id))
        return JSONResponse({"ok": True, "result": result})

    return router


async def read_params(request: Request) -> Json:
    """Query string plus body: JSON, urlencoded or multipart (an uploaded file becomes a marker)."""
    params: Json = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError as exc:
            raise BotApiError(400, "Bad Request: can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise BotApiError(400, "Bad Request: can't parse JSON object")
        params.update(body)
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                params[key] = {"upload": value.filename or key, "size": value.size}
            else:
                params[key] = value
    for key, value in list(params.items()):  # attach://name points at an uploaded part
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params


def _send(method: str) -> Callable[[Call], Json]:
    def handler(call: Call) -> Json:
        chat_id = chat(call.params)
        message_id = call.state.next_message_id(call.channel.id, chat_id)
        message = build_message(method, call.params, bot_user(call.channel, call.token), chat_id, message_id)
        call.state.record(call.channel.id, direction="out", provider="telegram", customer=str(chat_id),
                          provider_message_id=f"{chat_id}:{message_id}", wire={"method": method, **call.params},
                          extra={"message": message}, status="sent", **record_fields(message, call.params))
        return message

    return handler


def _edit_reply_markup(call: Call) -> Json | bool:
    if call.params.get("inline_message_id"):
        return True
    chat_id = chat(call.params)
    key = f"{chat_id}:{call.params.get('message_id')}"
    sent = call.state.find(call.channel.id, key)
    if sent is None or sent.direction != "out":
        raise BotApiError(400, "Bad Request: message to edit not found")
    message = {key: value for key, value in sent.extra["message"].items() if key != "reply_markup"}
    message["edit_date"] = int(time.time())
    edited = build_message("editMessageReplyMarkup", call.params, message["from"], chat_id, message["message_id"],
                           base=message)
    call.state.update(call.channel.id, key, extra={"message": edited},
                      buttons=record_fields(edited, {})["buttons"])
    return edited


def _answer_callback_query(call: Call) -> bool:
    """The tap is answered: the customer's client stops the button's spinner (and shows `text`, if any)."""
    query_id = call.params.get("callback_query_id")
    if not query_id:
        raise BotApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
    key = f"callback:{query_id}"
    tap = call.state.find(call.channel.id, key)
    if tap is not None and tap.extra.get("answered"):
        raise BotApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
    if tap is not None:
        notice = str(call.params.get("text") or "").strip()
        call.state.update(call.channel.id, key, status="answered", extra={**tap.extra, "answered": True},
                          text="\n".join(part for part in (tap.text, notice) if part))
    return True


def _answer_pre_checkout_query(call: Call) -> bool:
    """The bot's yes or no to a payment. Yes: Telegram charges the (test) card and sends the bot a
    `successful_payment` message; no: the customer sees the bot's `error_message` and nothing is charged."""
    query_id = call.params.get("pre_checkout_query_id")
    if not query_id:
        raise BotApiError(400, "Bad Request: QUERY_ID_INVALID")
    ok = str(call.params.get("ok", "")).lower()
    if ok not in ("true", "false"):
        raise BotApiError(400, "Bad Request: parameter \"ok\" is required")
    if ok == "false" and not call.params.get("error_message"):
        raise BotApiError(400, "Bad Request: error_message is required when ok is false")
    key = f"pre_checkout:{query_id}"
    asked = call.state.find(call.channel.id, key)
    if asked is None:  # a query the sandbox never sent (tests that post updates themselves): nothing to charge
        return True
    if asked.extra.get("answered"):
        raise BotApiError(400, "Bad Request: QUERY_ID_INVALID")
    if ok == "false":
        call.state.update(call.channel.id, key, status="declined", extra={**asked.extra, "answered": True},
                          text=f"{asked.text}\n{call.params['error_message']}")
        return True
    call.state.update(call.channel.id, key, status="paid", extra={**asked.extra, "answered": True})
    query = asked.wire["pre_checkout_query"]
    task = asyncio.get_running_loop().create_task(_successful_payment(call.state, call.channel, query),
                                                  name=f"sandbox-telegram-payment-{query_id}")
    call.state.track(task)
    return True


async def _successful_payment(state: SandboxState, channel: ChannelConfig, query: Json) -> None:
    """The message Telegram sends the bot once the charge went through, as the customer's."""
    user = query["from"]
    message_id = state.next_message_id(channel.id, int(user["id"]))
    charge = str(state.random.randrange(10**17, 10**18))
    payment: Json = {"currency": query["currency"], "total_amount": query["total_amount"],
                     "invoice_payload": query["invoice_payload"],
                     "telegram_payment_charge_id": f"sandbox_{charge}", "provider_payment_charge_id": f"pi_{charge}"}
    chat_info = {key: value for key, value in user.items() if key in ("id", "first_name", "last_name")}
    update: Json = {"update_id": state.next_update_id(channel.id), "message": {
        "message_id": message_id, "from": user, "chat": {**chat_info, "type": "private"}, "date": int(time.time()),
        "successful_payment": payment}}
    key = f"{user['id']}:{message_id}"
    total = format_amount(int(query["total_amount"]), str(query["currency"]))
    state.record(channel.id, direction="in", provider="telegram", customer=str(user["id"]), provider_message_id=key,
                 kind="payment", text=f"You paid {total}", status="sending", wire=update)
    hub_status = await post(telegram_webhook(channel, update, *(state.webhook(channel.id) or (None, None))))
    ok = hub_status is not None and 200 <= hub_status < 300
    state.update(channel.id, key, status="delivered" if ok else
                 ("unreachable" if hub_status is None else f"refused {hub_status}"))


def _set_webhook(call: Call) -> bool:
    url = str(call.params.get("url") or "")
    if url and not url.startswith("https://") and not url.startswith("http://"):
        raise BotApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    secret = call.params.get("secret_token")
    call.state.set_webhook(call.channel.id, url, str(secret) if secret else None)
    return True


def _delete_webhook(call: Call) -> bool:
    call.state.set_webhook(call.channel.id, "", None)
    return True


def _webhook_info(call: Call) -> Json:
    webhook = call.state.webhook(call.channel.id)
    return {"url": webhook[0] if webhook else "", "has_custom_certificate": False, "pending_update_count": 0}


METHODS: dict[str, Callable[[Call], Any]] = {
    "getme": lambda call: bot_user(call.channel, call.token, full=True),
    "sendmessage": _send("sendMessage"),
    "sendphoto": _send("sendPhoto"),
    "senddocument": _send("sendDocument"),
    "sendvideo": _send("sendVideo"),
    "sendaudio": _send("sendAudio"),
    "sendinvoice": _send("sendInvoice"),
    "editmessagereplymarkup": _edit_reply_markup,
    "answercallbackquery": _answer_callback_query,
    "answerprecheckoutquery": _answer_pre_checkout_query,
    "setwebhook": _set_webhook,
    "deletewebhook": _delete_webhook,
    "getwebhookinfo": _webhook_info,
}


def chat(params: Json) -> int:
    """The chat id parameter; private chats only, so `@username` chats are not found."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise BotApiError(400, "Bad Request: chat_id is empty")
    try:
        return int(str(raw))
    except ValueError as exc:
        raise BotApiError(400, "Bad Request: chat not found") from exc


def customer_message(state: SandboxState, channel: ChannelConfig, action: CustomerInput) -> Inbound:
    """The update a customer's message or button tap produces, with the webhook's secret header."""
    try:
        user_id = int(action.customer)
    except ValueError as exc:
        raise ValueError("a Telegram customer is a numeric user id") from exc
    first, _, last = action.name.partition(" ")
    user: Json = {"id": user_id, "is_bot": False, "first_name": first or "Customer"}
    if last:
        user["last_name"] = last
    update: Json = {"update_id": state.next_update_id(channel.id)}
    if action.button is not None and action.button.kind == "pay":
        invoice = (action.reply_to.extra.get("message") or {}).get("invoice") if action.reply_to else None
        wire = action.reply_to.wire if action.reply_to is not None and isinstance(action.reply_to.wire, dict) else {}
        if not isinstance(invoice, dict) or not wire.get("payload"):
            raise ValueError("there is no invoice to pay")
        query_id = str(state.random.randrange(10**18, 10**19))
        update["pre_checkout_query"] = {"id": query_id, "from": user, "currency": invoice["currency"],
                                        "total_amount": invoice["total_amount"],
                                        "invoice_payload": str(wire["payload"])}
        provider_id, kind = f"pre_checkout:{query_id}", "payment"
    elif action.button is not None:
        query_id = str(state.random.randrange(10**18, 10**19))
        callback: Json = {"id": query_id, "from": user,
                          "chat_instance": str(-(10**18) - channel.id * 1000 - user_id % 1000)}
        if action.reply_to is not None and "message" in action.reply_to.extra:
            callback["message"] = action.reply_to.extra["message"]
        callback["data"] = action.button.id or action.button.title
        update["callback_query"] = callback
        provider_id, kind = f"callback:{query_id}", "callback"
    else:
        message_id = state.next_message_id(channel.id, user_id)
        chat_info = {key: value for key, value in user.items() if key in ("id", "first_name", "last_name")}
        update["message"] = {"message_id": message_id, "from": user, "chat": {**chat_info, "type": "private"},
                             "date": int(time.time()), "text": action.text or ""}
        provider_id, kind = f"{user_id}:{message_id}", "text"
    hook = state.webhook(channel.id)
    webhook = telegram_webhook(channel, update, *(hook or (None, None)))
    return Inbound(webhook=webhook, provider_message_id=provider_id, kind=kind, wire=update)


def failure_error(failure: Failure) -> BotApiError:
    """The Bot API error of an injected failure."""
    status = failure.status or 403
    if status == 429:
        wait = max(1, math.ceil(failure.retry_after or 1))
        return BotApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
    descriptions = {403: "Forbidden: bot was blocked by the user", 400: "Bad Request: chat not found",
                    401: "Unauthorized", 502: "Bad Gateway"}
    return BotApiError(status, descriptions.get(status, "Internal Server Error"))


def bot_error(error: BotApiError) -> JSONResponse:
    body: Json = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return JSONResponse(body, status_code=error.status)

