"""Composer routes: send products into a conversation, and see the customer's open cart.

The conversation must be one the user may see (404 otherwise); only agents and admins send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from catalog import carts, chat, chat_replies, money
from catalog.errors import CatalogError, NoPrice, NotFound, OutOfStock
from hub.agents.models import User
from hub.api.deps import CurrentUser, DbSession, StaffUser
from hub.conversations import outbound, queries
from hub.conversations.models import Conversation, Message
from hub.conversations.views import MessageOut, message_out

router = APIRouter(prefix="/api/v1/conversations", tags=["catalog"])


class ProductsIn(BaseModel):
    variant_ids: list[int] = Field(min_length=1, max_length=chat.MAX_ROWS)


class PayItem(BaseModel):
    variant_id: int = Field(ge=1)
    quantity: int = Field(default=1, ge=1, le=99)


class PaymentLinkIn(BaseModel):
    items: list[PayItem] = Field(default_factory=list, max_length=20)
    """Added to the customer's open cart first; with none, the cart is checked out as it is."""


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


def _locale(session: Session, conversation: Conversation) -> str:
    return chat.customer_locale(session=session, conversation=conversation)


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
    except outbound.ReplyRefused as refused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(refused), headers=refused.headers) from None
    except NoPrice as unpriced:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            f"{unpriced}: this conversation is priced in {unpriced.currency} (the customer's channel "
                            f"decides the price list); add a {unpriced.currency} price to send it here") from None
    except CatalogError as refused:
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


@router.post("/{conversation_id}/payment-link", response_model=MessageOut, status_code=status.HTTP_202_ACCEPTED)
def send_payment_link(
    conversation_id: int, body: PaymentLinkIn, session: DbSession, user: StaffUser,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> MessageOut:
    """Check out the customer's cart (with `items` added) and send the payment link in the chat: a Stripe
    Checkout Session (the sandbox checkout without a key) or, on a Telegram bot with payments, an invoice.
    The order records this agent as the one who sent the link. Amounts come from the catalog only."""
    conversation = _visible(session, user, conversation_id)
    locale = _locale(session, conversation)
    if idempotency_key:
        sent = session.exec(select(Message).where(Message.conversation_id == conversation.id,
                                                  Message.client_key == idempotency_key)).first()
        if sent is not None:
            return message_out(sent)
    assert conversation.id is not None
    if chat_replies.checkouts_capped(session=session, conversation_id=conversation.id):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            "this conversation had as many checkouts in the last hour as HUB_CHECKOUTS_PER_HOUR "
                            "allows; try again later",
                            headers={"Retry-After": "3600", outbound.ERROR_HEADER: "checkouts_capped"})
    try:
        if body.items:
            adding = carts.open_cart(session=session, contact_id=conversation.contact_id,
                                     conversation_id=conversation.id,
                                     currency=chat.currency_for(session=session, conversation=conversation))
            for item in body.items:
                carts.add(session=session, cart=adding, variant_id=item.variant_id, quantity=item.quantity)
        cart = chat.find_open_cart(session=session, conversation=conversation)
        if cart is None or not carts.view(session=session, cart=cart, locale=locale).lines:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "the customer's cart is empty: add items",
                                headers={outbound.ERROR_HEADER: "cart_empty"})
        kind, text, payload = chat_replies.checkout_reply(session=session, conversation=conversation, locale=locale,
                                                          agent_id=user.id)
        message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=user.id, text=text,
                                          kind=kind, payload=payload, client_key=idempotency_key)
    except NotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None
    except OutOfStock as short:
        raise HTTPException(status.HTTP_409_CONFLICT, str(short),
                            headers={outbound.ERROR_HEADER: "out_of_stock"}) from None
    except outbound.ReplyRefused as refused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(refused), headers=refused.headers) from None
    except CatalogError as refused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(refused)) from None
    session.commit()
    return message_out(message)
