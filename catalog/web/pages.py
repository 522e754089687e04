"""The catalog admin page at /admin/catalog: a shell that catalog_admin.js fills from the products API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.api.deps import DbSession
from hub.web import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/catalog")
def admin_catalog(request: Request, session: DbSession) -> Response:
    """The product catalog: search, create and edit products, import and export CSV (admins only)."""
    user = render.admin(request, session)
    if isinstance(user, Response):
        return user
    boot = {"user_id": user.id, "currencies": ["HKD", "JPY", "USD"], "locales": ["en", "zh_Hant", "ja"]}
    return render.page(request, "admin_catalog.html", locale=user.locale, user=user, boot=boot)
