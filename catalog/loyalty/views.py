"""Loyalty routes: a contact's points (whoever may see one of their conversations), adjustments and the
program's rules, tiers and settings (admins)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from sqlmodel import Session, select

from catalog.errors import CatalogError, NotFound
from catalog.loyalty import ledger, program
from catalog.loyalty.ledger import NotEnoughPoints
from catalog.loyalty.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    LoyaltyOut,
    ProgramIn,
    ProgramOut,
    RuleIn,
    RuleOut,
    TierIn,
    TierOut,
    entry_out,
    loyalty_out,
    program_out,
    rule_out,
    tier_out,
)
from hub.agents.models import Role, User
from hub.agents.service import can_see_conversations
from hub.api.deps import AdminUser, DbSession
from hub.api_keys.deps import ContactsReader
from hub.contacts import service as contacts
from hub.conversations.models import Conversation

router = APIRouter(prefix="/api/v1", tags=["loyalty"])
Currency = Annotated[str, Path(min_length=3, max_length=3, examples=["HKD"])]


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    except NotEnoughPoints as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except CatalogError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None


def _visible(session: Session, user: User, contact_id: int) -> None:
    """404 unless the contact exists (not erased) and the user may see one of their conversations."""
    contact = contacts.get(session=session, contact_id=contact_id)
    seen = contact is not None and contact.erased_at is None and (
        user.role == Role.admin or session.exec(select(Conversation.id).where(
            Conversation.contact_id == contact_id, can_see_conversations(session, user)).limit(1)).first() is not None)
    if not seen:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no contact {contact_id}")


@router.get("/contacts/{contact_id}/loyalty", response_model=LoyaltyOut)
def contact_loyalty(contact_id: int, session: DbSession, user: ContactsReader) -> LoyaltyOut:
    """A contact's points balance, tier, the next tier and their latest ledger entries (agents: contacts of
    their teams' conversations)."""
    _visible(session, user, contact_id)
    return loyalty_out(program.summary(session=session, contact_id=contact_id))


@router.post("/contacts/{contact_id}/loyalty/adjustments", response_model=AdjustmentOut,
             status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "the balance would go below zero, which the program does not allow"},
                        422: {"description": "points of 0 or no reason"}})
def adjust(contact_id: int, body: AdjustmentIn, session: DbSession, admin: AdminUser) -> AdjustmentOut:
    """Add or take points by hand with a reason (admins only); written to the audit log."""
    _visible(session, admin, contact_id)
    with _answering():
        posted = program.adjust(session=session, actor_id=admin.id, contact_id=contact_id, points=body.points,
                                reason=body.reason, key=body.idempotency_key)
    session.commit()
    assert posted.entry is not None
    return AdjustmentOut(entry=entry_out(posted.entry), balance=posted.account.balance, created=posted.created)


def _program(session: Session) -> ProgramOut:
    return program_out(ledger.program(session), program.rules(session=session), program.tiers(session=session))


@router.get("/loyalty/program", response_model=ProgramOut)
def get_program(session: DbSession, admin: AdminUser) -> ProgramOut:
    """The program: expiry, whether balances may go negative, earn rules per currency and tiers (admins)."""
    return _program(session)


@router.put("/loyalty/program", response_model=ProgramOut)
def save_program(body: ProgramIn, session: DbSession, admin: AdminUser) -> ProgramOut:
    with _answering():
        program.save_program(session=session, actor_id=admin.id, expiry_days=body.expiry_days,
                             allow_negative=body.allow_negative)
    session.commit()
    return _program(session)


@router.put("/loyalty/rules/{currency}", response_model=RuleOut)
def set_rule(currency: Currency, body: RuleIn, session: DbSession, admin: AdminUser) -> RuleOut:
    """Earn `points` per `spend_minor` spent in this currency (made or replaced); orders paid from now on."""
    with _answering():
        rule = program.set_rule(session=session, actor_id=admin.id, currency=currency, points=body.points,
                                spend_minor=body.spend_minor)
    session.commit()
    return rule_out(rule)


@router.delete("/loyalty/rules/{currency}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(currency: Currency, session: DbSession, admin: AdminUser) -> Response:
    if not program.delete_rule(session=session, actor_id=admin.id, currency=currency):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no earn rule for {currency}")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/loyalty/tiers", response_model=TierOut, status_code=status.HTTP_201_CREATED)
def add_tier(body: TierIn, session: DbSession, admin: AdminUser) -> TierOut:
    """A tier; every contact's tier is recomputed (a change is a `tier_changed` journey trigger)."""
    with _answering():
        tier = program.save_tier(session=session, actor_id=admin.id, tier_id=None, name=body.name,
                                 threshold=body.threshold, benefits=body.benefits)
    session.commit()
    found = tier_out(tier)
    assert found is not None
    return found


@router.put("/loyalty/tiers/{tier_id}", response_model=TierOut)
def change_tier(tier_id: int, body: TierIn, session: DbSession, admin: AdminUser) -> TierOut:
    with _answering():
        tier = program.save_tier(session=session, actor_id=admin.id, tier_id=tier_id, name=body.name,
                                 threshold=body.threshold, benefits=body.benefits)
    session.commit()
    found = tier_out(tier)
    assert found is not None
    return found


@router.delete("/loyalty/tiers/{tier_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tier(tier_id: int, session: DbSession, admin: AdminUser) -> Response:
    if not program.delete_tier(session=session, actor_id=admin.id, tier_id=tier_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no tier {tier_id}")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
