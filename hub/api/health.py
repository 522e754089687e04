"""Liveness, readiness and metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from hub import broker, metrics
from hub.db import get_engine

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


@router.get("/metrics", include_in_schema=False)
async def prometheus() -> Response:
    try:
        for name, depth in (await run_in_threadpool(broker.queue_depths)).items():
            metrics.QUEUE_DEPTH.labels(name).set(depth)
    except Exception as error:  # Redis down: serve the other metrics anyway
        log.warning("queue depths unavailable: %s", error)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
