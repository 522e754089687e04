"""The report pages: /reports (the overview) and /reports/{report}. Each is a shell that reports.js fills from
GET /api/v1/reports/... (the same JSON the API documents, so the page never shows a figure the API would
refuse the user); charts are small SVGs drawn by the script, each with its table and a CSV link."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from catalog.behaviour import CELLS, LIFECYCLE
from hub.agents.models import Role, Team, User
from hub.api.deps import DbSession
from hub.channel_records import service as channels
from hub.web import i18n, render
from reports.settings import get_report_settings

router = APIRouter(include_in_schema=False)

Report = Literal["service", "agents", "sales", "campaigns", "lifecycle", "csat"]
REPORTS: tuple[Report, ...] = ("service", "agents", "csat", "sales", "campaigns", "lifecycle")
ALLOWED: dict[str, tuple[Report, ...]] = {
    Role.admin.value: REPORTS,
    Role.agent.value: ("service", "agents", "csat", "sales"),
    Role.marketer.value: ("sales", "campaigns", "lifecycle"),
}
"""Which reports each role reads (the API checks the same: `reports.access`)."""


def _page(request: Request, session: DbSession, report: str) -> Response:
    user = render.signed_in(request, session)
    if user is None:
        return render.to_login(request)
    allowed = ALLOWED.get(user.role, ())
    if report != "overview" and report not in allowed:
        _ = i18n.gettext_for(user.locale).gettext
        return render.error_page(request, locale=user.locale, status=403 if report in REPORTS else 404,
                                 title=_("Not allowed") if report in REPORTS else _("Not found"),
                                 detail=_("This report is not among the reports you can read."))
    return render.page(request, "reports.html", locale=user.locale, user=user, report=report,
                       reports=allowed, boot=_boot(session, user, report, allowed),
                       inbox_link=user.role != Role.marketer or user.reads_transcripts)


def _boot(session: DbSession, user: User, report: str, allowed: tuple[Report, ...]) -> dict[str, object]:
    teams = session.exec(select(Team).order_by(col(Team.name))).all()
    return {
        "report": report, "reports": list(allowed), "role": user.role, "user_id": user.id,
        "channels": [{"id": c.id, "name": c.name, "kind": c.kind} for c in channels.list_all(session=session)],
        "teams": [{"id": t.id, "name": t.name} for t in teams] if user.role == Role.admin else [],
        "cells": [cell.removeprefix(LIFECYCLE) for cell in CELLS],
        # the default range ends on the shop's today, not the browser's: the reports count days in the shop's zone
        "today": datetime.now(ZoneInfo(get_report_settings().timezone)).date().isoformat(),
    }


@router.get("/reports")
def overview(request: Request, session: DbSession) -> Response:
    """The owner's Monday page: the headline of every report the user may read, against the previous period."""
    return _page(request, session, "overview")


@router.get("/reports/{report}")
def report_page(report: str, request: Request, session: DbSession) -> Response:
    """One report: its figures against the previous period, its charts, their tables and CSV links."""
    return _page(request, session, report)
