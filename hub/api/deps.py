"""FastAPI dependencies: a database session per request and the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from hub.agents import service as agents
from hub.agents import tokens
from hub.agents.models import Role, User
from hub.agents.sessions import CSRF_CHECKED, UNSAFE_METHODS
from hub.runtime.db import for_reports, get_engine, read_scope
from hub.runtime.settings import get_settings

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def session_dependency() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


DbSession = Annotated[Session, Depends(session_dependency)]


def read_session_dependency(primary: DbSession) -> Iterator[Session]:
    """The read-only copy's session, or, with none, the request's own (a second SQLite transaction in the same
    request would wait for the first one's lock), with PostgreSQL's JIT off for its transaction (`for_reports`)."""
    if not get_settings().database_read_url:
        for_reports(primary)
        yield primary
        return
    with read_scope() as session:
        for_reports(session)
        yield session


ReadSession = Annotated[Session, Depends(read_session_dependency)]
"""For routes that only read and may lag a moment behind (reports): the read-only copy when there is one."""


def signed_in_user(request: Request, session: DbSession, bearer: Annotated[str | None, Depends(oauth2)]) -> User:
    """The user of the bearer token, else of the session cookie, whatever their role (store staff too).

    A cookie is sent by the browser on its own, so a change it authenticates must have passed the
    CSRF check: whatever the middleware thought of the request, no cookie changes state unchecked.
    """
    if bearer:  # another site cannot make a browser send it
        user = tokens.user_for_token(session=session, token=bearer)
    else:
        cookie = tokens.session_token_in(request.headers.get("cookie"))
        user = tokens.user_for_token(session=session, token=cookie) if cookie else None
        if user is not None and request.method in UNSAFE_METHODS and not request.scope.get(CSRF_CHECKED):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "this request needs the page's CSRF token: reload the page and try again")
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first: a valid bearer token or session is needed",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def current_user(request: Request, session: DbSession, bearer: Annotated[str | None, Depends(oauth2)]) -> User:
    """The signed-in user, unless they are store staff: those reach only the routes that take `DeskUser`."""
    user = signed_in_user(request, session, bearer)
    if user.role == Role.store:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "store staff may only redeem coupons and see their stores")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
SignedInUser = Annotated[User, Depends(signed_in_user)]
"""Anyone signed in, store staff included: only for routes every role needs (their own account, signing out)."""


def desk_user(user: SignedInUser) -> User:
    if user.role not in (Role.store, Role.admin):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only store staff and admins redeem coupons")
    return user


DeskUser = Annotated[User, Depends(desk_user)]
"""Store staff and admins: who may look up and redeem coupons at a store's till."""


def admin_user(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin may do this")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def staff_user(user: CurrentUser) -> User:
    if not agents.answers_customers(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only agents and admins change conversations")
    return user


StaffUser = Annotated[User, Depends(staff_user)]
"""Agents and admins: who may answer, assign, tag or close a conversation."""


def marketer_user(user: CurrentUser) -> User:
    if user.role not in (Role.marketer, Role.admin):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only marketers and admins work with segments and campaigns")
    return user


MarketerUser = Annotated[User, Depends(marketer_user)]
"""Marketers and admins: who may build segments and run campaigns."""
