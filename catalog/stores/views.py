"""Stores, coupons and POS routes. Admins manage stores; store staff see their own stores and redeem at them;
the till posts purchases with an API key of scope `pos:write` (or an admin's sign-in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, UploadFile, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from catalog.stores import coupons, pos, pos_import
from catalog.stores import service as stores
from catalog.stores.models import Coupon, CouponSource, ImportStatus, PosImport, Store
from catalog.stores.schemas import (
    CouponOut,
    PosImportOut,
    PurchaseIn,
    PurchaseOut,
    RedeemIn,
    Refused,
    StoreFigures,
    StoreIn,
    StoreOut,
    StorePatch,
)
from hub.agents.models import Role, User
from hub.api.deps import AdminUser, DbSession, DeskUser
from hub.api_keys.deps import require_scope
from hub.api_keys.service import Scope
from hub.audit.service import record
from hub.contacts import service as contacts

router = APIRouter(prefix="/api/v1", tags=["stores"])
MAX_IMPORT = 20 * 1024 * 1024
PosWriter = Annotated[User, Depends(require_scope(Scope.pos_write))]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _store_out(session: Session, rows: list[Store]) -> list[StoreOut]:
    staff = stores.staff_of(session=session, store_ids=[row.id or 0 for row in rows])
    return [StoreOut(id=row.id or 0, name=row.name, address=row.address, timezone=row.timezone, active=row.active,
                     staff_ids=staff.get(row.id or 0, []), created_at=row.created_at) for row in rows]


@router.get("/stores", response_model=list[StoreOut])
def list_stores(session: DbSession, user: DeskUser) -> list[StoreOut]:
    """Every store for an admin; for store staff, the stores they work at."""
    return _store_out(session, stores.visible(session=session, is_admin=user.role == Role.admin, user_id=user.id or 0))


@router.post("/stores", response_model=StoreOut, status_code=201, responses={422: {"description": "a bad field"}})
def create_store(body: StoreIn, session: DbSession, user: AdminUser) -> StoreOut:
    try:
        row = stores.create(session=session, name=body.name, address=body.address, timezone=body.timezone,
                            staff_ids=body.staff_ids)
    except stores.StoreError as error:
        raise HTTPException(422, str(error)) from None
    record(session=session, actor_id=user.id, action="store.created", target_type="store", target_id=row.id,
           details={"name": row.name})
    session.commit()
    return _store_out(session, [row])[0]


@router.patch("/stores/{store_id}", response_model=StoreOut, responses={404: {"description": "no such store"}})
def update_store(store_id: Id, body: StorePatch, session: DbSession, user: AdminUser) -> StoreOut:
    row = session.get(Store, store_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no store {store_id}")
    try:
        stores.update(session=session, store=row, **body.model_dump(exclude_unset=True))
    except stores.StoreError as error:
        raise HTTPException(422, str(error)) from None
    record(session=session, actor_id=user.id, action="store.updated", target_type="store", target_id=store_id,
           details=body.model_dump(exclude_unset=True))
    session.commit()
    return _store_out(session, [row])[0]


def _mine(session: Session, user: User, store_id: int) -> Store:
    row = session.get(Store, store_id)
    if row is None or not stores.may_use(session=session, is_admin=user.role == Role.admin, user_id=user.id or 0,
                                         store_id=store_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no store {store_id} of yours")
    return row


@router.get("/stores/{store_id}/figures", response_model=StoreFigures,
            responses={404: {"description": "no such store, or not one of yours"}})
def store_figures(store_id: Id, session: DbSession, user: DeskUser) -> StoreFigures:
    """Coupons redeemed at the store today (its time zone), in 7 days and ever."""
    row = _mine(session, user, store_id)
    return StoreFigures(store_id=store_id, **stores.figures(session=session, store=row))


def coupon_out(session: Session, coupon: Coupon) -> CouponOut:
    contact = contacts.get(session=session, contact_id=coupon.contact_id)
    store = session.get(Store, coupon.store_id) if coupon.store_id else None
    return CouponOut(code=coupon.code, offer=coupon.offer, state=coupons.state_of(coupon),
                     source=CouponSource(coupon.source), campaign_id=coupon.campaign_id,
                     flow_id=coupon.flow_id, run_id=coupon.run_id, contact_id=coupon.contact_id,
                     customer_name=contact.name if contact else "", issued_at=coupon.issued_at,
                     expires_at=coupon.expires_at, redeemed_at=coupon.redeemed_at, store_id=coupon.store_id,
                     store_name=store.name if store else None, redeemed_by_id=coupon.redeemed_by_id)


@router.get("/coupons/{code}", response_model=CouponOut, responses={404: {"description": "no coupon has this code"}})
def get_coupon(code: Annotated[str, Path(min_length=1, max_length=60)], session: DbSession,
               user: DeskUser) -> CouponOut:
    """A coupon as the till sees it: the customer's name, the offer and its state."""
    found = coupons.find(session=session, code=code)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, coupons.REASONS[coupons.CouponRefusal.unknown])
    return coupon_out(session, found)


