"""Serve an ASGI app, or the whole sandbox, on a free local port in a background thread (tests, local experiments)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from channels.sandbox.accounts import Lookup
from channels.sandbox.app import PREFIX, make_app
from channels.sandbox.inbox import WebhookInbox
from channels.sandbox.state import SandboxState

START_TIMEOUT_SECONDS = 10.0


@contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Run `app` with uvicorn on `host` and a free port; yields its base URL and stops it on exit.

    The server has its own event loop in its own thread, so a test's loop can call it over HTTP.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False, loop="asyncio",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"serve-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"the server on {host}:{port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_SECONDS)
        sock.close()


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox app on a local port, with a `WebhookInbox` standing in for Hub's webhook routes."""

    url: str
    state: SandboxState
    inbox: WebhookInbox

    def api_base(self, provider: str) -> str:
        """The `api_base` that points a channel of `provider` at this sandbox."""
        return f"{self.url}{PREFIX}/{provider}"


@contextmanager
def serve_sandbox(state: SandboxState | None = None, *, lookup: Lookup | None = None) -> Iterator[RunningSandbox]:
    """Serve `make_app(state)` plus a webhook inbox on a free local port; Hub's public URL is that server."""
    sandbox = state or SandboxState()
    inbox = WebhookInbox()
    app = make_app(sandbox, lookup=lookup)
    app.include_router(inbox.router())
    with serve_in_thread(app) as url:
        yield RunningSandbox(url, sandbox, inbox)
