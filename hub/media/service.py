"""Hub's media store: customers' attachments, fetched by a job, checked, kept on disk by content hash.

Only types an agent's browser can show safely are kept; the bytes must look like what the
provider said they are (no HTML or SVG passing as an image), and each file is served with
`nosniff` and a sandboxing CSP.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlmodel import Session

from hub.conversations.models import Message
from hub.runtime import events
from hub.runtime.settings import get_settings

MEDIA_KINDS = frozenset({"image", "audio", "video", "document", "sticker"})

ALLOWED_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp",
    "audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/wav", "audio/webm",
    "video/mp4", "video/3gpp", "video/quicktime", "video/webm",
    "application/pdf", "text/plain", "text/csv", "application/zip",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
})
INLINE_TYPES = ("image/", "audio/", "video/")

MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "audio/ogg": (b"OggS",),
}
MARKUP = (b"<!doctype", b"<html", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe")


class Rejected(ValueError):
    """The file is not one Hub keeps; the message says why."""


def attachment_count(message: Message) -> int:
    if message.kind not in MEDIA_KINDS:
        return 0
    media = message.payload.get("media")
    return len(media) if isinstance(media, list) else 1


def check(content: bytes, content_type: str | None) -> str:
    """The content type to store under, or Rejected."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "image/webp" and not (content[:4] == b"RIFF" and content[8:12] == b"WEBP"):
        raise Rejected("the file is not the WebP image it claims to be")
    if kind not in ALLOWED_TYPES:
        raise Rejected(f"files of type {kind or 'unknown'} are not kept")
    head = content[:512].lstrip().lower()
    if head.startswith(MARKUP):
        raise Rejected("the file holds markup, not media")
    if kind in MAGIC and not content.startswith(MAGIC[kind]):
        raise Rejected(f"the file is not the {kind} it claims to be")
    return kind


def media_dir() -> Path:
    return get_settings().var_dir / "media"


def path_for(key: str) -> Path:
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        raise ValueError("not a media key")
    return media_dir() / key[:2] / key


def save(content: bytes) -> str:
    """Store the bytes (once per content) and return their key."""
    key = hashlib.sha256(content).hexdigest()
    path = path_for(key)
    if path.exists():
        path.touch()  # received again: its retention starts over
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
    return key


def record(*, session: Session, message: Message, index: int, entry: dict[str, Any]) -> None:
    """Remember what happened to attachment `index` in the message's payload."""
    attachments = [dict(a) for a in message.payload.get("attachments", [])]
    attachments = [a for a in attachments if a.get("index") != index] + [{"index": index, **entry}]
    message.payload = {**message.payload, "attachments": sorted(attachments, key=lambda a: a["index"])}
    session.add(message)
    events.emit(session, events.MESSAGE_STATUS, message_id=message.id, conversation_id=message.conversation_id,
                status=message.status, attachments=len(attachments), sender=message.sender)


def stored_attachment(message: Message, index: int) -> dict[str, Any] | None:
    for entry in message.payload.get("attachments", []):
        if entry.get("index") == index and entry.get("status") == "stored":
            return dict(entry)
    return None