@router.post("/coupons/redeem", response_model=CouponOut, responses={
    403: {"description": "not one of your stores"},
    404: {"model": Refused, "description": "no coupon has this code (`refusal`: unknown, unknown_store)"},
    409: {"model": Refused, "description": "refused: already_redeemed, expired or other_campaign, with the coupon"}})
def redeem(body: RedeemIn, session: DbSession, user: DeskUser) -> CouponOut | JSONResponse:
    """Redeem a coupon once at a store. Two tills at once: one gets 200, the other 409 `already_redeemed`."""
    if not stores.may_use(session=session, is_admin=user.role == Role.admin, user_id=user.id or 0,
                          store_id=body.store_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"store {body.store_id} is not one of yours")
    try:
        coupon = coupons.redeem(session=session, code=body.code, store_id=body.store_id, user_id=user.id,
                                campaign_id=body.campaign_id)
    except coupons.CouponRefused as refused:
        session.rollback()
        gone = refused.refusal in (coupons.CouponRefusal.unknown, coupons.CouponRefusal.unknown_store)
        answer = Refused(detail=str(refused), refusal=refused.refusal,
                         coupon=coupon_out(session, refused.coupon) if refused.coupon else None)
        return JSONResponse(answer.model_dump(mode="json"), status_code=404 if gone else 409)
    record(session=session, actor_id=user.id, action="coupon.redeemed", target_type="coupon", target_id=coupon.id,
           details={"code": coupon.code, "store_id": body.store_id})
    session.commit()
    return coupon_out(session, coupon)


@router.post("/pos/purchases", response_model=PurchaseOut, responses={
    200: {"description": "recorded (or recorded before: `created` false)"},
    422: {"description": "a bad field, an unknown store or member number"}})
def purchase(body: PurchaseIn, session: DbSession, user: PosWriter) -> PurchaseOut:
    """A sale at a store's till as a paid order of its customer (made when the phone is new). The same
    `pos_id` at the same store again changes nothing and answers the order recorded the first time."""
    try:
        sale = pos.sale(pos_id=body.pos_id, store_id=body.store_id, purchased_at=body.purchased_at,
                        currency=body.currency, total=body.total, phone=body.phone, member_number=body.member_number,
                        customer_name=body.customer_name,
                        lines=[(line.sku, line.title, line.quantity, line.unit_price) for line in body.lines])
        order, made = pos.record(session=session, sale=sale)
    except pos.PosError as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return PurchaseOut(order_id=order.id or 0, order_number=order.number, contact_id=order.contact_id, created=made)


def _import_out(row: PosImport) -> PosImportOut:
    return PosImportOut(id=row.id or 0, status=ImportStatus(row.status), filename=row.filename,
                        total_rows=row.total_rows, done_rows=row.done_rows, created=row.created,
                        duplicates=row.duplicates, error_count=row.error_count, errors=row.errors,
                        created_at=row.created_at, finished_at=row.finished_at)


@router.post("/pos/purchases/import", response_model=PosImportOut, status_code=202, responses={
    400: {"description": "not a CSV, or columns missing"}, 413: {"description": "larger than 20 MiB"}})
async def import_purchases(file: UploadFile, session: DbSession, user: PosWriter) -> PosImportOut:
    """A CSV of historical sales, imported by a job; poll `GET /pos/purchases/imports/{import_id}`."""
    body = await file.read(MAX_IMPORT + 1)
    if len(body) > MAX_IMPORT:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "the file is larger than 20 MiB")
    try:
        row = pos_import.start(session=session, body=body, filename=file.filename or "", user_id=user.id)
    except pos_import.ImportError_ as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    record(session=session, actor_id=user.id, action="pos.import_started", target_type="pos_import",
           target_id=row.id, details={"filename": row.filename, "rows": row.total_rows})
    session.commit()
    pos_import.enqueue(row.id or 0)
    return _import_out(row)


@router.get("/pos/purchases/imports/{import_id}", response_model=PosImportOut,
            responses={404: {"description": "no such import"}})
def import_status(import_id: Id, session: DbSession, user: PosWriter) -> PosImportOut:
    """An import's progress (`done_rows` of `total_rows`) and, once done, its per-row error report."""
    row = session.get(PosImport, import_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no import {import_id}")
    return _import_out(row)
