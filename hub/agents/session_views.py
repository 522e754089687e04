"""Sessions API: each sign-in (a browser's cookie, an API token) listed per user, and revocable.

Admins see and end anyone's sessions; every other user only their own (someone else's answers
404, as if it did not exist). Ending a session stops its token at once and closes its live sockets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel

from hub.agents import tokens
from hub.agents.models import Role, User, UserSession
from hub.api.deps import CurrentUser, DbSession

router = APIRouter(prefix="/api/v1", tags=["sessions"])
Id = Annotated[int, Path(ge=1, le=2**62)]


class SessionOut(BaseModel):
    id: int
    user_id: int
    kind: Literal["cookie", "bearer"]
    address: str
    user_agent: str
    created_at: datetime
    expires_at: datetime
    current: bool
    """True for the session this very request was made with."""


def _may_manage(actor: User, user_id: int) -> bool:
    return actor.role == Role.admin or actor.id == user_id


def _current_session_id(request: Request) -> int | None:
    scheme, bearer = get_authorization_scheme_param(request.headers.get("authorization"))
    token = bearer if scheme.lower() == "bearer" and bearer else tokens.session_token_in(request.headers.get("cookie"))
    return tokens.session_id_of(token)


@router.get("/users/{user_id}/sessions", response_model=list[SessionOut],
            responses={404: {"description": "no such user, or not yours to see"}})
def list_sessions(user_id: Id, request: Request, session: DbSession, actor: CurrentUser) -> list[SessionOut]:
    """The user's sessions that still work, newest first (admins: anyone's; others: their own)."""
    if not _may_manage(actor, user_id) or session.get(User, user_id) is None:
        raise HTTPException(404, "no such user")
    current = _current_session_id(request)
    return [SessionOut(id=row.id or 0, user_id=row.user_id, kind="cookie" if row.kind == "cookie" else "bearer",
                       address=row.address, user_agent=row.user_agent, created_at=row.created_at,
                       expires_at=row.expires_at, current=row.id == current)
            for row in tokens.active(session=session, user_id=user_id)]


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response,
               responses={404: {"description": "no such session, or not yours to end"}})
def end_session(session_id: Id, session: DbSession, actor: CurrentUser) -> Response:
    """End one session: its cookie or token stops working at once and its live sockets close."""
    row = session.get(UserSession, session_id)
    if row is None or not _may_manage(actor, row.user_id):
        raise HTTPException(404, "no such session")
    tokens.revoke(session=session, row=row)
    session.commit()
    return Response(status_code=204)
