"""The sandbox's routes as one router for Hub's app, and as a standalone app for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from channels.sandbox.accounts import Accounts, Lookup
from channels.sandbox.meta import meta_router
from channels.sandbox.phone import phone_router
from channels.sandbox.state import SandboxState
from channels.sandbox.telegram import telegram_router
from channels.sandbox.twilio import twilio_router

PREFIX = "/sandbox"


def make_router(state: SandboxState, hub_public_url: str | None = None, *,
                lookup: Lookup | None = None) -> APIRouter:
    """Every sandbox route; mount it with `app.include_router(router, prefix="/sandbox")`.

    Args:
        state: the process's one SandboxState.
        hub_public_url: where receipts and customer messages of made-up channels go (Hub's
            `HUB_PUBLIC_URL`); channels from `lookup` or `state.add_channel` use their own `public_url`.
        lookup: `lookup(channel_id) -> ChannelConfig | None` (may block: it runs in a worker
            thread). With it, only channels it knows are served; without it (tests), any
            sandbox id is accepted.

    Provider APIs live at `{prefix}/meta/{version}/{phone_number_id}/messages`,
    `{prefix}/twilio/2010-04-01/Accounts/{sid}/Messages.json` and `{prefix}/telegram/bot{token}/{method}`;
    the customer phone at `{prefix}/phone/{channel_id}`. None of them appear in the OpenAPI schema.
    """
    public_url = hub_public_url.rstrip("/") if hub_public_url else None
    accounts = Accounts(state=state, lookup=lookup, hub_public_url=public_url)
    router = APIRouter(include_in_schema=False)
    router.include_router(meta_router(accounts), prefix="/meta")
    router.include_router(twilio_router(accounts), prefix="/twilio")
    router.include_router(telegram_router(accounts), prefix="/telegram")
    router.include_router(phone_router(accounts))
    return router


def make_app(state: SandboxState | None = None, hub_public_url: str | None = None, *,
             lookup: Lookup | None = None) -> FastAPI:
    """A FastAPI app serving only the sandbox at `/sandbox` (for tests and local experiments).

    `app.state.sandbox` is its SandboxState; pending receipts are cancelled at shutdown.
    """
    sandbox = state or SandboxState()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await sandbox.close()

    app = FastAPI(title="Hub provider sandbox", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox
    app.include_router(make_router(sandbox, hub_public_url, lookup=lookup), prefix=PREFIX)
    return app
