"""The inbox's HTML pages and static files. The pages are shells; the scripts fill them from the API."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import col, select

from channels import ADAPTERS
from hub.agents.models import Role, User
from hub.api.deps import DbSession
from hub.conversations import queries
from hub.web import i18n, render

router = APIRouter(include_in_schema=False)

FOLDER = Path(__file__).resolve().parent
"""Hub's own templates and static files (`templates/`, `static/`), mounted by the shell like any package's."""
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def _inbox(request: Request, session: DbSession, open_id: int | None) -> Response:
    user = render.signed_in(request, session)
    if user is None:
        return render.to_login(request)
    locale = user.locale
    if open_id is not None and queries.visible(session=session, user=user, conversation_id=open_id) is None:
        _ = i18n.gettext_for(locale).gettext
        return render.error_page(request, locale=locale, status=404, title=_("Not found"),
                                 detail=_("This conversation does not exist or is not one of your teams'."))
    boot = {"user_id": user.id, "open_id": open_id, "role": user.role, "online": user.online}
    shell = render.shell(request)  # other packages' parts of the inbox
    return render.page(request, "inbox.html", locale=locale, user=user, boot=boot,
                       inbox_scripts=shell.inbox_scripts, composer_templates=shell.composer_templates,
                       composer_actions=shell.composer_actions, help_keys=shell.help_keys)


@router.get("/")
def inbox(request: Request, session: DbSession) -> Response:
    """The shared inbox; a marketer who may not read transcripts lands on the campaigns page instead."""
    user = render.signed_in(request, session)
    if user is not None and user.role == Role.marketer and not user.reads_transcripts:
        return RedirectResponse("/campaigns", status_code=303)
    return _inbox(request, session, None)


@router.get("/conversations/{conversation_id}")
def inbox_at(conversation_id: int, request: Request, session: DbSession) -> Response:
    """The inbox with one conversation open (404 when it is another team's)."""
    return _inbox(request, session, conversation_id)


@router.get("/account")
def account(request: Request, session: DbSession) -> Response:
    user = render.signed_in(request, session)
    if user is None:
        return render.to_login(request)
    return render.page(request, "account.html", locale=user.locale, user=user,
                       notice=_notice(request, user.locale))


@router.get("/admin")
def admin(request: Request, session: DbSession) -> Response:
    """Settings for tagging and assignment (admins only)."""
    user = render.admin(request, session)
    if isinstance(user, Response):
        return user
    agents = session.exec(select(User).where(col(User.is_active).is_(True), col(User.role) == Role.agent.value)
                          .order_by(col(User.name))).all()
    boot = {"user_id": user.id, "channel_kinds": sorted(ADAPTERS),
            "agents": [{"id": agent.id, "name": agent.name or agent.email} for agent in agents]}
    return render.page(request, "admin.html", locale=user.locale, user=user, boot=boot)


def _notice(request: Request, locale: str) -> str | None:
    _ = i18n.gettext_for(locale).gettext
    notices = {"language": _("Language saved.")}
    return notices.get(request.query_params.get("saved", ""))


@router.get("/static/{path:path}")
def static(path: str, request: Request) -> Response:
    """The UI's scripts, styles and icon, from whichever package holds them. Revalidated on every load (ETag), so
    an upgrade shows at once."""
    target = render.shell(request).static_file(path)
    if target is None:
        return Response("not found", status_code=404, media_type="text/plain")
    media_type = STATIC_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media_type, headers={"Cache-Control": "no-cache"})
