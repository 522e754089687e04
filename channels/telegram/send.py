"""One attempt at the Bot API through python-telegram-bot, answered as a SendResult.

Each send builds a `telegram.Bot` on its own `HTTPXRequest` and closes that request when done,
so nothing outlives the call or its event loop. The bot is not `initialize()`d: that would
add a `getMe` round trip to every send, and sending needs nothing it caches. The TLS settings
(the CA bundle, read from disk) are built once per process and shared (`tls`): building them
cost ~30 ms, more than the rest of a send.
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from datetime import timedelta
from functools import cache

import httpx
from telegram import Bot, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from channels.netguard import BlockedDestination, check_destination
from channels.telegram.render import BotCall
from channels.types import SendResult

DEFAULT_API_BASE = "https://api.telegram.org"
SEND_TIMEOUT_SECONDS = 10.0
CHAT_NOT_FOUND = "chat not found (the customer never started the bot)"


@cache
def tls() -> ssl.SSLContext:
    """httpx's default verification (certifi's CA bundle), built once: a context is safe to share."""
    return httpx.create_ssl_context()


def bot_urls(api_base: str) -> tuple[str, str]:
    """`base_url` and `base_file_url` for `telegram.Bot`; PTB appends the token to each."""
    root = api_base.rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


async def call_bot(*, token: str, api_base: str, call: BotCall, allow_private: bool = False) -> SendResult:
    """Run `call` on a Bot pointed at `api_base`; errors come back as values.

    PTB's HTTP client is its own, so `api_base` is resolved and checked first: the bot token (in the URL)
    never goes to a non-public address unless `allow_private`.
    """
    try:
        await check_destination(api_base, allow_private=allow_private)
    except BlockedDestination as exc:
        return SendResult(ok=False, error_code="blocked", error_reason=f"refused to send: {exc}", permanent=True)
    request = HTTPXRequest(
        connection_pool_size=1,
        connect_timeout=SEND_TIMEOUT_SECONDS,
        read_timeout=SEND_TIMEOUT_SECONDS,
        write_timeout=SEND_TIMEOUT_SECONDS,
        pool_timeout=SEND_TIMEOUT_SECONDS,
        httpx_kwargs={"verify": tls()},
    )
    base_url, base_file_url = bot_urls(api_base)
    bot = Bot(
        token, base_url=base_url, base_file_url=base_file_url, request=request, get_updates_request=request
    )
    try:
        await request.initialize()
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            sent = await getattr(bot, call.method)(**call.arguments)
    except TelegramError as exc:
        return result_from_error(exc)
    except TimeoutError:
        return SendResult(ok=False, error_code="timeout", error_reason="Telegram did not answer in time")
    finally:
        await request.shutdown()
    if sent is True and not call.method.startswith("send"):  # answer* and edit* calls answer True
        return SendResult(ok=True)
    if not isinstance(sent, Message):
        reason = "Telegram answered without a message"
        return SendResult(ok=False, error_code="bad_answer", error_reason=reason)
    return SendResult(ok=True, provider_message_id=f"{sent.chat.id}:{sent.message_id}")


def result_from_error(exc: TelegramError) -> SendResult:
    """Flood control and network trouble are retryable; refusals are permanent."""
    message = exc.message
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        reason = "Telegram flood control"
        return SendResult(ok=False, error_code="429", error_reason=reason, retry_after=seconds)
    if isinstance(exc, Forbidden):
        lowered = message.lower()
        if "blocked" in lowered:
            reason = "the customer blocked the bot"
        elif "deactivated" in lowered:
            reason = "the customer's Telegram account was deleted"
        else:
            reason = f"Telegram refused: {message}"
        return SendResult(ok=False, error_code="403", error_reason=reason, permanent=True)
    if isinstance(exc, InvalidToken):
        return SendResult(ok=False, error_code="401", error_reason="bot token invalid", permanent=True)
    if isinstance(exc, BadRequest):
        reason = CHAT_NOT_FOUND if "chat not found" in message.lower() else message
        return SendResult(ok=False, error_code="400", error_reason=reason, permanent=True)
    if isinstance(exc, ChatMigrated):
        return SendResult(ok=False, error_code="400", error_reason="the group chat moved to a supergroup",
                          permanent=True)
    if isinstance(exc, TimedOut):  # the request may have reached Telegram: nobody knows whether it was sent
        return SendResult(ok=False, error_code="timeout", error_reason="Telegram did not answer in time")
    if isinstance(exc, NetworkError):
        return SendResult(ok=False, error_code="network", error_reason=f"could not reach Telegram: {message}")
    return SendResult(ok=False, error_code="telegram", error_reason=message, permanent=True)
