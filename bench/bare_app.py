"""The two floors the ingest benchmark compares Hub with: (a) parse and answer, (b) parse, INSERT, commit."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from psycopg_pool import AsyncConnectionPool

CONNINFO = os.environ.get("BARE_CONNINFO", "postgresql://postgres@127.0.0.1:5432/test")
pool = AsyncConnectionPool(CONNINFO, min_size=2, max_size=10, open=False, kwargs={"autocommit": True})


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await pool.open()
    async with pool.connection() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS bare_event (id bigserial PRIMARY KEY, body bytea NOT NULL, "
                           "received_at timestamptz NOT NULL DEFAULT now())")
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


def parse(body: bytes, content_type: str) -> None:
    if content_type.startswith("application/json"):
        json.loads(body)


@app.post("/a/{rest:path}")
async def parse_only(request: Request) -> Response:
    parse(await request.body(), request.headers.get("content-type", ""))
    return Response(b'{"ok":true}', media_type="application/json")


@app.post("/b/{rest:path}")
async def parse_and_insert(request: Request) -> Response:
    body = await request.body()
    parse(body, request.headers.get("content-type", ""))
    async with pool.connection() as conn:
        await conn.execute("INSERT INTO bare_event (body) VALUES (%s)", (body,))
    return Response(b'{"ok":true}', media_type="application/json")
