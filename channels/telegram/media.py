"""Fetching a customer's photo, voice note or file: `getFile`, then the file URL (python-telegram-bot)."""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.request import HTTPXRequest

from channels.media import FETCH_TIMEOUT_SECONDS, FetchedMedia, too_large
from channels.telegram.send import bot_urls


async def fetch_file(*, token: str, api_base: str, file_id: str, max_bytes: int, declared_type: str | None,
                     filename: str | None) -> FetchedMedia:
    request = HTTPXRequest(connection_pool_size=1, read_timeout=FETCH_TIMEOUT_SECONDS,
                           connect_timeout=FETCH_TIMEOUT_SECONDS)
    base_url, base_file_url = bot_urls(api_base)
    bot = Bot(token, base_url=base_url, base_file_url=base_file_url, request=request, get_updates_request=request)
    try:
        await request.initialize()
        async with asyncio.timeout(FETCH_TIMEOUT_SECONDS * 2):
            file = await bot.get_file(file_id)
            if (file.file_size or 0) > max_bytes:
                return too_large(max_bytes)
            content = bytes(await file.download_as_bytearray())
    except BadRequest as error:
        return FetchedMedia(ok=False, error=f"Telegram refused the file: {error.message}", permanent=True)
    except (TelegramError, TimeoutError) as error:
        return FetchedMedia(ok=False, error=f"download failed: {type(error).__name__}")
    finally:
        await request.shutdown()
    if len(content) > max_bytes:
        return too_large(max_bytes)
    return FetchedMedia(ok=True, content=content, content_type=declared_type, filename=filename)
