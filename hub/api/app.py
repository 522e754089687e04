"""The app factory: a composition root that mounts every package's routes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from catalog import jobs as catalog_jobs
from catalog import privacy as catalog_privacy
from catalog import router as catalog_router
from catalog import views as catalog_views
from catalog.chat_views import router as catalog_chat_router
from catalog.payments.sandbox import router as stripe_sandbox_router
from catalog.payments.webhook import router as stripe_webhook_router
from catalog.product_page import router as product_page_router
from channels import ChannelConfig
from channels.sandbox import SandboxState, make_router
from flows.campaigns import listeners as flows_listeners
from flows.campaigns.links import router as campaign_links_router
from flows.campaigns.page import router as campaigns_page_router
from flows.campaigns.views import router as campaigns_router
from flows.segments.views import router as segments_router
from hub import broker, logs, schema
from hub.admin.pages import router as admin_pages_router
from hub.admin.views import router as admin_router
from hub.agents.admin_views import router as staff_router
from hub.agents.session_views import router as sessions_router
from hub.agents.views import router as auth_router
from hub.agents.web_views import api_router as account_api_router
from hub.agents.web_views import router as account_router
from hub.api import docs
from hub.api.body_limit import DEFAULT_LIMIT, BodyLimit
from hub.api.health import router as health_router
from hub.api.middleware import RequestContext
from hub.api.nul_guard import RefuseNul
from hub.api.proxies import TrustedProxies
from hub.assignment.views import router as assignment_router
from hub.channel_records.service import adapter_of, cached_config
from hub.channel_records.views import router as channels_router
from hub.consent.views import router as consent_router
from hub.contacts.views import router as contacts_router
from hub.conversations.actions_views import router as inbox_actions_router
from hub.conversations.views import router as conversations_router
from hub.db import get_engine, session_scope
from hub.jobs import listeners
from hub.media.views import router as media_router
from hub.privacy.views import router as privacy_router
from hub.realtime.live import LiveHub
from hub.realtime.routes import router as live_router
from hub.settings import get_settings
from hub.tagging.views import router as tagging_router
from hub.web.inbox_api import router as inbox_api_router
from hub.web.pages import router as web_router
from hub.web.security import CsrfProtection, SecurityHeaders
from hub.webchat import fanout as webchat
from hub.webchat.routes import router as webchat_router
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
    app.state.ingest_trigger = IngestTrigger(broker.redis_url())
    app.state.webchat = webchat.Fanout(broker.redis_url())
    app.state.live = LiveHub(broker.redis_url())  # the inbox's live events, one subscription per process
    webchat.install_publisher()
    listeners.register()
    catalog_jobs.register()  # behaviour tags follow orders
    flows_listeners.register()  # campaign tracking follows receipts, replies, opt-outs and orders
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


def create_app() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.log_level)
    schema.target_metadata()  # every package's tables, so that foreign keys resolve
    catalog_privacy.register()  # a contact's export and erasure cover their orders
    app = FastAPI(title="Hub", version="0.1.0", lifespan=lifespan, **docs.app_options(settings.public_docs),
                  description="Conversational commerce messaging hub: shared inbox, channels, catalog, broadcasts.")
    app.include_router(docs.router(app, public=settings.public_docs))
    app.include_router(web_router)  # first: the inbox is the front door at "/"
    app.include_router(admin_pages_router)
    for router in (health_router, auth_router, channels_router, conversations_router, consent_router, contacts_router,
                   catalog_router, catalog_chat_router, product_page_router,
                   stripe_webhook_router, stripe_sandbox_router,
                   admin_router, media_router, privacy_router, webchat_router, assignment_router, tagging_router,
                   segments_router, campaigns_router, campaign_links_router, campaigns_page_router):
        app.include_router(router)
    for router in (inbox_actions_router, inbox_api_router, live_router, account_router, account_api_router,
                   staff_router, sessions_router):
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
    # Every body is capped before auth, CSRF, routing and parsing; only the product CSV import takes more.
    app.add_middleware(BodyLimit, larger={"/api/v1/products/import": catalog_views.MAX_UPLOAD + DEFAULT_LIMIT})
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)
    app.add_middleware(TrustedProxies)  # outermost: every layer sees the client's real address
    return app
