"""One attempt at `POST {api_base}/{api_version}/{phone_number_id}/messages`, answered as a SendResult."""

from __future__ import annotations

from typing import Any

import aiohttp

from channels import http
from channels.netguard import BlockedDestination, blocked_reason, check_url, guarded_session
from channels.retry import is_transient_http_status, parse_retry_after
from channels.types import SendResult

SEND_TIMEOUT_SECONDS = 10.0

# Graph error codes that mean "slow down" or "try again later".
RETRYABLE_CODES: frozenset[int] = frozenset({4, 80007, 130429, 131056, 1, 2, 131000, 131016})

# Graph error codes that will fail the same way every time, in words an agent understands.
PERMANENT_REASONS: dict[int, str] = {
    100: "WhatsApp rejected a parameter of the message",
    190: "access token invalid",
    470: "more than 24 hours have passed since the customer last wrote; only a template can be sent",
    131009: "WhatsApp rejected a parameter value of the message",
    131026: "the message could not be delivered to this number (not on WhatsApp, or an outdated app)",
    131047: "more than 24 hours have passed since the customer last wrote; only a template can be sent",
    131051: "WhatsApp does not support this message type",
    131062: "this message cannot be sent to a customer known only by WhatsApp user id",
    132000: "the template's parameter count does not match its definition",
    132001: "the template does not exist in this language, or is not approved",
    132005: "the template text is too long once its parameters are filled in",
    132007: "the template content breaks WhatsApp's policy",
    132012: "a template parameter has the wrong format",
    132015: "the template is paused for low quality",
    132016: "the template is disabled for low quality",
}
TEMPLATE_REASON = "WhatsApp rejected the template"
TOKEN_INVALID = "access token invalid"  # noqa: S105 (a reason, not a secret)


async def post_message(url: str, token: str, body: dict[str, Any], *, allow_private: bool = False) -> SendResult:
    """Send one request body; network trouble and timeouts come back as retryable results.

    A URL on a non-public address (unless allowed) is a permanent failure: the token is never sent there.
    """
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
    try:
        check_url(url, allow_private=allow_private)
        pooled = http.shared(allow_private)
        if pooled is not None:  # a broadcast's chunk: keep-alive connections shared by its sends
            status, retry_after, answer = await _post(pooled, url, body, headers, timeout)
        else:
            async with guarded_session(allow_private=allow_private, timeout=timeout) as session:
                status, retry_after, answer = await _post(session, url, body, headers, timeout)
    except BlockedDestination as exc:
        return SendResult(ok=False, error_code="blocked", error_reason=f"refused to send: {exc}", permanent=True)
    except TimeoutError:
        return SendResult(ok=False, error_code="timeout", error_reason="WhatsApp did not answer in time")
    except aiohttp.ClientError as exc:
        reason = blocked_reason(exc)
        if reason:
            return SendResult(ok=False, error_code="blocked", error_reason=f"refused to send: {reason}",
                              permanent=True)
        return SendResult(ok=False, error_code="network", error_reason=f"could not reach WhatsApp: {exc}")
    return result_from_answer(status, answer, retry_after)


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str],
                timeout: aiohttp.ClientTimeout) -> tuple[int, float | None, Any]:
    async with session.post(url, json=body, headers=headers, timeout=timeout, allow_redirects=False) as response:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            answer = await response.json(content_type=None)
        except ValueError:
            answer = None
        return response.status, retry_after, answer


def result_from_answer(status: int, answer: Any, retry_after: float | None) -> SendResult:
    """Map Graph's answer (HTTP status and JSON) to a SendResult."""
    if 200 <= status < 300:
        messages = answer.get("messages") if isinstance(answer, dict) else None
        first = messages[0] if isinstance(messages, list) and messages else None
        if isinstance(first, dict) and first.get("id"):
            return SendResult(ok=True, provider_message_id=str(first["id"]))
        missing = "WhatsApp answered without a message id"
        return SendResult(ok=False, error_code=str(status), error_reason=missing)
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    code = code if isinstance(code, int) else None
    error_code = str(code) if code is not None else str(status)
    message = _detail(error) or f"WhatsApp answered HTTP {status}"
    if status == 429 or code in RETRYABLE_CODES:
        return SendResult(ok=False, error_code=error_code, error_reason=message, retry_after=retry_after)
    if status == 401 or code == 190:
        return SendResult(ok=False, error_code=error_code, error_reason=TOKEN_INVALID, permanent=True)
    if is_transient_http_status(status):
        return SendResult(ok=False, error_code=error_code, error_reason=message, retry_after=retry_after)
    reason = PERMANENT_REASONS.get(code) if code is not None else None
    if reason is None and code is not None and 132000 <= code < 133000:
        reason = TEMPLATE_REASON
    if reason and code in (100, 131009, 132000, 132012) and _detail(error):
        reason = f"{reason}: {_detail(error)}"
    return SendResult(ok=False, error_code=error_code, error_reason=reason or message, permanent=True)


def _detail(error: dict[str, Any]) -> str | None:
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    for value in (details, error.get("message"), error.get("title")):
        if isinstance(value, str) and value:
            return value
    return None
