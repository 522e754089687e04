"""The marketer's page at /campaigns: a shell that campaigns.js fills from the segment and campaign APIs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from channels import ADAPTERS
from flows.segments.definition import CELL_NAMES, CHANNEL_KINDS
from hub.agents.models import Role
from hub.api.deps import DbSession
from hub.channel_records import service as channels
from hub.web import i18n, render

router = APIRouter(include_in_schema=False)


@router.get("/campaigns")
def campaigns(request: Request, session: DbSession) -> Response:
    """Segments and campaigns: the builder with its live count, the editor with per-channel previews, the live
    report (marketers and admins)."""
    user = render.signed_in(request, session)
    if user is None:
        return render.to_login(request)
    locale = user.locale
    if user.role not in (Role.marketer, Role.admin):
        _ = i18n.gettext_for(locale).gettext
        return render.error_page(request, locale=locale, status=403, title=_("Not allowed"),
                                 detail=_("Only marketers and admins can work with segments and campaigns."))
    active = [c for c in channels.list_all(session=session) if c.is_active and c.kind in ADAPTERS]
    boot = {"user_id": user.id, "role": user.role,
            "channels": [{"id": c.id, "kind": c.kind, "name": c.name} for c in active],
            "lifecycle_cells": list(CELL_NAMES), "channel_kinds": list(CHANNEL_KINDS)}
    inbox_link = user.role == Role.admin or user.reads_transcripts
    return render.page(request, "campaigns.html", locale=locale, user=user,
                       boot=boot, inbox_link=inbox_link)
