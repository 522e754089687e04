"""`/api/v1/api-keys`: admins list, make and revoke API keys. The secret is in the creation answer only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, Field

from hub.api.deps import AdminUser, DbSession
from hub.api_keys import service
from hub.api_keys.models import ApiKey
from hub.api_keys.service import Scope

router = APIRouter(prefix="/api/v1/api-keys", tags=["API keys"])


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["Shop till, Causeway Bay"])
    scopes: list[Scope] = Field(min_length=1, examples=[["pos:write", "contacts:read"]])
    rate_limit_per_minute: int = Field(default=120, ge=1, le=10_000,
                                       description="requests a minute before the key gets 429")


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="the secret's first characters, to tell keys apart", examples=["hub_live_Xy3q"])
    scopes: list[Scope]
    rate_limit_per_minute: int
    created_by_id: int | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="the latest use, to the minute")
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="the key itself: shown this once, stored only as a hash",
                        examples=["hub_live_Xy3qZ2u8…"])


def key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(row, from_attributes=True)


@router.get("", response_model=list[ApiKeyOut])
def list_keys(session: DbSession, user: AdminUser) -> list[ApiKeyOut]:
    """Every key, revoked ones included (never their secrets)."""
    return [key_out(row) for row in service.listed(session=session)]


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_key(body: ApiKeyIn, session: DbSession, user: AdminUser) -> ApiKeyCreated:
    """Make a key; the answer holds its secret, which Hub cannot show again."""
    row, secret = service.create(session=session, actor_id=user.id, name=body.name, scopes=body.scopes,
                                 rate_limit_per_minute=body.rate_limit_per_minute)
    session.commit()
    return ApiKeyCreated(**key_out(row).model_dump(), secret=secret)


@router.delete("/{key_id}", status_code=204, response_class=Response)
def revoke_key(key_id: Annotated[int, Path(ge=1)], session: DbSession, user: AdminUser) -> Response:
    """Revoke a key: its next request gets 401. The row stays, for the audit log."""
    if service.revoke(session=session, actor_id=user.id, key_id=key_id) is None:
        raise HTTPException(404, "no such API key")
    session.commit()
    return Response(status_code=204)
