"""Composer routes: send products into a conversation, and see the customer's open cart.

The conversation must be one the user may see (404 otherwise); only agents and admins send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from catalog import carts, chat, money
from catalog.errors import CatalogError, NotFound
from hub.agents.models import User
from hub.api.deps import CurrentUser, DbSession, StaffUser
from hub.contacts.models import Contact
from hub.conversations import outbound, queries
from hub.conversations.models import Conversation
from hub.conversations.views import MessageOut, message_out

router = APIRouter(prefix="/api/v1/conversations", tags=["catalog"])


class ProductsIn(BaseModel):
    variant_ids: list[int] = Field(min_length=1, max_length=chat.MAX_ROWS)


class CartLineOut(BaseModel):
    variant_id: int
    sku: str
    title: str
    image_url: str | None
    quantity: int
    unit_minor: int
    line_minor: int
    line: str


class CartOut(BaseModel):
    cart_id: int | None
    currency: str
    lines: list[CartLineOut]
    total_minor: int
    total: str


def _visible(session: Session, user: User, conversation_id: int) -> Conversation:
    conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation")
    return conversation


def _locale(session: Session, conversation: Conversation) -> str | None:
    contact = session.get(Contact, conversation.contact_id)
    return contact.locale if contact else None


@router.post("/{conversation_id}/products", response_model=MessageOut, status_code=status.HTTP_202_ACCEPTED)
def send_products(
    conversation_id: int, body: ProductsIn, session: DbSession, user: StaffUser,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> MessageOut:
    """Queue a product card (one variant) or a product list (several) in the customer's language and currency."""
    conversation = _visible(session, user, conversation_id)
    try:
        kind, text, payload = chat.product_message(
            session=session, variant_ids=body.variant_ids, locale=_locale(session, conversation),
            currency=chat.currency_for(session=session, conversation=conversation))
        message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=user.id, text=text,
                                          kind=kind, payload=payload, client_key=idempotency_key)
    except NotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None
    except (CatalogError, outbound.ReplyRefused) as refused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(refused)) from None
    session.commit()  # the send job is enqueued by the MESSAGE_CREATED listener
    return message_out(message)


@router.get("/{conversation_id}/cart", response_model=CartOut)
def conversation_cart(conversation_id: int, session: DbSession, user: CurrentUser) -> CartOut:
    """The customer's open cart in this conversation (empty when there is none), priced from the catalog."""
    conversation = _visible(session, user, conversation_id)
    cart = chat.find_open_cart(session=session, conversation=conversation)
    locale = _locale(session, conversation)
    if cart is None:
        currency = chat.currency_for(session=session, conversation=conversation)
        return CartOut(cart_id=None, currency=currency, lines=[], total_minor=0,
                       total=money.display(0, currency, locale))
    view = carts.view(session=session, cart=cart, locale=locale)
    lines = [CartLineOut(variant_id=line.variant_id, sku=line.sku, title=line.title, image_url=line.image_url,
                         quantity=line.quantity, unit_minor=line.unit_minor, line_minor=line.line_minor,
                         line=view.display(line.line_minor)) for line in view.lines]
    return CartOut(cart_id=view.cart_id, currency=view.currency, lines=lines, total_minor=view.total_minor,
                   total=view.display(view.total_minor))
