"""The app factory: a composition root that mounts every package's routes."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from hub import logs, metrics, schema
from hub.agents.views import router as auth_router
from hub.api.health import router as health_router
from hub.channel_records.views import router as channels_router
from hub.contacts.views import router as contacts_router
from hub.conversations.views import router as conversations_router
from hub.db import get_engine
from hub.jobs import listeners
from hub.settings import get_settings
from hub.webhooks.routes import router as webhooks_router
from hub.webhooks.store import store_for


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    settings.resolved_secret_key()
    store = store_for(settings.database_url, get_engine())
    await store.open()
    app.state.event_store = store
    listeners.register()
    try:
        yield
    finally:
        await store.close()


def readable(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"] if p != "body") or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def create_app() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.log_level)
    schema.target_metadata()  # every package's tables, so that foreign keys resolve
    app = FastAPI(title="Hub", version="0.1.0", lifespan=lifespan,
                  description="Conversational commerce messaging hub: shared inbox, channels, catalog, broadcasts.")
    for router in (health_router, webhooks_router, auth_router, channels_router, conversations_router,
                   contacts_router):
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": readable(error)}, status_code=422)

    @app.middleware("http")
    async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = logs.request_id.set(rid[:64])
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            logs.request_id.reset(token)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        metrics.REQUEST_SECONDS.labels(path).observe(time.perf_counter() - started)
        response.headers["X-Request-ID"] = rid[:64]
        return response

    return app
