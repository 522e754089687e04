"""Catalog routes: products (admins write, staff read), CSV import and export, and orders.

An order is visible to whoever may see one of its contact's conversations; anyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, UploadFile, status
from sqlmodel import Session, select

from catalog import csv_io, orders, products
from catalog.errors import CatalogError, NotFound, OutOfStock
from catalog.schemas import (
    ImportOut,
    OrderOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    import_out,
    order_out,
    products_out,
)
from catalog.shopify_csv import import_shopify
from hub.agents.models import Role, User
from hub.agents.service import can_see_conversations
from hub.api.deps import AdminUser, CurrentUser, DbSession
from hub.api_keys.deps import OrdersReader
from hub.audit.service import record
from hub.conversations.models import Conversation

router = APIRouter(prefix="/api/v1", tags=["catalog"])
MAX_UPLOAD = 10 * 1024 * 1024


@contextmanager
def _answering() -> Iterator[None]:
    """The catalog's refusals as 4xx answers with their sentence."""
    try:
        yield
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    except OutOfStock as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except CatalogError as error:  # money errors too
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None


def _product(session: Session, product_id: int, locale: str) -> ProductOut:
    found = products.get_product(session=session, product_id=product_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no product {product_id}")
    return products_out(session, [found], locale)[0]


@router.get("/products", response_model=list[ProductOut])
def list_products(session: DbSession, user: CurrentUser, q: str | None = None, active: bool | None = None,
                  after_id: int | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[ProductOut]:
    """Products by id; `q` finds a handle, a title in any language or a SKU."""
    rows = products.list_products(session=session, q=q, active=active, after_id=after_id, limit=limit)
    return products_out(session, rows, user.locale)


@router.post("/products", response_model=ProductOut, status_code=status.HTTP_201_CREATED)
def create_product(body: ProductIn, session: DbSession, user: AdminUser) -> ProductOut:
    with _answering():
        product = products.create_product(
            session=session, handle=body.handle, title=body.title, description=body.description,
            image_url=body.image_url, active=body.active, variants=[v.as_input() for v in body.variants])
    record(session=session, actor_id=user.id, action="product.create", target_type="product", target_id=product.id,
           details={"handle": product.handle})
    session.commit()
    return _product(session, product.id or 0, user.locale)


@router.get("/products/export.csv")
def export_products(session: DbSession, user: AdminUser) -> Response:
    """Every product, variant, price and stock count as CSV (UTF-8 with a BOM, opens in Excel)."""
    return Response(csv_io.export_csv(session=session), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="products.csv"'})


@router.post("/products/import", response_model=ImportOut)
async def import_products(file: UploadFile, session: DbSession, user: AdminUser,
                          format: Literal["hub", "shopify"] = "hub", currency: str | None = None,
                          locale: str = "en") -> ImportOut:
    """Upsert products from CSV (Hub's columns or Shopify's export); bad rows come back with their numbers."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "the file is over 10 MB: split it")
    if format == "shopify" and not currency:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "say which currency Shopify's prices are in (currency=HKD)")
    with _answering():
        if format == "shopify":
            result = import_shopify(session=session, data=data, currency=currency or "", locale=locale)
        else:
            result = csv_io.import_hub(session=session, data=data)
    record(session=session, actor_id=user.id, action="product.import", target_type="product",
           details={"format": format, "rows": result.rows, "errors": len(result.errors)})
    session.commit()
    return import_out(result)


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: int, session: DbSession, user: CurrentUser) -> ProductOut:
    return _product(session, product_id, user.locale)


@router.patch("/products/{product_id}", response_model=ProductOut)
def update_product(product_id: int, body: ProductPatch, session: DbSession, user: AdminUser) -> ProductOut:
    image = body.image_url if "image_url" in body.model_fields_set else products.KEEP
    with _answering():
        products.update_product(session=session, product_id=product_id, handle=body.handle, title=body.title,
                                description=body.description, image_url=image, active=body.active,
                                variants=[v.as_input() for v in body.variants])
    record(session=session, actor_id=user.id, action="product.update", target_type="product", target_id=product_id,
           details={"fields": sorted(body.model_fields_set)})
    session.commit()
    return _product(session, product_id, user.locale)


def _may_see_contact(session: Session, user: User, contact_id: int) -> bool:
    """Whoever may see one of the contact's conversations may see their orders."""
    if user.role == Role.admin:
        return True
    query = select(Conversation.id).where(Conversation.contact_id == contact_id, can_see_conversations(session, user))
    return session.exec(query.limit(1)).first() is not None


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: int, session: DbSession, user: OrdersReader) -> OrderOut:
    """An order with its lines and status timeline."""
    order = orders.get_order(session=session, order_id=order_id)
    if order is None or not _may_see_contact(session, user, order.contact_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no order {order_id}")
    return order_out(session, order, user.locale)


@router.get("/contacts/{contact_id}/orders", response_model=list[OrderOut])
def contact_orders(contact_id: int, session: DbSession, user: OrdersReader,
                   limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[OrderOut]:
    """A contact's orders, newest first (the contact panel's order list)."""
    if not _may_see_contact(session, user, contact_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no contact {contact_id}")
    found = orders.recent_orders(session=session, contact_id=contact_id, limit=limit)
    return [order_out(session, order, user.locale) for order in found]
