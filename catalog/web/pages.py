"""The catalog admin page at /admin/catalog: a shell that catalog_admin.js fills from the products API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.agents.models import Role
from hub.api.deps import DbSession
from hub.web import i18n, render

router = APIRouter(include_in_schema=False)


@router.get("/admin/catalog")
def admin_catalog(request: Request, session: DbSession) -> Response:
    """The product catalog: search, create and edit products, import and export CSV (admins only)."""
    user = render.signed_in(request, session)
    if user is None:
        return render.to_login(request)
    locale = user.locale
    if user.role != Role.admin:
        _ = i18n.gettext_for(locale).gettext
        return render.error_page(request, locale=locale, status=403, title=_("Not allowed"),
                                 detail=_("Only admins can change Hub's settings."))
    boot = {"user_id": user.id, "currencies": ["HKD", "JPY", "USD"], "locales": ["en", "zh_Hant", "ja"]}
    return render.page(request, "admin_catalog.html", locale=locale, user=user, boot=boot)
