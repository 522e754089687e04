"""What the catalog API reads and writes. Amounts are minor units, with a display string beside them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session

from catalog import money, orders, products
from catalog.csv_io import ImportResult
from catalog.models import Order, Product
from catalog.products import KEEP, VariantInput


class VariantIn(BaseModel):
    sku: str = Field(min_length=1, max_length=100)
    options: dict[str, str] = Field(default_factory=dict)
    image_url: str | None = Field(default=None, max_length=2000)
    stock_on_hand: int | None = Field(default=None, ge=0)
    prices: dict[str, int] = Field(default_factory=dict,
                                   description='Minor units per currency: {"HKD": 12850, "JPY": 1500}')

    def as_input(self) -> VariantInput:
        image = self.image_url if "image_url" in self.model_fields_set else KEEP
        options = self.options if "options" in self.model_fields_set else KEEP
        return VariantInput(sku=self.sku, options=options, image_url=image, stock_on_hand=self.stock_on_hand,
                            prices=self.prices)


class ProductIn(BaseModel):
    handle: str = Field(min_length=1, max_length=200)
    title: dict[str, str] = Field(description='Per locale: {"en": "Silk shirt", "zh_Hant": "絲質襯衫"}')
    description: dict[str, str] = Field(default_factory=dict)
    image_url: str | None = Field(default=None, max_length=2000)
    active: bool = True
    variants: list[VariantIn] = Field(default_factory=list)


class ProductPatch(BaseModel):
    handle: str | None = Field(default=None, min_length=1, max_length=200)
    title: dict[str, str] | None = None
    description: dict[str, str] | None = None
    image_url: str | None = Field(default=None, max_length=2000)
    active: bool | None = None
    variants: list[VariantIn] = Field(default_factory=list, description="Added or changed by SKU")


class PriceOut(BaseModel):
    currency: str
    amount_minor: int
    amount: str
    display: str


class VariantOut(BaseModel):
    id: int
    sku: str
    options: dict[str, str]
    image_url: str | None
    stock_on_hand: int
    stock_reserved: int
    available: int
    prices: list[PriceOut]


class ProductOut(BaseModel):
    id: int
    handle: str
    title: dict[str, str]
    description: dict[str, str]
    image_url: str | None
    active: bool
    variants: list[VariantOut]
    created_at: datetime
    updated_at: datetime


class OrderLineOut(BaseModel):
    sku: str
    title: str
    quantity: int
    unit_minor: int
    line_minor: int
    currency: str
    line_display: str


class OrderEventOut(BaseModel):
    kind: str
    detail: dict[str, Any]
    created_at: datetime


class OrderOut(BaseModel):
    id: int
    number: str
    contact_id: int
    conversation_id: int | None
    channel_id: int | None
    agent_id: int | None
    campaign_id: int | None
    flow_id: int | None = None
    store_id: int | None = Field(None, description="the store of a till (POS) sale; null for online orders")
    status: str
    currency: str
    total_minor: int
    total_display: str
    payment_provider: str | None
    payment_ref: str | None
    created_at: datetime
    paid_at: datetime | None
    refunded_at: datetime | None = Field(None, description="when a refunded order was refunded (null otherwise)")
    expires_at: datetime | None
    lines: list[OrderLineOut]
    timeline: list[OrderEventOut]


class RowErrorOut(BaseModel):
    row: int
    message: str


class ImportOut(BaseModel):
    rows: int
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int
    errors: list[RowErrorOut]


def price_out(currency: str, amount_minor: int, locale: str) -> PriceOut:
    return PriceOut(currency=currency, amount_minor=amount_minor, amount=money.plain(amount_minor, currency),
                    display=money.display(amount_minor, currency, locale))


def products_out(session: Session, rows: list[Product], locale: str) -> list[ProductOut]:
    """Products with their variants and prices, in three queries whatever the page size."""
    variants = products.variants_of(session=session, product_ids=[p.id or 0 for p in rows])
    prices = products.prices_of(session=session, variant_ids=[v.id or 0 for vs in variants.values() for v in vs])
    return [ProductOut(
        id=p.id or 0, handle=p.handle, title=p.title, description=p.description, image_url=p.image_url,
        active=p.active, created_at=p.created_at, updated_at=p.updated_at,
        variants=[VariantOut(
            id=v.id or 0, sku=v.sku, options=v.options, image_url=v.image_url, stock_on_hand=v.stock_on_hand,
            stock_reserved=v.stock_reserved, available=products.available(v),
            prices=[price_out(code, amount, locale) for code, amount in prices[v.id or 0].items()],
        ) for v in variants[p.id or 0]],
    ) for p in rows]


def order_out(session: Session, order: Order, locale: str) -> OrderOut:
    assert order.id is not None
    lines = orders.lines_of(session=session, order_id=order.id)
    return OrderOut(
        id=order.id, number=order.number, contact_id=order.contact_id, conversation_id=order.conversation_id,
        channel_id=order.channel_id, agent_id=order.agent_id, campaign_id=order.campaign_id, flow_id=order.flow_id,
        store_id=order.store_id, status=order.status,
        currency=order.currency, total_minor=order.total_minor,
        total_display=money.display(order.total_minor, order.currency, locale),
        payment_provider=order.payment_provider, payment_ref=order.payment_ref, created_at=order.created_at,
        paid_at=order.paid_at, refunded_at=order.refunded_at, expires_at=order.expires_at,
        lines=[OrderLineOut(sku=line.sku, title=line.title, quantity=line.quantity, unit_minor=line.unit_minor,
                            line_minor=line.unit_minor * line.quantity, currency=line.currency,
                            line_display=money.display(line.unit_minor * line.quantity, line.currency, locale))
               for line in lines],
        timeline=[OrderEventOut(kind=e.kind, detail=e.detail, created_at=e.created_at)
                  for e in orders.timeline(session=session, order_id=order.id)],
    )


def import_out(result: ImportResult) -> ImportOut:
    return ImportOut(rows=result.rows, products_created=result.products_created,
                     products_updated=result.products_updated, variants_created=result.variants_created,
                     variants_updated=result.variants_updated,
                     errors=[RowErrorOut(row=e.row, message=e.message) for e in result.errors])
