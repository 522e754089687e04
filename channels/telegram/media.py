"""Fetching a customer's photo, voice note or file: `getFile` (python-telegram-bot), then the file URL.

The file itself is downloaded by `channels.media.download`: streamed and capped, on guarded connections.
PTB would read a `file_path` that names a file on this machine from disk; only a path under the bot's
file URL is fetched.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlsplit, urlunsplit

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.request import HTTPXRequest

from channels.media import FETCH_TIMEOUT_SECONDS, FetchedMedia, download, refused, too_large
from channels.netguard import BlockedDestination, check_destination, host_of
from channels.telegram.send import bot_urls, tls


async def fetch_file(*, token: str, api_base: str, file_id: str, max_bytes: int, declared_type: str | None,
                     filename: str | None, allow_private: bool = False) -> FetchedMedia:
    try:
        await check_destination(api_base, allow_private=allow_private)
    except BlockedDestination as error:
        return refused(str(error))
    request = HTTPXRequest(connection_pool_size=1, read_timeout=FETCH_TIMEOUT_SECONDS,
                           connect_timeout=FETCH_TIMEOUT_SECONDS, httpx_kwargs={"verify": tls()})
    base_url, base_file_url = bot_urls(api_base)
    bot = Bot(token, base_url=base_url, base_file_url=base_file_url, request=request, get_updates_request=request)
    try:
        await request.initialize()
        async with asyncio.timeout(FETCH_TIMEOUT_SECONDS):
            file = await bot.get_file(file_id)
    except BadRequest as error:
        return FetchedMedia(ok=False, error=f"Telegram refused the file: {error.message}", permanent=True)
    except (TelegramError, TimeoutError) as error:
        return FetchedMedia(ok=False, error=f"download failed: {type(error).__name__}")
    finally:
        await request.shutdown()
    if (file.file_size or 0) > max_bytes:
        return too_large(max_bytes)
    prefix = f"{base_file_url}{token}/"
    if not file.file_path or not file.file_path.startswith(prefix):
        return refused("getFile answered a path outside the bot's file URL")
    parts = urlsplit(file.file_path)  # a path with CJK or spaces, percent-encoded as PTB would
    url = urlunsplit(parts._replace(path=quote(parts.path)))
    fetched = await download(url, max_bytes=max_bytes, allow_private=allow_private,
                             credential_hosts=(host_of(api_base),))
    if not fetched.ok:
        return fetched
    return FetchedMedia(ok=True, content=fetched.content, content_type=declared_type or fetched.content_type,
                        filename=filename)
