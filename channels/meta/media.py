"""Fetching a customer's media from Graph: the media object first, then its URL, both with the token."""

from __future__ import annotations

import aiohttp

from channels.media import FETCH_TIMEOUT_SECONDS, FetchedMedia, download, too_large


async def fetch_graph_media(url: str, token: str, max_bytes: int, declared_type: str | None = None,
                            filename: str | None = None) -> FetchedMedia:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url, headers=headers) as answer:
            if answer.status >= 400:
                return FetchedMedia(ok=False, error=f"Graph answered {answer.status} for the media id",
                                    permanent=answer.status in (400, 401, 403, 404))
            media = await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return FetchedMedia(ok=False, error=f"media lookup failed: {type(error).__name__}")
    if int(media.get("file_size") or 0) > max_bytes:
        return too_large(max_bytes)
    if not media.get("url"):
        return FetchedMedia(ok=False, error="Graph gave no URL for the media", permanent=True)
    fetched = await download(str(media["url"]), max_bytes=max_bytes, headers=headers,
                             declared_type=media.get("mime_type") or declared_type)
    if fetched.ok:
        return FetchedMedia(ok=True, content=fetched.content,
                            content_type=media.get("mime_type") or declared_type or fetched.content_type,
                            filename=filename)
    return fetched
