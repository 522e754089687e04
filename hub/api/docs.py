"""The API explorers (`/docs`, `/redoc`) and `/openapi.json`: for signed-in users unless HUB_PUBLIC_DOCS.

The full map of routes helps an attacker more than a shop's customers, so by default it is served
only with a valid bearer token or session cookie (staff opening /docs in their signed-in browser).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from hub.api.deps import CurrentUser

DOCS = {"openapi_url": None, "docs_url": None, "redoc_url": None}
"""FastAPI's own explorer routes, switched off when the guarded ones below take their place."""


def app_options(public: bool) -> dict[str, Any]:
    """What `FastAPI(...)` gets: its open explorers when docs are public, none otherwise."""
    return {} if public else dict(DOCS)


def guarded_router(app: FastAPI) -> APIRouter:
    """The same three pages, each needing a signed-in user."""
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    def openapi(_: CurrentUser) -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs")
    def swagger(_: CurrentUser) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - API")

    @router.get("/redoc")
    def redoc(_: CurrentUser) -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - API")

    return router
