"""Twilio's Messages API (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`), its status
callbacks and its inbound-message webhooks, for SMS and WhatsApp.

Shapes follow the recorded payloads under tests/fixtures/twilio/.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import phonenumbers
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from channels.identities import e164, is_whatsapp_user_id
from channels.sandbox.accounts import Accounts
from channels.sandbox.receipts import schedule_receipts
from channels.sandbox.state import (
    ButtonView,
    CustomerInput,
    Failure,
    Inbound,
    MediaView,
    Record,
    SandboxState,
    hold_back,
)
from channels.sandbox.twilio_content import ContentStore, content_router, shown
from channels.sandbox.webhooks import Webhook, twilio_webhook, webhook_url
from channels.sandbox_secrets import sandbox_account_sid
from channels.twilio.errors import REASONS
from channels.types import ChannelConfig

API_VERSION = "2010-04-01"
WHATSAPP = "whatsapp:"
DEFAULT_SENDER = {"sms_twilio": "+15005550006", "whatsapp_twilio": "whatsapp:+14155238886"}
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_SENDER_ID = re.compile(r"^[A-Za-z0-9 ]{1,11}$")  # short codes and alphanumeric sender ids
_URL = re.compile(r"^https?://[^\s/]+\S*$")
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")


class TwilioError(Exception):
    """A refusal in Twilio's REST error shape."""

    def __init__(self, code: int, message: str, status: int = 400, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.retry_after = code, message, status, retry_after


def twilio_router(accounts: Accounts) -> APIRouter:
    """The Messages API for the channels `accounts` knows (mount it at `{prefix}/twilio`)."""
    router = APIRouter()
    state = accounts.state
    contents = ContentStore()

    async def content_account(request: Request) -> str | None:
        """The account SID of a Content API request's basic auth, when it names a channel's account."""
        credentials = _basic_auth(request)
        if credentials is None:
            return None
        channel = await accounts.twilio(credentials[0], *credentials, "whatsapp_twilio", request)
        return credentials[0] if channel is not None else None

    router.include_router(content_router(content_account, contents))

    @router.post(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json", name="sandbox_twilio_messages")
    async def create_message(account_sid: str, request: Request) -> JSONResponse:
        credentials = _basic_auth(request)
        fields = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        form = dict(reversed(fields))  # first value of each field
        whatsapp = any(form.get(key, "").startswith(WHATSAPP) for key in ("To", "From"))
        kind = "whatsapp_twilio" if whatsapp else "sms_twilio"
        channel = None
        if credentials is not None:
            channel = await accounts.twilio(account_sid, credentials[0], credentials[1], kind, request)
        if channel is None:
            return twilio_error(TwilioError(20003, "Authenticate", 401))
        state.remember(channel)
        try:
            failure = state.take_failure(channel.id)
            if failure is not None:
                raise failure_error(failure, form.get("To", ""))
            check_message(form, [value for key, value in fields if key == "MediaUrl"])
        except TwilioError as error:
            return twilio_error(error)
        # A ContentSid the sandbox did not create stands for an approved template made in Twilio's console.
        content = contents.get(account_sid, form["ContentSid"]) if form.get("ContentSid") else None
        answer = accept(state, channel, account_sid, fields, content)
        await hold_back(state.take_hang(channel.id))
        return answer

    return router


def check_message(form: dict[str, str], media: list[str]) -> None:
    """Raise TwilioError for a create-message form Twilio would refuse."""
    to, sender, service = form.get("To", ""), form.get("From", ""), form.get("MessagingServiceSid", "")
    if not to:
        raise TwilioError(21604, "A 'To' phone number is required.")
    if not sender and not service:
        raise TwilioError(21603, "A 'From' phone number is required.")
    if not (form.get("Body") or media or form.get("ContentSid")):
        raise TwilioError(21602, "Message body is required.")
    if not _valid_address(to, sender_id=False):
        raise TwilioError(21211, f"The 'To' number {to} is not a valid phone number.")
    if sender and not _valid_address(sender, sender_id=True):
        raise TwilioError(21212, f"The 'From' number {sender} is not a valid phone number, shortcode, or "
                                 "alphanumeric sender ID.")
    if sender and to.startswith(WHATSAPP) != sender.startswith(WHATSAPP):
        raise TwilioError(21910, "Invalid From and To pair. From and To should be of the same channel")
    if service and not re.fullmatch(r"MG[0-9a-fA-F]{32}", service):
        raise TwilioError(21701, f"The Messaging Service Sid {service} is invalid.")
    if len(form.get("Body", "")) > 1600:
        raise TwilioError(21617, "The concatenated message body exceeds the 1600 character limit.")
    if any(not _URL.match(url) for url in media):
        raise TwilioError(21620, "Invalid media URL(s).")
    callback = form.get("StatusCallback")
    if callback and not _URL.match(callback):
        raise TwilioError(21609, f"The StatusCallback URL {callback} is not a valid URL.")
    content_sid = form.get("ContentSid")
    if content_sid and not re.fullmatch(r"HX[0-9a-fA-F]{32}", content_sid):
        raise TwilioError(21655, "The ContentSid is Invalid.")
    variables = form.get("ContentVariables")
    if variables is not None:
        try:
            valid = isinstance(json.loads(variables), dict)
        except ValueError:
            valid = False
        if not valid:
            raise TwilioError(21656, "The ContentVariables Parameter is invalid.")


def accept(state: SandboxState, channel: ChannelConfig, account_sid: str,
           fields: list[tuple[str, str]], content: dict[str, Any] | None = None) -> JSONResponse:
    """Record an accepted message, schedule its status callbacks and answer 201 with the Message resource.

    A message with a `ContentSid` shows as its `content` resource: the body and native buttons."""
    form = dict(reversed(fields))
    media = [value for key, value in fields if key == "MediaUrl"]
    sid = "SM" + state.random.randbytes(16).hex()
    to, body = form["To"], form.get("Body", "")
    sender = form.get("From") or _sender(channel)
    text: str | None = body or None
    buttons: tuple[ButtonView, ...] = ()
    if content is not None:
        text, buttons = shown(content, form.get("ContentVariables"))
    elif form.get("ContentSid"):
        text = "\n".join(part for part in (body, f"[content {form['ContentSid']}] {form.get('ContentVariables', '')}")
                         if part.strip())
    kind = "media" if media else ("buttons" if buttons else ("template" if content is not None else "text"))
    record = state.record(
        channel.id, direction="out", provider="twilio", customer=customer_key(to), provider_message_id=sid,
        kind=kind, text=text, buttons=buttons,
        media=tuple(MediaView("media", url) for url in media), wire=fields,
        extra={"from": sender, "to": to, "account_sid": account_sid},
    )
    callback = form.get("StatusCallback")
    if callback:
        stages = ("sent", "delivered", "read") if to.startswith(WHATSAPP) else ("sent", "delivered")

        def receipt(status: str) -> Webhook:
            return twilio_webhook(channel, callback, status_fields(record, status, form))

        schedule_receipts(state, channel.id, sid, stages, receipt)
    now = format_datetime(datetime.now(UTC))
    resource = {
        "account_sid": account_sid, "api_version": API_VERSION, "body": body, "date_created": now,
        "date_sent": None, "date_updated": now, "direction": "outbound-api", "error_code": None,
        "error_message": None, "from": form.get("From") or None,
        "messaging_service_sid": form.get("MessagingServiceSid") or None, "num_media": str(len(media)),
        "num_segments": str(segments(body)), "price": None, "price_unit": "USD", "sid": sid,
        "status": "queued" if form.get("From") else "accepted",
        "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}/Media.json"},
        "to": to, "uri": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json",
    }
    return JSONResponse(resource, status_code=201)


def status_fields(record: Record, status: str, form: dict[str, str]) -> list[tuple[str, str]]:
    """The form of one status callback, as Twilio posts it."""
    to = form["To"]
    fields = [("SmsSid", record.provider_message_id), ("SmsStatus", status), ("MessageStatus", status), ("To", to),
              ("MessageSid", record.provider_message_id), ("AccountSid", str(record.extra["account_sid"])),
              ("From", str(record.extra["from"])), ("ApiVersion", API_VERSION)]
    if form.get("MessagingServiceSid"):
        fields.append(("MessagingServiceSid", form["MessagingServiceSid"]))
    if to.startswith(WHATSAPP):
        address = to.removeprefix(WHATSAPP)
        fields += [("ChannelPrefix", "whatsapp"), ("ChannelInstallSid", "XE" + "0" * 32),
                   ("ChannelToAddress", address[:-4] + "XXXX")]
    elif status == "delivered":
        fields.append(("RawDlrDoneDate", datetime.now(UTC).strftime("%y%m%d%H%M")))
    return fields


def customer_message(state: SandboxState, channel: ChannelConfig, action: CustomerInput) -> Inbound:
    """The signed inbound webhook of a message the customer wrote on the phone page."""
    whatsapp = channel.kind == "whatsapp_twilio"
    sid = "SM" + state.random.randbytes(16).hex()
    sender = f"{WHATSAPP}{action.customer}" if whatsapp else action.customer
    business = _business_address(state, channel, action.customer, whatsapp)
    body = action.button.title if action.button is not None else action.text or ""
    fields = [("SmsMessageSid", sid), ("NumMedia", "0")]
    if whatsapp:
        fields += [("ProfileName", action.name), ("MessageType", "button" if action.button else "text")]
    fields += [("SmsSid", sid)]
    if whatsapp and not is_whatsapp_user_id(action.customer):
        fields.append(("WaId", action.customer.lstrip("+")))
    fields += [("SmsStatus", "received"), ("Body", body), ("To", business)]
    if whatsapp and action.button is not None:
        fields += [("ButtonText", action.button.title), ("ButtonPayload", action.button.id or action.button.title)]
    if channel.get("messaging_service_sid"):
        fields.append(("MessagingServiceSid", str(channel.get("messaging_service_sid"))))
    fields += [("NumSegments", str(segments(body))), ("MessageSid", sid),
               ("AccountSid", str(channel.get("account_sid") or sandbox_account_sid(channel))),
               ("From", sender), ("ApiVersion", API_VERSION)]
    if whatsapp and action.reply_to is not None:
        fields += [("OriginalRepliedMessageSender", business),
                   ("OriginalRepliedMessageSid", action.reply_to.provider_message_id)]
    webhook = twilio_webhook(channel, webhook_url(channel, "inbound"), fields)
    kind = "button_reply" if whatsapp and action.button else "text"
    return Inbound(webhook=webhook, provider_message_id=sid, kind=kind, wire=fields)


def customer_key(address: str) -> str:
    """The customer as the phone page names them: E.164 (no `whatsapp:`), or the WhatsApp user id."""
    bare = address.removeprefix(WHATSAPP)
    return bare if is_whatsapp_user_id(bare) else e164(bare) or bare


def segments(body: str) -> int:
    """How many SMS segments a body takes: GSM-7 fits 160 (153 per part), anything else 70 (67)."""
    if not body:
        return 1
    single, part = (160, 153) if set(body) <= _GSM else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


def failure_error(failure: Failure, to: str) -> TwilioError:
    """The Twilio error of an injected failure."""
    status = failure.status or 400
    code = failure.code or {429: 20429, 401: 20003}.get(status) or (20500 if status >= 500 else 21211)
    messages = {20429: "Too Many Requests", 20003: "Authenticate", 20500: "Internal Server Error",
                21211: f"The 'To' number {to} is not a valid phone number."}
    message = messages.get(code) or REASONS.get(str(code)) or f"Error {code}"
    return TwilioError(code, message, status, failure.retry_after)


def twilio_error(error: TwilioError) -> JSONResponse:
    body = {"code": error.code, "message": error.message,
            "more_info": f"https://www.twilio.com/docs/errors/{error.code}", "status": error.status}
    headers: dict[str, str] = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(0, round(error.retry_after)))
    return JSONResponse(body, status_code=error.status, headers=headers)


def _valid_address(address: str, *, sender_id: bool) -> bool:
    bare = address.removeprefix(WHATSAPP)
    if address.startswith(WHATSAPP) and is_whatsapp_user_id(bare):
        return True
    if _PHONE.match(bare) and _possible_number(bare):
        return True
    return sender_id and not address.startswith(WHATSAPP) and bool(_SENDER_ID.match(bare))


def _possible_number(number: str) -> bool:
    """Twilio checks numbers against each country's numbering plan: `+8529123` is too short for Hong Kong."""
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


def _sender(channel: ChannelConfig) -> str:
    configured = channel.get("from_number")
    return str(configured) if configured else DEFAULT_SENDER.get(channel.kind, DEFAULT_SENDER["sms_twilio"])


def _business_address(state: SandboxState, channel: ChannelConfig, customer: str, whatsapp: bool) -> str:
    """The number the customer writes to: the one the shop last wrote from, else the channel's own."""
    sent = state.messages(channel.id, customer=customer, direction="out")
    address = str(sent[-1].extra.get("from")) if sent else _sender(channel)
    if whatsapp and not address.startswith(WHATSAPP):
        address = WHATSAPP + address
    return address


def _basic_auth(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password

