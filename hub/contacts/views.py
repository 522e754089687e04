"""Contact routes: a contact with their identities, tags and consent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from hub.agents.models import Role, User
from hub.agents.service import can_see_conversations
from hub.api.deps import AdminUser, DbSession, StaffUser
from hub.api_keys.deps import ContactsReader
from hub.contacts import locales, manage, service
from hub.contacts.models import Consent, Contact
from hub.conversations.models import Conversation
from hub.tags import details as tag_details
from hub.tags.details import TagDetail

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


class IdentityOut(BaseModel):
    kind: str
    value: str
    verified: bool


class ConsentOut(BaseModel):
    channel_id: int
    status: str
    source: str
    created_at: datetime


class ContactOut(BaseModel):
    id: int
    name: str
    locale: str | None
    timezone: str | None
    customer_locale: str = Field(description="The language Hub writes to them in (en, zh_Hant, ja): the stored "
                                 "locale normalised, else their phone's country, else the shop default")
    customer_timezone: str | None = Field(description="The stored time zone, else their phone number's")
    custom_fields: dict[str, Any]
    identities: list[IdentityOut]
    tags: list[str]
    tag_details: list[TagDetail] = Field(description="each tag with what applied it (agent, rule, classifier, "
                                         "system)")
    consent: list[ConsentOut]
    orders: list[dict[str, Any]]
    created_at: datetime


class ContactPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200, examples=["陳大文"])
    locale: Literal["en", "zh_Hant", "ja", ""] | None = Field(default=None, description="empty: not known")
    timezone: str | None = Field(default=None, max_length=64, examples=["Asia/Hong_Kong"],
                                 description="an IANA time zone; empty: not known")
    custom_fields: dict[str, str | int | float | bool | None] | None = Field(
        default=None, description="fields to set; a field given null or \"\" is removed",
        examples=[{"member_no": "A123"}])


class MergeIn(BaseModel):
    other_id: int = Field(ge=1, le=2**31 - 1, description="the contact merged into this one, then deleted")


class MergeOut(BaseModel):
    contact: ContactOut
    merged_id: int
    identities: list[str]
    conversations: list[int]
    conversations_joined: list[int]


def visible_query(session: Session, user: User) -> Any:
    """Contacts this user may see (admins: all but erased ones; others: those of conversations they see)."""
    query = select(Contact).where(col(Contact.erased_at).is_(None))
    if user.role != Role.admin:
        seen = select(Conversation.contact_id).where(can_see_conversations(session, user))
        query = query.where(col(Contact.id).in_(seen))
    return query


def contact_out(session: Session, contact: Contact) -> ContactOut:
    assert contact.id is not None
    tagged = tag_details.for_contacts(session, [contact.id])[contact.id]
    consent = session.exec(select(Consent).where(Consent.contact_id == contact.id)
                           .order_by(col(Consent.created_at), col(Consent.id)))
    return ContactOut(
        id=contact.id, name=contact.name, locale=contact.locale, timezone=contact.timezone,
        customer_locale=locales.for_contact(session, contact), customer_timezone=locales.zone_for(session, contact),
        custom_fields=contact.custom_fields, created_at=contact.created_at,
        identities=[IdentityOut(kind=i.kind, value=i.value, verified=i.verified)
                    for i in service.identities_of(session=session, contact_id=contact.id)],
        tags=[tag.name for tag in tagged], tag_details=tagged,
        consent=[ConsentOut.model_validate(c, from_attributes=True) for c in consent], orders=[],
    )


@router.get("", response_model=list[ContactOut])
def list_contacts(session: DbSession, user: ContactsReader, after_id: int | None = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[ContactOut]:
    query = visible_query(session, user)
    if after_id is not None:
        query = query.where(col(Contact.id) > after_id)
    rows = session.exec(query.order_by(col(Contact.id)).limit(limit))
    return [contact_out(session, row) for row in rows]


@router.get("/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: int, session: DbSession, user: ContactsReader) -> ContactOut:
    contact = session.exec(visible_query(session, user).where(col(Contact.id) == contact_id)).first()
    if contact is None:
        raise HTTPException(404, "no such contact")
    return contact_out(session, contact)


@router.patch("/{contact_id}", response_model=ContactOut)
def change_contact(contact_id: int, body: ContactPatch, session: DbSession, user: StaffUser) -> ContactOut:
    """Correct a contact's name, language, time zone or fields (agents: contacts of their teams' conversations)."""
    contact = session.exec(visible_query(session, user).where(col(Contact.id) == contact_id)).first()
    if contact is None:
        raise HTTPException(404, "no such contact")
    try:
        manage.update_contact(session=session, actor_id=user.id, contact=contact,
                              values=body.model_dump(exclude_unset=True))
    except manage.ContactRefused as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return contact_out(session, contact)


@router.post("/{contact_id}/merge", response_model=MergeOut)
def merge_contacts(contact_id: int, body: MergeIn, session: DbSession, admin: AdminUser) -> MergeOut:
    """Merge `other_id` into this contact (admins only: a merge crosses teams and cannot be undone). Its
    identities, conversations (joined with this contact's on the same channel), tags, consent and orders
    move here; the other contact is deleted; the audit log keeps what moved."""
    survivor, other = session.get(Contact, contact_id), session.get(Contact, body.other_id)
    if survivor is None or other is None:
        raise HTTPException(404, "no such contact")
    try:
        moved = manage.merge(session=session, actor_id=admin.id, survivor=survivor, other=other)
    except manage.ContactRefused as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    kept = session.get(Contact, contact_id)
    assert kept is not None
    return MergeOut(contact=contact_out(session, kept), **moved)
