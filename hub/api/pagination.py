"""Opaque keyset cursors: (timestamp, id) of the last row of a page."""

from __future__ import annotations

import base64
from datetime import datetime

from fastapi import HTTPException


def encode(moment: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, row_id = raw.split("|")
        return datetime.fromisoformat(moment), int(row_id)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the cursor is not one this API gave out") from None
