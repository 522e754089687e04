"""Signing in to the web UI with a session cookie; signing out; the password and language of one's account.

The forms post back here; state-changing forms carry the CSRF token (checked by `hub.web.security`).
The login form has no session yet, so it checks the request's Origin instead.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from hub.agents import service, sessions, throttle, tokens
from hub.agents.models import Role, User, UserSession
from hub.api.deps import CurrentUser, DbSession, SignedInUser
from hub.runtime.settings import get_settings
from hub.web import i18n, render

STORE_PAGE = "/store"
"""The coupon redemption page, store staff's only page (served by `catalog.stores`)."""

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["auth"])


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never `//evil.example` or a full URL) is followed after signing in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def same_origin(request: Request) -> bool:
    """A form post from Hub's own page (or from a client that sends no Origin, which a browser always does)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    public = urlsplit(get_settings().public_url)
    host = request.headers.get("host", "")
    return origin in {f"{public.scheme}://{public.netloc}", f"http://{host}", f"https://{host}"}


def _landing(user: User, target: str | None) -> str:
    """Where a signed-in user goes: store staff always to their redemption page."""
    return STORE_PAGE if user.role == Role.store else _safe_next(target)


def set_session(request: Request, response: Response, session: DbSession, user: User) -> None:
    """A new session row for this browser, and its cookie (the caller commits)."""
    token = tokens.issue(session=session, user=user, kind="cookie", address=_address(request),
                         user_agent=request.headers.get("user-agent", ""))
    spec = sessions.cookie_spec()
    response.set_cookie(spec.name, token, max_age=spec.max_age, path=spec.path,
                        secure=spec.secure, httponly=spec.httponly, samesite="lax")


def clear_session(response: Response) -> None:
    spec = sessions.cookie_spec()
    response.delete_cookie(spec.name, path=spec.path, secure=spec.secure, httponly=spec.httponly, samesite="lax")


def _login_locale(request: Request) -> str:
    asked = request.query_params.get("lang")
    return i18n.supported(asked) if asked else i18n.from_accept_language(request.headers.get("accept-language"))


def _login_page(request: Request, *, status: int = 200, error: str | None = None, email: str = "",
                next_path: str = "/", notice: str | None = None) -> Response:
    return render.page(request, "login.html", locale=_login_locale(request), status=status, error=error, email=email,
                       next=_safe_next(next_path), notice=notice)


@router.get("/login")
def login_form(request: Request, session: DbSession) -> Response:
    user = render.anyone_signed_in(request, session)
    if user is not None:
        return RedirectResponse(_landing(user, request.query_params.get("next")), status_code=303)
    _ = i18n.gettext_for(_login_locale(request)).gettext
    notices = {"password": _("Your password was changed: sign in with the new one."),
               "out": _("You are signed out."), "everywhere": _("You are signed out on every device.")}
    return _login_page(request, next_path=request.query_params.get("next", "/"),
                       notice=notices.get(request.query_params.get("done", "")))


@router.post("/login")
def login(request: Request, session: DbSession, email: Annotated[str, Form(max_length=254)],
          password: Annotated[str, Form(max_length=1024)],
          next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/") -> Response:
    _ = i18n.gettext_for(_login_locale(request)).gettext
    if not same_origin(request):
        return _login_page(request, status=403, error=_("This sign-in form was sent from another site."))
    wait = throttle.retry_after(email, _address(request))
    if wait is not None:
        response = _login_page(request, status=429, email=email, next_path=next_path, error=_(
            "Too many failed sign-ins. Try again in {minutes} minutes.").format(minutes=max(1, (wait + 59) // 60)))
        response.headers["Retry-After"] = str(wait)
        return response
    user = service.authenticate(session=session, email=email, password=password)
    if user is None:
        throttle.record_failure(email, _address(request))
        return _login_page(request, status=401, email=email, next_path=next_path,
                           error=_("The email or the password is not right."))
    response = RedirectResponse(_landing(user, next_path), status_code=303)
    set_session(request, response, session, user)
    session.commit()
    throttle.record_success(email, _address(request))
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    """Sign out: this browser's session is revoked on the server, not only its cookie dropped."""
    token = tokens.session_token_in(request.headers.get("cookie"))
    sid = tokens.session_id_of(token)
    row = session.get(UserSession, sid) if sid is not None else None
    if row is not None:
        tokens.revoke(session=session, row=row)
        session.commit()
    response = RedirectResponse("/login?done=out", status_code=303)
    clear_session(response)
    return response


def _account_error(request: Request, user: User, message: str) -> Response:
    return render.page(request, "account.html", locale=user.locale, status=400, user=user, error=message)


@router.post("/account/password")
def change_password(request: Request, session: DbSession, user: CurrentUser,
                    current_password: Annotated[str, Form(max_length=1024)],
                    new_password: Annotated[str, Form(max_length=1024)],
                    confirm_password: Annotated[str, Form(max_length=1024)]) -> Response:
    """A new password ends every session, this one too: the agent signs in again with it."""
    _ = i18n.gettext_for(user.locale).gettext
    if new_password != confirm_password:
        return _account_error(request, user, _("The two new passwords are not the same."))
    try:
        sessions.change_password(session=session, user=user, current=current_password, new=new_password)
    except service.AccountError:
        return _account_error(request, user, _("The current password is not right, or the new one is shorter "
                                               "than 8 characters or the same as before."))
    session.commit()
    response = RedirectResponse("/login?done=password", status_code=303)
    clear_session(response)
    return response


@router.post("/account/sessions/end")
def end_sessions(session: DbSession, user: SignedInUser) -> Response:
    sessions.end_all_sessions(session=session, user=user)
    session.commit()
    response = RedirectResponse("/login?done=everywhere", status_code=303)
    clear_session(response)
    return response


@router.post("/account/language")
def set_language(session: DbSession, user: SignedInUser, locale: Annotated[str, Form(max_length=20)]) -> Response:
    try:
        sessions.set_locale(session=session, user=user, locale=locale)
    except service.AccountError as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return RedirectResponse(STORE_PAGE if user.role == Role.store else "/account?saved=language", status_code=303)


class PasswordIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)


@api_router.post("/me/password", status_code=204)
def change_password_api(body: PasswordIn, session: DbSession, user: CurrentUser) -> Response:
    """Change your password. Every token and session of yours ends, this one too: sign in again."""
    try:
        sessions.change_password(session=session, user=user, current=body.current_password, new=body.new_password)
    except service.AccountError as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    response = Response(status_code=204)
    clear_session(response)
    return response
