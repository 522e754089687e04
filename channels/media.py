"""Downloading a customer's media from a provider: streamed, size-limited, with a timeout, guarded.

Redirects are followed by hand (at most `MAX_REDIRECTS`), so every hop's address is checked
(`channels.netguard`) and the provider's credentials go only to the provider's own hosts: a media
URL that redirects to storage gets no `Authorization` header there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import aiohttp

from channels.netguard import BlockedDestination, blocked_reason, check_url, guarded_session, on_hosts

FETCH_TIMEOUT_SECONDS = 30.0
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


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


def refused(reason: str) -> FetchedMedia:
    return FetchedMedia(ok=False, error=f"refused to fetch: {reason}", permanent=True)


async def download(
    url: str, *, max_bytes: int, allow_private: bool, credentials: dict[str, str] | None = None,
    credential_hosts: Iterable[str] = (), declared_type: str | None = None,
) -> FetchedMedia:
    """GET `url`, following redirects to public addresses only, refusing anything over `max_bytes` early.

    `credentials` (headers such as `Authorization`) are sent only to a URL on `credential_hosts`.
    """
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    hosts = tuple(credential_hosts)
    try:
        async with guarded_session(allow_private=allow_private, timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                check_url(url, allow_private=allow_private)
                headers = dict(credentials or {}) if on_hosts(url, hosts) else {}
                async with session.get(url, headers=headers, allow_redirects=False) as answer:
                    location = answer.headers.get("Location")
                    if answer.status in REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
                    return await _read(answer, max_bytes, declared_type)
            return refused(f"more than {MAX_REDIRECTS} redirects")
    except BlockedDestination as error:
        return refused(str(error))
    except (aiohttp.ClientError, TimeoutError) as error:
        reason = blocked_reason(error)
        if reason:
            return refused(reason)
        return FetchedMedia(ok=False, error=f"download failed: {type(error).__name__}")


async def _read(answer: aiohttp.ClientResponse, max_bytes: int, declared_type: str | None) -> FetchedMedia:
    if answer.status >= 400:
        return FetchedMedia(ok=False, error=f"the provider answered {answer.status}",
                            permanent=answer.status in (400, 401, 403, 404, 410))
    if answer.status >= 300:
        return FetchedMedia(ok=False, error=f"the provider answered {answer.status} without a Location",
                            permanent=True)
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
