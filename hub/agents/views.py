"""Signing in: the OAuth2 password flow for the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hub.agents import service, throttle, tokens
from hub.api.deps import DbSession, SignedInUser

router = APIRouter(prefix="/api/v1", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: str
    locale: str
    team_ids: list[int]


@router.post("/auth/token", response_model=Token)
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: DbSession) -> Token:
    """Exchange an email (as `username`) and password for a bearer token. Failed attempts are
    slowed down per account and address, and per address (429 with Retry-After)."""
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(form.username, address)
    if wait is not None:
        raise HTTPException(429, "too many failed sign-ins; try again later", headers={"Retry-After": str(wait)})
    user = service.authenticate(session=session, email=form.username, password=form.password)
    if user is None:
        throttle.record_failure(form.username, address)
        raise HTTPException(401, "wrong email or password", headers={"WWW-Authenticate": "Bearer"})
    token = tokens.issue(session=session, user=user, kind="bearer", address=address,
                         user_agent=request.headers.get("user-agent", ""))
    session.commit()
    throttle.record_success(form.username, address)
    return Token(access_token=token)


@router.get("/me", response_model=Me)
def me(user: SignedInUser, session: DbSession) -> Me:
    assert user.id is not None
    return Me(id=user.id, email=user.email, name=user.name, role=user.role, locale=user.locale,
              team_ids=service.team_ids_of(session=session, user_id=user.id))
