"""The stores' record for the composition root: stores and their staff, coupons and their redemption, and
purchases from the till."""

from __future__ import annotations

from catalog.stores import demo, jobs
from catalog.stores.models import Coupon, PosImport, Store, StoreStaff
from catalog.stores.pages import router as pages
from catalog.stores.pos import ORDER_IMPORTED
from catalog.stores.views import MAX_IMPORT
from catalog.stores.views import router as api
from catalog.stores.web import FOLDER as WEB_FOLDER
from catalog.stores.web import strings
from hub.runtime import Listener, Module, Web

MODULE = Module(
    name="stores",
    models=(Store, StoreStaff, Coupon, PosImport),
    pages=(pages,),
    web=Web(folder=WEB_FOLDER, styles=("stores.css",), strings=strings.STRINGS),
    routers=(api,),
    listeners=(Listener(ORDER_IMPORTED, jobs.on_imported),),  # behaviour tags follow imported sales too
    periodic=(jobs.EXPIRY, jobs.IMPORTS),
    uploads={"/api/v1/pos/purchases/import": MAX_IMPORT},
    demo=demo.announce,  # a store in Hong Kong and its clerk
)
