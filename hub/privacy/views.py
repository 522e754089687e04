"""A contact's export and erasure (admins only); both leave an audit entry without personal data."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from hub.api.deps import AdminUser, DbSession
from hub.audit.service import record
from hub.privacy import erasure, export

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.get("/{contact_id}/export", response_class=Response,
            responses={200: {"content": {"application/zip": {}}, "description": "contact.json and media/"}})
def export_contact(contact_id: int, session: DbSession, admin: AdminUser) -> Response:
    """Everything Hub holds about the contact: one zip with `contact.json` and their attachments."""
    try:
        body = export.archive(session=session, contact_id=contact_id)
    except LookupError:
        raise HTTPException(404, "no such contact") from None
    record(session=session, actor_id=admin.id, action="contact.export", target_type="contact", target_id=contact_id,
           details={"bytes": len(body)})
    session.commit()
    return Response(body, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.zip"'})


@router.delete("/{contact_id}", status_code=204, response_class=Response)
def erase_contact(contact_id: int, session: DbSession, admin: AdminUser) -> Response:
    """Erase the contact everywhere: messages, raw webhook bodies, media, search; orders keep totals only."""
    try:
        counts = erasure.erase(session=session, contact_id=contact_id)
    except LookupError:
        raise HTTPException(404, "no such contact") from None
    record(session=session, actor_id=admin.id, action="contact.erase", target_type="contact", target_id=contact_id,
           details=counts)
    session.commit()
    return Response(status_code=204)
