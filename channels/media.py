"""Downloading a customer's media from a provider: streamed, size-limited, with a timeout."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

FETCH_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class FetchedMedia:
    """The bytes of one attachment, or why there are none (`permanent`: trying again won't help)."""

    ok: bool
    content: bytes = b""
    content_type: str | None = None
    filename: str | None = None
    error: str | None = None
    permanent: bool = False


def too_large(max_bytes: int) -> FetchedMedia:
    return FetchedMedia(ok=False, error=f"larger than the {max_bytes // (1024 * 1024)} MiB limit", permanent=True)


async def download(
    url: str, *, max_bytes: int, headers: dict[str, str] | None = None, auth: aiohttp.BasicAuth | None = None,
    declared_type: str | None = None,
) -> FetchedMedia:
    """GET `url` (following redirects), refusing anything over `max_bytes` as soon as it is seen."""
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(url, headers=headers or {}, auth=auth) as answer:
            if answer.status >= 400:
                return FetchedMedia(ok=False, error=f"the provider answered {answer.status}",
                                    permanent=answer.status in (400, 401, 403, 404, 410))
            if (answer.content_length or 0) > max_bytes:
                return too_large(max_bytes)
            chunks, size = [], 0
            async for chunk in answer.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    return too_large(max_bytes)
                chunks.append(chunk)
            content_type = (answer.headers.get("Content-Type") or declared_type or "").split(";")[0].strip()
            return FetchedMedia(ok=True, content=b"".join(chunks), content_type=content_type or None)
    except (aiohttp.ClientError, TimeoutError) as error:
        return FetchedMedia(ok=False, error=f"download failed: {type(error).__name__}")
