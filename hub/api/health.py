"""Liveness, readiness and metrics."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from hub.runtime import broker, metrics
from hub.runtime.db import get_engine
from hub.runtime.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database_ok() -> str | None:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as error:
        return f"database unreachable: {type(error).__name__}"


@router.get("/readyz")
async def readyz() -> JSONResponse:
    """200 when the database and Redis answer; 503 with the reason otherwise."""
    problems = [p for p in [await run_in_threadpool(_database_ok)] if p]
    if not await run_in_threadpool(broker.ping):
        problems.append("redis unreachable")
    if problems:
        return JSONResponse({"status": "unavailable", "reasons": problems}, status_code=503)
    return JSONResponse({"status": "ready"})


def metrics_refusal(request: Request) -> JSONResponse | None:
    """None when this request may read /metrics: with HUB_METRICS_TOKEN as a bearer token, or when
    HUB_PUBLIC_METRICS says anyone may (queue depths and routes are not for strangers by default)."""
    settings = get_settings()
    if settings.metrics_token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").removeprefix("bearer ")
        if hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            return None
        return JSONResponse({"detail": "send HUB_METRICS_TOKEN as a bearer token to read the metrics"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    if settings.public_metrics:
        return None
    return JSONResponse({"detail": "metrics are off: set HUB_METRICS_TOKEN (or HUB_PUBLIC_METRICS=true)"},
                        status_code=404)


@router.get("/metrics", include_in_schema=False)
async def prometheus(request: Request) -> Response:
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    try:
        for name, depth in (await run_in_threadpool(broker.queue_depths)).items():
            metrics.QUEUE_DEPTH.labels(name).set(depth)
    except Exception as error:  # Redis down: serve the other metrics anyway
        log.warning("queue depths unavailable: %s", error)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
