"""The app: middleware, error handlers and the shell that mounts the routes of the packages it is given
(`hub.composition.create_app` gives it every package's record)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from channels import ChannelConfig
from channels.sandbox import SandboxState, make_router
from hub.api import docs
from hub.api.body_limit import DEFAULT_LIMIT, BodyLimit
from hub.api.middleware import RequestContext
from hub.api.nul_guard import RefuseNul
from hub.api.proxies import TrustedProxies
from hub.channel_records.service import adapter_of, cached_config
from hub.realtime.live import LiveHub
from hub.runtime import Module, broker, logs
from hub.runtime.db import get_engine, session_scope
from hub.runtime.settings import get_settings
from hub.web.security import CsrfProtection, SecurityHeaders
from hub.web.shell import Shell
from hub.webchat import fanout as webchat
from hub.webhooks.routes import WebhookFastPath
from hub.webhooks.store import store_for
from hub.webhooks.trigger import IngestTrigger


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    settings.resolved_secret_key()
    store = store_for(settings.database_url, get_engine())
    await store.open()
    app.state.event_store = store
    app.state.ingest_trigger = IngestTrigger()
    app.state.webchat = webchat.Fanout(broker.async_client)
    app.state.live = LiveHub(broker.async_client)  # the inbox's live events, one subscription per process
    sandbox: SandboxState | None = getattr(app.state, "sandbox", None)
    gc.freeze()  # start-up objects never need collecting: shorter GC pauses on the webhook path
    gc.set_threshold(20_000, 50, 100)  # fewer young collections; requests make short-lived objects
    try:
        yield
    finally:
        if sandbox is not None:
            await sandbox.close()
        await store.close()
        await app.state.ingest_trigger.close()
        await app.state.webchat.close()
        await app.state.live.close()


def sandbox_channel(channel_id: int) -> ChannelConfig | None:
    """The sandbox's view of Hub's channels: sandbox channels only, so it never signs with real credentials."""
    config = cached_config(session_scope, channel_id)
    if config is None or not adapter_of(config.kind).uses_sandbox(config):
        return None
    return config


def readable(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"] if p != "body") or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def build(modules: Sequence[Module]) -> FastAPI:
    """The API serving these packages: their pages first (the inbox is the front door at "/"), then routes."""
    settings = get_settings()
    logs.configure(settings.log_level)
    app = FastAPI(title="Hub", version="0.1.0", lifespan=lifespan, **docs.app_options(settings.public_docs),
                  description="Conversational commerce messaging hub: shared inbox, channels, catalog, broadcasts.")
    app.include_router(docs.router(app, public=settings.public_docs))
    app.state.shell = Shell([module.web for module in modules if module.web is not None])
    for module in modules:
        for page in module.pages:
            app.include_router(page)
    for module in modules:
        for router in module.routers:
            app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": readable(error)}, status_code=422)

    @app.exception_handler(DataError)
    async def value_out_of_range(request: Request, error: DataError) -> JSONResponse:
        # PostgreSQL refused a value its column cannot hold (an id past 2**31 - 1, say): the caller's input
        return JSONResponse({"detail": "a number or value is out of range for its field (ids fit in 32 bits)"},
                            status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def database_down(request: Request, error: Exception) -> JSONResponse:
        # PostgreSQL unreachable: the pool gave up within HUB_DB_TIMEOUT; the client may retry
        return JSONResponse({"detail": "the database is unreachable; retry later"}, status_code=503,
                            headers={"Retry-After": "5"})

    if settings.sandbox_allowed:  # HUB_SANDBOX (set by `hub run`): a sandbox channel's secrets derive from its id
        app.state.sandbox = SandboxState()
        app.include_router(make_router(app.state.sandbox, settings.public_url, lookup=sandbox_channel),
                           prefix="/sandbox")
    app.add_middleware(RefuseNul)
    app.add_middleware(CsrfProtection)
    app.add_middleware(WebhookFastPath)
    # Every body is capped before auth, CSRF, routing and parsing; only the packages' uploads take more.
    larger = {path: limit + DEFAULT_LIMIT for module in modules for path, limit in module.uploads.items()}
    app.add_middleware(BodyLimit, larger=larger)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)
    app.add_middleware(TrustedProxies)  # outermost: every layer sees the client's real address
    return app
