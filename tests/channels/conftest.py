"""Shared test tools for the channels suite, offered as fixtures (test modules import nothing from here).

- `provider_server`: a tiny local HTTP server standing in for a provider's API; it records
  every request and answers with whatever the test sets through `answer(...)`.
- `fixture`: loads a recorded provider payload from tests/fixtures/<provider>/.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_path(provider: str, name: str) -> Path:
    return FIXTURES / provider / name


def load_fixture(provider: str, name: str) -> Any:
    """A recorded provider payload (JSON) from tests/fixtures/<provider>/."""
    return json.loads(fixture_path(provider, name).read_text(encoding="utf-8"))


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> list[tuple[str, str]]:
        from urllib.parse import parse_qsl

        return parse_qsl(self.body.decode(), keep_blank_values=True)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class ProviderServer:
    """Answers every request with `reply` (or `respond(request)`) and keeps each request."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    reply: Reply = field(default_factory=Reply)
    respond: Callable[[Recorded], Reply] | None = None

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        """Answer every following request with this status, JSON body and headers."""
        self.reply = Reply(status, body, headers or {}, delay)


@pytest.fixture
def fixture() -> Callable[[str, str], Any]:
    """`fixture("meta", "text.json")`: a recorded provider payload, parsed."""
    return load_fixture


@pytest.fixture
def fixture_bytes() -> Callable[[str, str], bytes]:
    """`fixture_bytes("meta", "text.json")`: a recorded provider payload, as raw bytes."""
    return lambda provider, name: fixture_path(provider, name).read_bytes()


@pytest.fixture
async def provider_server() -> AsyncIterator[ProviderServer]:
    import asyncio

    server = ProviderServer()

    async def handle(request: web.Request) -> web.StreamResponse:
        recorded = Recorded(
            method=request.method,
            path=request.path,
            query=request.query_string,
            headers={name.lower(): value for name, value in request.headers.items()},
            body=await request.read(),
        )
        server.requests.append(recorded)
        reply = server.respond(recorded) if server.respond else server.reply
        if reply.delay:
            await asyncio.sleep(reply.delay)
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return web.Response(status=reply.status, text=text, content_type="application/json", headers=reply.headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()
