"""Fetching a customer's media from Graph: the media object first, then its URL, both with the token.

The token goes to Graph (the channel's `api_base`) and to Meta's media hosts only; every hop is guarded.
"""

from __future__ import annotations

import aiohttp

from channels.media import FETCH_TIMEOUT_SECONDS, FetchedMedia, download, refused, too_large
from channels.netguard import BlockedDestination, blocked_reason, check_url, guarded_session, host_of

MEDIA_HOSTS = ("fbsbx.com", "facebook.com", "whatsapp.net")
"""Where Graph's short-lived media URLs point (`lookaside.fbsbx.com`)."""


async def fetch_graph_media(url: str, token: str, max_bytes: int, *, allow_private: bool,
                            declared_type: str | None = None, filename: str | None = None) -> FetchedMedia:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    try:
        check_url(url, allow_private=allow_private)
        async with guarded_session(allow_private=allow_private, timeout=timeout) as session, \
                session.get(url, headers=headers, allow_redirects=False) as answer:
            if answer.status >= 400:
                return FetchedMedia(ok=False, error=f"Graph answered {answer.status} for the media id",
                                    permanent=answer.status in (400, 401, 403, 404))
            media = await answer.json(content_type=None)
    except BlockedDestination as error:
        return refused(str(error))
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        reason = blocked_reason(error)
        if reason:
            return refused(reason)
        return FetchedMedia(ok=False, error=f"media lookup failed: {type(error).__name__}")
    if not isinstance(media, dict):
        return FetchedMedia(ok=False, error="Graph answered something other than a media object", permanent=True)
    if int(media.get("file_size") or 0) > max_bytes:
        return too_large(max_bytes)
    if not media.get("url"):
        return FetchedMedia(ok=False, error="Graph gave no URL for the media", permanent=True)
    fetched = await download(str(media["url"]), max_bytes=max_bytes, allow_private=allow_private,
                             credentials=headers, credential_hosts=(*MEDIA_HOSTS, host_of(url)),
                             declared_type=media.get("mime_type") or declared_type)
    if fetched.ok:
        return FetchedMedia(ok=True, content=fetched.content,
                            content_type=media.get("mime_type") or declared_type or fetched.content_type,
                            filename=filename)
    return fetched
