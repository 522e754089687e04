"""The stores, coupons and POS API's bodies, with examples for `/openapi.json`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from catalog.stores.coupons import CouponRefusal
from catalog.stores.models import CouponSource, CouponState, ImportStatus

RowId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class StoreIn(BaseModel):
    name: str = Field(min_length=1, max_length=120, examples=["Causeway Bay"])
    address: str = Field(default="", max_length=500, examples=["500 Hennessy Road, Causeway Bay, Hong Kong"])
    timezone: str = Field(default="UTC", max_length=64, examples=["Asia/Hong_Kong"],
                          description="IANA time zone: the store's 'today' in its figures")
    staff_ids: list[RowId] = Field(default_factory=list, max_length=500, examples=[[7]],
                                 description="users who work here (users of the `store` role see only these stores)")


class StorePatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    address: str | None = Field(default=None, max_length=500)
    timezone: str | None = Field(default=None, max_length=64, examples=["Asia/Tokyo"])
    active: bool | None = None
    staff_ids: list[RowId] | None = Field(default=None, max_length=500)


class StoreOut(BaseModel):
    id: int
    name: str
    address: str
    timezone: str
    active: bool
    staff_ids: list[int]
    created_at: datetime


class StoreFigures(BaseModel):
    store_id: int
    redeemed_today: int = Field(examples=[12], description="coupons redeemed since midnight, the store's time")
    redeemed_7_days: int
    redeemed_total: int


class CouponOut(BaseModel):
    code: str = Field(examples=["SPRINGK7QX2M9A"])
    offer: str = Field(examples=["10% off"])
    state: CouponState = Field(description="`expired` also for an issued coupon past its end")
    source: CouponSource
    campaign_id: int | None
    flow_id: int | None
    run_id: int | None
    contact_id: int
    customer_name: str = Field(examples=["陳大文"])
    issued_at: datetime
    expires_at: datetime | None
    redeemed_at: datetime | None
    store_id: int | None = Field(description="where it was redeemed")
    store_name: str | None
    redeemed_by_id: int | None


class RedeemIn(BaseModel):
    code: str = Field(min_length=1, max_length=60, examples=["SPRINGK7QX2M9A"])
    store_id: int = Field(ge=1, le=2_147_483_647, examples=[1])
    campaign_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description=(
        "when set, only this campaign's coupons are accepted (a till running one promotion)"))


class Refused(BaseModel):
    detail: str = Field(examples=["this coupon was already redeemed"])
    refusal: CouponRefusal
    coupon: CouponOut | None = None


class PosLine(BaseModel):
    sku: str = Field(default="", max_length=100, examples=["TEE-M-BLUE"])
    title: str = Field(default="", max_length=500, examples=["Linen tee, M, blue"])
    quantity: int = Field(ge=1, le=100_000, examples=[2])
    unit_price: str = Field(max_length=30, examples=["199.00"], description="in major units, as printed")


class PurchaseIn(BaseModel):
    pos_id: str = Field(min_length=1, max_length=120, examples=["till-3-000123"],
                        description="the POS's own id of the sale: the same id again changes nothing")
    store_id: int = Field(ge=1, le=2_147_483_647, examples=[1])
    purchased_at: datetime | None = Field(default=None, examples=["2026-12-06T14:30:00+08:00"])
    currency: str = Field(min_length=3, max_length=3, examples=["HKD"])
    total: str = Field(max_length=30, examples=["398.00"])
    lines: list[PosLine] = Field(default_factory=list, max_length=500)
    phone: str | None = Field(default=None, max_length=40, examples=["+85291234567"],
                              description="the customer's phone (E.164 or with its country code)")
    member_number: str | None = Field(default=None, max_length=60, examples=["M000123"],
                                      description="the shop's member number, when the till scanned a card")
    customer_name: str | None = Field(default=None, max_length=200)


class PurchaseOut(BaseModel):
    order_id: int
    order_number: str = Field(examples=["K7QX-2M9A"])
    contact_id: int
    created: bool = Field(description="false: this pos_id was recorded before; nothing changed")


class PosImportOut(BaseModel):
    id: int
    status: ImportStatus
    filename: str
    total_rows: int
    done_rows: int
    created: int = Field(description="orders recorded by this import")
    duplicates: int = Field(description="rows whose sale was recorded before (this file imported again)")
    error_count: int
    errors: list[dict[str, object]] = Field(examples=[[{"row": 7, "pos_id": "S-7", "reason": "total: not an amount"}]],
                                            description="the refused rows (the first 10,000), by CSV line number")
    created_at: datetime
    finished_at: datetime | None
