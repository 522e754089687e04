"""The API explorers (`/docs`, `/redoc`) and `/openapi.json`: for signed-in users unless HUB_PUBLIC_DOCS.

The full map of routes helps an attacker more than a shop's customers, so by default it is served
only with a valid bearer token or session cookie (staff opening /docs in their signed-in browser).

Swagger UI and ReDoc load their scripts and styles from Hub itself (`/docs/assets/…`, the files that
the `fastapi-offline` package ships: Swagger UI 5, Apache-2.0; ReDoc, MIT), never from a CDN, so the
docs work on a shop's network without internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from hub.api.deps import current_user

DOCS = {"openapi_url": None, "docs_url": None, "redoc_url": None}
"""FastAPI's own explorer routes (which load Swagger UI from a CDN), always replaced by the ones below."""
ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSET_TYPES = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
               "redoc.standalone.js": "text/javascript; charset=utf-8", "favicon.png": "image/png"}
PREFIX = "/docs/assets"


def app_options(public: bool) -> dict[str, Any]:
    """What `FastAPI(...)` gets: none of its own explorers (see `router`)."""
    return dict(DOCS)


def router(app: FastAPI, *, public: bool) -> APIRouter:
    """The three pages (each needing a signed-in user unless `public`) and their assets (for anyone)."""
    docs = APIRouter(include_in_schema=False)
    guard = [] if public else [Depends(current_user)]

    @docs.get("/openapi.json", dependencies=guard)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @docs.get("/docs", dependencies=guard)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - API",
                                   swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{PREFIX}/swagger-ui.css",
                                   swagger_favicon_url=f"{PREFIX}/favicon.png")

    @docs.get("/redoc", dependencies=guard)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - API",
                              redoc_js_url=f"{PREFIX}/redoc.standalone.js", redoc_favicon_url=f"{PREFIX}/favicon.png",
                              with_google_fonts=False)

    @docs.get(PREFIX + "/{name}")
    def asset(name: str) -> Response:
        media_type = ASSET_TYPES.get(name)
        if media_type is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(ASSETS / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    return docs
