"""`GET /l/{token}`: a tracked campaign link. No login: the customer's browser opens it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import RedirectResponse

from flows.campaigns import tracking
from hub.api.deps import DbSession

router = APIRouter(tags=["campaigns"])


@router.get("/l/{token}", response_class=RedirectResponse, status_code=302, include_in_schema=False)
def follow_link(token: Annotated[str, Path(min_length=1, max_length=32)], session: DbSession) -> RedirectResponse:
    """Count the click (the recipient's first one is kept) and redirect to the stored http(s) URL."""
    url = tracking.click(session, token)
    if url is None:
        raise HTTPException(404, "this link is unknown or has expired")
    session.commit()
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return RedirectResponse(url, status_code=302, headers=headers)
