"""One attempt at Twilio's Messages API through the official SDK, answered as a SendResult.

The SDK's aiohttp client (`AsyncTwilioHttpClient`) is used, so nothing blocks the event loop.
`api_base` replaces the SDK's `https://api.twilio.com` by setting the API domain's
`base_url`; the path (`/2010-04-01/Accounts/{sid}/Messages.json`), basic auth and form
encoding stay the SDK's own. A message with native buttons first gets its Content resource's SID
(`client.content.v1.contents`, at `content.twilio.com`, or at `api_base` when one is set): from this
process's cache, else found by name in the account, else created, once per shape and channel.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from channels.netguard import BlockedDestination, blocked_reason, check_url, guarded_session
from channels.retry import is_transient_http_status, parse_retry_after
from channels.twilio.content import NativeContent
from channels.twilio.errors import RETRYABLE_CODES, reason_for
from channels.types import SendResult

DEFAULT_API_BASE = "https://api.twilio.com"
DEFAULT_CONTENT_BASE = "https://content.twilio.com"
CONTENT_SIDS: dict[tuple[object, str, str], str] = {}
"""(channel, account, shape) -> the SID of its Content resource; a resource never changes once made."""
SEND_TIMEOUT_SECONDS = 10.0


class _HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's aiohttp client, keeping the last response (for Retry-After) and repeated fields.

    Basic auth goes in as a header: aiohttp deprecates the `auth=` argument the SDK passes.
    """

    last_response: Response | None = None

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        body: object = _form_pairs(data)
        if headers.get("Content-Type") == "application/json" and data is not None:
            body = json.dumps(data, ensure_ascii=False)  # the Content API takes JSON; aiohttp would form-encode a dict
        if auth is not None:
            credentials = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {credentials}"
        response = await super().request(
            method, url, params=params, data=body,
            headers=headers, auth=None, timeout=timeout, allow_redirects=allow_redirects,
        )
        self.last_response = response
        return response


def _form_pairs(data: dict[str, object] | None) -> list[tuple[str, str]] | None:
    """A form as (name, value) pairs, with a list value (MediaUrl) sent as repeated fields."""
    if data is None:
        return None
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return pairs


def content_base(api_base: str) -> str:
    """Where the Content API is: Twilio's own host, or the same `api_base` (a sandbox serves both)."""
    return DEFAULT_CONTENT_BASE if api_base.rstrip("/") == DEFAULT_API_BASE else api_base.rstrip("/")


async def content_sid(client: Client, content: NativeContent, *, cache_key: object) -> str:
    """The SID of `content`'s resource: cached, else found by its name in the account, else created."""
    key = (cache_key, client.username, content.key)
    cached = CONTENT_SIDS.get(key)
    if cached:
        return cached
    contents = client.content.v1.contents
    found = [item.sid for item in await contents.list_async(page_size=100)
             if item.friendly_name == content.friendly_name and item.sid]
    sid = found[0] if found else (await contents.create_async(
        ContentList.ContentCreateRequest(content.create_request()))).sid
    if not sid:
        raise TwilioException("Twilio created the content but gave no sid")
    CONTENT_SIDS[key] = str(sid)
    return str(sid)


async def create_message(
    *, account_sid: str, auth_token: str, api_base: str, arguments: dict[str, Any], allow_private: bool = False,
    content: NativeContent | None = None, cache_key: object = None,
) -> SendResult:
    """`client.messages.create_async(**arguments)` against `api_base`, errors as values.

    With `content`, its resource's SID goes in as `content_sid` (see `content_sid`; cached per `cache_key`).
    The SDK's requests go through a guarded session (`channels.netguard`): the account's credentials
    never reach a non-public address unless `allow_private`.
    """
    try:
        check_url(api_base, allow_private=allow_private)
    except BlockedDestination as exc:
        return SendResult(ok=False, error_code="blocked", error_reason=f"refused to send: {exc}", permanent=True)
    http_client = _HttpClient(pool_connections=False)
    http_client.session = guarded_session(allow_private=allow_private,
                                          timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS))
    try:
        client = Client(account_sid, auth_token, http_client=http_client)
        client.edge = None  # TWILIO_EDGE / TWILIO_REGION in the environment must not move the host
        client.region = None
        client.api.base_url = api_base.rstrip("/")
        client.content.base_url = content_base(api_base)
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            if content is not None:
                arguments = {**arguments, "content_sid": await content_sid(client, content, cache_key=cache_key)}
            created = await client.messages.create_async(**arguments)
        return SendResult(ok=True, provider_message_id=created.sid)
    except TwilioRestException as exc:
        detail = exc.msg.partition(": ")[2] or exc.msg  # drop the SDK's "Unable to create record: "
        return result_from_error(exc.status, exc.code, detail, http_client.last_response)
    except TwilioServiceException as exc:  # the SDK's RFC 9457 problem-details form of the same
        return result_from_error(exc.status, exc.code, exc.detail or exc.title, http_client.last_response)
    except TimeoutError:
        return SendResult(ok=False, error_code="timeout", error_reason="Twilio did not answer in time")
    except aiohttp.ClientError as exc:
        reason = blocked_reason(exc)
        if reason:
            return SendResult(ok=False, error_code="blocked", error_reason=f"refused to send: {reason}",
                              permanent=True)
        return SendResult(ok=False, error_code="network", error_reason=f"could not reach Twilio: {exc}")
    except TwilioException as exc:
        reason = str(exc) or "Twilio refused the message"
        return SendResult(ok=False, error_code="twilio", error_reason=reason, permanent=True)
    finally:
        await http_client.close()


def result_from_error(status: int, code: int | None, message: str, response: Response | None) -> SendResult:
    """429, 5xx and passing conditions are retryable (Retry-After honoured); the rest are not."""
    error_code = str(code) if code is not None else str(status)
    retry_after = None
    if response is not None and response.headers:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
    reason = reason_for(error_code, message or f"Twilio answered HTTP {status}")
    if is_transient_http_status(status) or error_code in RETRYABLE_CODES:
        return SendResult(ok=False, error_code=error_code, error_reason=reason, retry_after=retry_after)
    return SendResult(ok=False, error_code=error_code, error_reason=reason, permanent=True)
