"""The marketer's pages: /campaigns (campaigns.js fills it from the segment and campaign APIs), /flows and
/flows/{id} (the journeys list and editor, journeys*.js over the flows API), /bots (bots and the knowledge
base, bots.js)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from channels import ADAPTERS
from flows.segments.definition import CELL_NAMES, CHANNEL_KINDS
from hub.agents import admin
from hub.agents.models import Role, User
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


def _marketer(request: Request, session: DbSession) -> User | Response:
    """The signed-in marketer or admin, or the answer for anyone else: the login page, or a translated 403."""
    user = render.signed_in(request, session)
    if user is None:
        return render.to_login(request)
    if user.role not in (Role.marketer, Role.admin):
        _ = i18n.gettext_for(user.locale).gettext
        return render.error_page(request, locale=user.locale, status=403, title=_("Not allowed"),
                                 detail=_("Only marketers and admins can work with flows."))
    return user


@router.get("/flows")
def flows_list(request: Request, session: DbSession) -> Response:
    """The journeys: every flow with its trigger, status, published version and counts; a new flow from a blank
    graph or a ready-made template (marketers and admins)."""
    user = _marketer(request, session)
    if isinstance(user, Response):
        return user
    boot = {"user_id": user.id, "role": user.role}
    inbox_link = user.role == Role.admin or user.reads_transcripts
    return render.page(request, "journeys.html", locale=user.locale, user=user, boot=boot, inbox_link=inbox_link)


@router.get("/flows/{flow_id}")
def flow_editor(flow_id: int, request: Request, session: DbSession) -> Response:
    """One flow's editor: the graph on a canvas, each step's settings, validation, previews, versions, counts
    and test runs (marketers and admins; journeys_editor.js fills it from the flows API)."""
    user = _marketer(request, session)
    if isinstance(user, Response):
        return user
    active = [c for c in channels.list_all(session=session) if c.is_active and c.kind in ADAPTERS]
    boot = {"user_id": user.id, "role": user.role, "flow_id": flow_id,
            "channels": [{"id": c.id, "kind": c.kind, "name": c.name} for c in active],
            "teams": [{"id": team.id, "name": team.name} for team in admin.teams(session=session)],
            "agents": [{"id": agent.id, "name": agent.name} for agent in admin.users(session=session)
                       if agent.is_active and agent.role in (Role.agent, Role.admin)],
            "lifecycle_cells": list(CELL_NAMES), "channel_kinds": list(CHANNEL_KINDS)}
    inbox_link = user.role == Role.admin or user.reads_transcripts
    return render.page(request, "journeys_editor.html", locale=user.locale, user=user, boot=boot,
                       inbox_link=inbox_link)


@router.get("/bots")
def bots_page(request: Request, session: DbSession) -> Response:
    """Bots and the knowledge base: each bot's numbers and switch, the entries per language, CSV export and
    import (marketers and admins; bots.js over the bots and knowledge APIs)."""
    user = _marketer(request, session)
    if isinstance(user, Response):
        return user
    inbox_link = user.role == Role.admin or user.reads_transcripts
    active = [c for c in channels.list_all(session=session) if c.is_active and c.kind in ADAPTERS]
    boot = {"user_id": user.id, "channels": [{"id": c.id, "kind": c.kind, "name": c.name} for c in active]}
    return render.page(request, "bots.html", locale=user.locale, user=user, boot=boot, inbox_link=inbox_link)
