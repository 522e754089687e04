"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from hub.audit.models import AuditEntry


def record(*, session: Session, actor_id: int | None, action: str, target_type: str, target_id: object = None,
           details: dict[str, Any] | None = None) -> None:
    """Add an entry in the caller's transaction. `details` must never hold secrets."""
    session.add(AuditEntry(actor_id=actor_id, action=action, target_type=target_type,
                           target_id=None if target_id is None else str(target_id), details=details or {}))
