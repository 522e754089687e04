"""Rendering the web UI's pages: Jinja2 with autoescaping, in the agent's language."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from hub.agents import tokens
from hub.agents.models import Role, User
from hub.agents.sessions import csrf_token_for
from hub.runtime.settings import get_settings
from hub.web import i18n
from hub.web.shell import Shell

NO_STORE = {"Cache-Control": "no-store"}


def shell(request: Request) -> Shell:
    """The web shell the app was built with: every package's templates, static files and script strings."""
    mounted: Shell = request.app.state.shell
    return mounted


def session_token(request: Request) -> str | None:
    return tokens.session_token_in(request.headers.get("cookie"))


def to_login(request: Request) -> RedirectResponse:
    """Send someone who is not signed in to the login page, and back here afterwards."""
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def anyone_signed_in(request: Request, session: Session) -> User | None:
    """The user whose session cookie came with this page request, if it is still valid, store staff too."""
    token = session_token(request)
    return tokens.user_for_token(session=session, token=token) if token else None


def signed_in(request: Request, session: Session) -> User | None:
    """The agent whose session cookie came with this page request, if it is still valid. Store staff are
    not signed in for these pages (the login page sends them on to their redemption page)."""
    user = anyone_signed_in(request, session)
    return None if user is None or user.role == Role.store else user


def admin(request: Request, session: Session) -> User | Response:
    """The signed-in admin, or the answer for anyone else: the login page, or a translated 403."""
    user = signed_in(request, session)
    if user is None:
        return to_login(request)
    if user.role != Role.admin:
        _ = i18n.gettext_for(user.locale).gettext
        return error_page(request, locale=user.locale, status=403, title=_("Not allowed"),
                          detail=_("Only admins can change Hub's settings."))
    return user


def page(request: Request, name: str, *, locale: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in `locale`; `_` translates, `styles` are every package's style sheets, `strings` the scripts'
    strings. Pages are never cached: they hold the CSRF token."""
    token = session_token(request)
    mounted = shell(request)
    translations = i18n.gettext_for(locale)
    values = {
        "_": translations.gettext, "lang": i18n.html_lang(i18n.supported(locale)), "locale": i18n.supported(locale),
        "languages": list(i18n.LABELS.items()), "shop_name": get_settings().shop_name,
        "csrf_token": csrf_token_for(token) if token else "", "styles": mounted.styles,
        "strings": mounted.strings(locale), **context,
    }
    html = mounted.environment.get_template(name).render(values)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def error_page(request: Request, *, locale: str, status: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "error.html", locale=locale, status=status, title=title, detail=detail)
