"""Serving a customer's attachment to agents who may see its conversation."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from sqlmodel import select

from hub.agents.service import can_see_conversations
from hub.api.deps import CurrentUser, DbSession
from hub.conversations.models import Conversation, Message
from hub.media import service

router = APIRouter(prefix="/api/v1/messages", tags=["media"])


@router.get("/{message_id}/attachments/{index}", response_class=FileResponse)
def attachment(message_id: int, index: int, session: DbSession, user: CurrentUser) -> FileResponse:
    """The file; images, audio and video inline, everything else as a download."""
    message = session.exec(
        select(Message).join(Conversation, Conversation.id == Message.conversation_id)  # type: ignore[arg-type]
        .where(Message.id == message_id, can_see_conversations(session, user))
    ).first()
    entry = service.stored_attachment(message, index) if message else None
    if entry is None:
        raise HTTPException(404, "no such attachment")
    path = service.path_for(entry["key"])
    if not path.exists():
        raise HTTPException(404, "the file is no longer stored")
    inline = entry["content_type"].startswith(service.INLINE_TYPES)
    filename = entry.get("filename") or f"message-{message_id}-{index}"
    return FileResponse(
        path, media_type=entry["content_type"], filename=filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
                 "Cache-Control": "private, max-age=3600"},
    )
