"""Recording a contact's marketing consent: one at a time, or a CSV of many (admins)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from hub.api.deps import AdminUser, CurrentUser, DbSession
from hub.audit.service import record
from hub.channel_records.models import Channel
from hub.contacts import service
from hub.contacts.models import ChannelIdentity, Contact
from hub.contacts.views import visible_query

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
TRUE, FALSE = {"yes", "y", "true", "1", "granted", "opted_in"}, {"no", "n", "false", "0", "withdrawn", "opted_out"}
MAX_CSV_BYTES = 1024 * 1024


class ConsentIn(BaseModel):
    channel_id: int
    purpose: Literal["marketing"] = "marketing"
    granted: bool
    source: str = Field(min_length=1, max_length=150, examples=["checkout form, 2026-03-01"])


class ConsentRecorded(BaseModel):
    contact_id: int
    channel_id: int
    purpose: str
    status: str
    source: str
    created_at: datetime


class ImportResult(BaseModel):
    recorded: int
    errors: list[str]


def _channel(session: Session, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise HTTPException(422, f"channel_id: there is no channel {channel_id}")
    return channel


@router.post("/{contact_id}/consents", status_code=201, response_model=ConsentRecorded)
def record_consent(contact_id: int, body: ConsentIn, session: DbSession, user: CurrentUser) -> ConsentRecorded:
    """Record a contact's opt-in (`granted: true`) or opt-out on a channel, with where it came from."""
    contact = session.exec(visible_query(session, user).where(col(Contact.id) == contact_id)).first()
    if contact is None:
        raise HTTPException(404, "no such contact")
    _channel(session, body.channel_id)
    consent = service.record_consent(session=session, contact_id=contact_id, channel_id=body.channel_id,
                                     status="opted_in" if body.granted else "opted_out", purpose=body.purpose,
                                     source=f"api:{body.source}")
    record(session=session, actor_id=user.id, action="consent.record", target_type="contact", target_id=contact_id,
           details={"channel_id": body.channel_id, "status": consent.status})
    session.commit()
    return ConsentRecorded.model_validate(consent, from_attributes=True)


@router.post("/consents/import", response_model=ImportResult)
async def import_consents(file: UploadFile, session: DbSession, admin: AdminUser) -> ImportResult:
    """A CSV with a header `phone` (E.164 or local with +) or `contact_id`, `channel_id`, `granted`
    (yes/no), and optionally `source`. Rows that name no known contact or channel are reported, not stored."""
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise HTTPException(413, "the CSV is over 1 MiB; split it")
    try:
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise HTTPException(400, f"the file is not a UTF-8 CSV: {error}") from None
    recorded, errors = 0, []
    channels = {c for c in session.exec(select(Channel.id))}
    for number, row in enumerate(rows, start=2):
        problem = _import_row(session, row, channels)
        if problem:
            errors.append(f"line {number}: {problem}")
        else:
            recorded += 1
    record(session=session, actor_id=admin.id, action="consent.import", target_type="contact",
           details={"recorded": recorded, "errors": len(errors)})
    session.commit()
    return ImportResult(recorded=recorded, errors=errors[:100])


def _import_row(session: Session, row: dict[str, str | None], channels: set[int | None]) -> str | None:
    """Record one row; a sentence saying why not, or None."""
    granted = (row.get("granted") or "").strip().lower()
    if granted not in TRUE | FALSE:
        return "granted must be yes or no"
    try:
        channel_id = int((row.get("channel_id") or "").strip())
    except ValueError:
        return "channel_id must be a channel's number"
    if channel_id not in channels:
        return f"there is no channel {channel_id}"
    contact_id = _contact_of(session, row)
    if contact_id is None:
        return "no contact has this phone or contact_id"
    source = (row.get("source") or "").strip() or "no source given"
    service.record_consent(session=session, contact_id=contact_id, channel_id=channel_id,
                           status="opted_in" if granted in TRUE else "opted_out", source=f"csv:{source[:140]}")
    return None


def _contact_of(session: Session, row: dict[str, str | None]) -> int | None:
    if (row.get("contact_id") or "").strip().isdigit():
        contact = session.get(Contact, int((row.get("contact_id") or "").strip()))
        return contact.id if contact is not None and contact.erased_at is None else None
    try:
        phone = service.normalize_phone(row.get("phone") or "")
    except service.InvalidPhone:
        return None
    identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.phone == phone)
                            .order_by(col(ChannelIdentity.id))).first()
    return identity.contact_id if identity is not None else None
