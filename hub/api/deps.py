"""FastAPI dependencies: a database session per request and the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from hub.agents import service as agents
from hub.agents.models import Role, User
from hub.db import get_engine

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
SESSION_COOKIE = "hub_session"


def session_dependency() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


DbSession = Annotated[Session, Depends(session_dependency)]


def current_user(request: Request, session: DbSession, token: Annotated[str | None, Depends(oauth2)]) -> User:
    token = token or request.cookies.get(SESSION_COOKIE)
    user = agents.user_for_token(session=session, token=token) if token else None
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first: a valid bearer token or session is needed",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


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
